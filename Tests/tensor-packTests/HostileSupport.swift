import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Reads a file of `kind` completely (every tensor's bytes too), as a consumer would.
func readFully(_ kind: String, _ path: String) throws {
  switch kind {
  case "npy": _ = try Npy.read(path: path).loadBytes()
  case "npz": for tensor in try Npz.read(path: path) { _ = try tensor.loadBytes() }
  case "safetensors": for tensor in try Safetensors.read(path: path).tensors { _ = try tensor.loadBytes() }
  default: _ = try PNGDecoder.decode(path: path)
  }
}

/// Expects reading `bytes` as `kind` to fail with a `TensorFormatError` (not any other error, and
/// certainly not a trap).
func expectRefused(_ kind: String, _ bytes: [UInt8], _ note: String, in dir: TemporaryDirectory) throws {
  let path = dir.file("hostile.\(kind)")
  try writeFile(path, bytes)
  do {
    try readFully(kind, path)
    Issue.record("\(kind) \(note): was accepted")
  } catch let error as TensorFormatError {
    #expect(!error.message.isEmpty)
  }
}

/// Valid sample files, one per format, as bytes.
enum SampleFiles {
  static func make(_ kind: String, in dir: TemporaryDirectory) throws -> [UInt8] {
    let path = dir.file("sample.\(kind)")
    let a = try randomTensor("a", .float32, [3, 5], seed: 1)
    let b = try randomTensor("b", .int16, [2, 2, 2], seed: 2)
    switch kind {
    case "npy": try Npy.write(a, to: path)
    case "npz": try Npz.write([a, b], to: path, compressed: false)
    case "npz-deflated":
      try Npz.write([a, b], to: path, compressed: true)
    case "safetensors": try Safetensors.write([a, b], metadata: [("k", "v")], to: path)
    case "png-adam7": return try readFile(Fixtures.directory + "/png/rgb8_interlaced.png")
    case "png-palette":
      // 5×4, 2-bit palette with tRNS, one row per filter type after the first.
      let rows: [[UInt8]] = [[0, 0x1B, 0xC0], [1, 0x27, 0x80], [2, 0x93, 0x40], [3, 0x4E, 0x00], [4, 0xE4, 0xC0]]
      let palette: [UInt8] = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]
      return craftPNG(
        width: 5, height: 5, depth: 2, colorType: 3,
        chunks: [("PLTE", palette), ("tRNS", [0, 128]), ("IDAT", try zlibData(rows.flatMap { $0 })), ("IEND", [])])
    default:
      var random = TestRandom(seed: 3)
      let image = try LocatedTensor(
        name: "i", dtype: .float32, shape: [1, 7, 9, 4], owned: random.unitFloats(7 * 9 * 4))
      return try PNGEncoder.encode(image)[0]
    }
    return try readFile(path)
  }

  /// The reader kind for a sample kind.
  static func reader(_ kind: String) -> String {
    kind == "npz-deflated" ? "npz" : kind.hasPrefix("png") ? "png" : kind
  }
}

/// Builds a PNG from an IHDR's fields and chunks, computing lengths and CRCs.
func craftPNG(
  width: UInt32, height: UInt32, depth: UInt8 = 8, colorType: UInt8 = 0, interlace: UInt8 = 0,
  chunks: [(String, [UInt8])]
) -> [UInt8] {
  var out = PNGChunks.signature
  var ihdr: [UInt8] = []
  ihdr.appendBE(width)
  ihdr.appendBE(height)
  ihdr += [depth, colorType, 0, 0, interlace]
  PNGChunks.append("IHDR", ihdr, to: &out)
  for (type, data) in chunks { PNGChunks.append(type, data, to: &out) }
  return out
}

/// zlib-compressed `bytes`.
func zlibData(_ bytes: [UInt8]) throws -> [UInt8] {
  try bytes.withUnsafeBytes { try Zlib.deflate($0, format: .zlib) }
}

/// Recomputes every chunk CRC of a (possibly damaged) PNG, so damage reaches past the CRC check.
func fixCRCs(_ png: [UInt8]) -> [UInt8] {
  var out = png
  var position = 8
  while position + 12 <= out.count {
    let length = Int((try? out.loadBE(UInt32.self, at: position)) ?? 0)
    guard length <= out.count - position - 12 else { break }
    let crc = out.withUnsafeBytes {
      CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[position + 4..<position + 8 + length]))
    }
    var patch: [UInt8] = []
    patch.appendBE(crc)
    out.replaceSubrange(position + 8 + length..<position + 12 + length, with: patch)
    position += 12 + length
  }
  return out
}

extension Array where Element == UInt8 {
  /// A copy with a little-endian value written at `offset`.
  func patchedLE<T: FixedWidthInteger>(_ value: T, at offset: Int) -> [UInt8] {
    var out = self
    var bytes: [UInt8] = []
    bytes.appendLE(value)
    out.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    return out
  }
}
