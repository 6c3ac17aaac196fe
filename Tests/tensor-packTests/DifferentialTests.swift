import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Seeded random files from numpy and the safetensors library (interop.py `make diff-npy`,
/// `make diff-safetensors`; PIPES_DIFF_SEED picks the seed, 15 unless told) read here with equal
/// dtype, shape, bytes and metadata, then written back here and read there with equal values
/// (np.save byte-identity for npy, safe_open's metadata for safetensors). PNG files of every
/// colour type and bit depth, interlaced or not (`make diff-png`), decode here to Pillow's pixels;
/// random images encoded here decode in Pillow to the documented quantization.
@Suite(.enabled(if: Interop.python != nil, Interop.skipReason))
struct DifferentialTests {
  /// The generated files of `kind` (`count` of them), and a manifest for what is written back.
  private func generated(_ kind: String, count: Int) throws -> (
    dir: TemporaryDirectory, entries: [(path: String, kind: String, metadata: JSONObject, tensors: [Interop.Expected])],
    back: Interop.Manifest
  ) {
    let dir = TemporaryDirectory()
    let entries = try Interop.make(kind, in: dir)
    #expect(entries.count == count)
    return (dir, entries, Interop.Manifest(dir))
  }

  @Test func numpyFilesOfEveryDtypeOrderAndVersion() throws {
    let (dir, entries, back) = try generated("diff-npy", count: 1500)
    for (k, entry) in entries.enumerated() {
      let expected = entry.tensors[0]
      let tensor = try Npy.read(path: entry.path)
      #expect(tensor.dtype == expected.dtype && tensor.shape == expected.shape, "\(entry.path)")
      #expect(try tensor.loadBytes() == expected.bytes, "\(entry.path)")
      try Npy.write(tensor, to: dir.file("back-\(k).npy"))
      try back.add(file: "back-\(k).npy", kind: "npy", tensors: [tensor])
    }
    let (status, output) = try back.check()
    #expect(status == 0, "\(output)")
  }

  @Test func safetensorsFilesWithMetadata() throws {
    let (dir, entries, back) = try generated("diff-safetensors", count: 500)
    for (k, entry) in entries.enumerated() {
      let contents = try Safetensors.read(path: entry.path)
      #expect(contents.skipped.isEmpty)
      #expect(contents.tensors.map(\.name).sorted() == entry.tensors.map(\.name).sorted(), "\(entry.path)")
      for expected in entry.tensors {
        let tensor = contents.tensor(named: expected.name)
        #expect(tensor?.dtype == expected.dtype && tensor?.shape == expected.shape, "\(entry.path)")
        #expect(try tensor?.loadBytes() == expected.bytes, "\(entry.path) \(expected.name)")
      }
      let metadata = entry.metadata.map { "\($0.key)=\($0.value.stringValue ?? "?")" }.sorted()
      #expect(contents.metadata.map { "\($0.key)=\($0.value)" }.sorted() == metadata, "\(entry.path)")
      try Safetensors.write(contents.tensors, metadata: contents.metadata, to: dir.file("back-\(k).safetensors"))
      try back.add(
        file: "back-\(k).safetensors", kind: "safetensors", tensors: contents.tensors,
        extra: ["metadata": .object(entry.metadata)])
    }
    let (status, output) = try back.check()
    #expect(status == 0, "\(output)")
  }

  @Test func pngFilesOfEveryColourTypeDepthAndInterlacing() throws {
    let (dir, entries, _) = try generated("diff-png", count: 2000)
    defer { withExtendedLifetime(dir) {} }
    for entry in entries {
      let expected = entry.tensors[0]
      let decoded = try PNGDecoder.decode(path: entry.path)
      #expect(decoded.image.dtype == .float32 && decoded.image.shape == expected.shape, "\(entry.path)")
      #expect(try decoded.image.loadBytes() == expected.bytes, "\(entry.path)")
      #expect(decoded.mask == nil)
      // --mask: the colour channels stay (one for grey and grey+alpha), alpha becomes 1 − alpha.
      let split = try PNGDecoder.decode(path: entry.path, options: PNGDecodeOptions(alpha: .invertedMask))
      let channels = expected.shape[3]
      let want = expected.bytes.withUnsafeBytes { raw in
        (0..<expected.bytes.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
      }
      guard channels == 4 else {
        #expect(try split.image.loadBytes() == expected.bytes && split.mask == nil, "\(entry.path)")
        continue
      }
      let grey = entry.path.contains("-c0-") || entry.path.contains("-c4-")
      let pixels = want.count / 4
      let kept = grey ? 1 : 3
      let colour: [Float] = (0..<pixels).flatMap { p in want[4 * p..<4 * p + kept] }
      #expect(try split.image.loadBytes() == PNGDecoder.floatBytes(colour), "\(entry.path)")
      #expect(split.image.shape == [1, expected.shape[1], expected.shape[2], kept], "\(entry.path)")
      let mask = (0..<pixels).map { 1 - want[4 * $0 + 3] }
      #expect(try split.mask?.loadBytes() == PNGDecoder.floatBytes(mask), "\(entry.path)")
    }
  }

  @Test func pngFilesWrittenHereOpenInPillow() throws {
    let dir = TemporaryDirectory()
    let back = Interop.Manifest(dir)
    var random = TestRandom(seed: DifferentialSamples.seed &* 0x9E37_79B9 &+ 1)
    for k in 0..<1000 {
      let dtype = [DType.float32, .float32, .float16, .bfloat16, .float64, .uint8, .bool][random.below(7)]
      let large = random.below(40) == 0
      let (height, width) = (1 + random.below(large ? 90 : 24), 1 + random.below(large ? 90 : 24))
      let channels = [0, 1, 3, 4][random.below(4)]
      let shape = [1 + random.below(3), height, width] + (channels == 0 ? [] : [channels])
      let tensor = try LocatedTensor(
        name: "image", dtype: dtype, shape: shape,
        owned: DifferentialSamples.bytes(dtype, count: shape.reduce(1, *), random: &random))
      var text: [(key: String, value: String)] = []
      for key in ["prompt", "workflow", "parameters", "Comment é"] where random.below(4) == 0 {
        text.append((key, DifferentialSamples.text(random: &random)))
      }
      let filter: UInt8? = random.below(2) == 0 ? nil : UInt8(random.below(5))
      let files = try PNGEncoder.encode(tensor, filter: filter, text: text, level: random.below(10))
      #expect(files.count == shape[0])
      var names: [JSON] = []
      for (item, file) in files.enumerated() {
        let name = "w\(k)-\(item).png"
        try writeFile(dir.file(name), file)
        names.append(.string(name))
      }
      var textObject: JSONObject = [:]
      for pair in text { textObject[pair.key] = .string(pair.value) }
      try back.add(
        file: "w\(k)", kind: "png", tensors: [tensor], extra: ["pngs": .array(names), "text": .object(textObject)])
    }
    let (status, output) = try back.check()
    #expect(status == 0, "\(output)")
  }
}

/// Random samples for the PNG writer's differential test: floats on and between the 8-bit levels
/// (exactly halfway and one step either side), outside 0…1, NaN, infinities and negative zero.
enum DifferentialSamples {
  static let seed = ProcessInfo.processInfo.environment["PIPES_DIFF_SEED"].flatMap { UInt64($0) } ?? 15

  static func float(random: inout TestRandom) -> Double {
    let level = Double(random.below(256))
    switch random.below(8) {
    case 0, 1: return Double(random.next() >> 11) / Double(1 << 53)
    case 2: return level / 255
    case 3: return (level + 0.5) / 255
    case 4: return ((level + 0.5) / 255).nextUp
    case 5: return ((level + 0.5) / 255).nextDown
    case 6: return Double(Int(random.below(2001)) - 1000) / 400
    default: return [.nan, .infinity, -.infinity, -0.0, 0, 1, 1e-40, -1e-40, 1.0.nextDown][random.below(9)]
    }
  }

  /// `count` little-endian samples of `dtype`.
  static func bytes(_ dtype: DType, count: Int, random: inout TestRandom) -> [UInt8] {
    var out: [UInt8] = []
    for _ in 0..<count {
      let value = float(random: &random)
      switch dtype {
      case .float64: out.appendLE(value.bitPattern)
      case .float16: out.appendLE(Float16(Float(value)).bitPattern)
      case .bfloat16: out.appendLE(UInt16(Float(value).bitPattern >> 16))
      case .uint8: out.append(UInt8(truncatingIfNeeded: random.next() >> 32))
      case .bool: out.append(UInt8(random.below(2)))
      default:
        // float32: also values exactly halfway in float32 and a step either side.
        let half = (Float(random.below(256)) + 0.5) / 255
        let v = [Float(value), Float(value), half, half.nextUp, half.nextDown][random.below(5)]
        out.appendLE(v.bitPattern)
      }
    }
    return out
  }

  /// A text chunk's value: ASCII, Latin-1 or beyond (iTXt), never NUL.
  static func text(random: inout TestRandom) -> String {
    var scalars = String.UnicodeScalarView()
    for _ in 0..<random.below(40) {
      let ranges: [ClosedRange<UInt32>] = [32...126, 1...255, 0x100...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF]
      let range = ranges[random.below(random.below(3) == 0 ? 5 : 2)]
      scalars.append(Unicode.Scalar(range.lowerBound + UInt32(random.below(Int(range.count))))!)
    }
    return String(scalars)
  }
}
