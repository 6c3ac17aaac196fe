import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct PNGTests {
  /// Floats on the 8-bit grid, so encoding and decoding gives them back exactly.
  private func gridImage(_ shape: [Int], seed: UInt64) throws -> (LocatedTensor, [Float]) {
    var random = TestRandom(seed: seed)
    let values = (0..<shape.reduce(1, *)).map { _ in Float(random.below(256)) / 255 }
    return (
      try LocatedTensor(name: "image", dtype: .float32, shape: shape, owned: PNGDecoder.floatBytes(values)), values
    )
  }

  private func floats(_ tensor: LocatedTensor) throws -> [Float] {
    try tensor.withBytes { raw in
      (0..<tensor.nbytes / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
    }
  }

  @Test(arguments: [1, 3, 4], [nil, 0, 1, 2, 3, 4] as [UInt8?])
  func roundTripsEveryChannelCountAndFilter(channels: Int, filter: UInt8?) throws {
    let (tensor, values) = try gridImage([2, 13, 17, channels], seed: UInt64(channels))
    let files = try PNGEncoder.encode(tensor, filter: filter)
    #expect(files.count == 2)
    let perImage = 13 * 17 * channels
    for (item, file) in files.enumerated() {
      let decoded = try PNGDecoder.decode(file)
      #expect(decoded.image.shape == [1, 13, 17, channels])
      #expect(try floats(decoded.image) == Array(values[item * perImage..<(item + 1) * perImage]))
      #expect(decoded.mask == nil)
    }
  }

  @Test func multiMegabyteRoundTrip() throws {
    let (tensor, values) = try gridImage([1, 512, 768, 3], seed: 77)
    let files = try PNGEncoder.encode(tensor)
    let decoded = try PNGDecoder.decode(files[0])
    #expect(decoded.image.nbytes == 512 * 768 * 3 * 4)
    #expect(try floats(decoded.image) == values)
  }

  @Test func masksBecomeGreyImages() throws {
    let (mask, values) = try gridImage([3, 5, 4], seed: 4)
    let files = try PNGEncoder.encode(mask)
    #expect(files.count == 3)
    let decoded = try PNGDecoder.decode(files[2])
    #expect(decoded.image.shape == [1, 5, 4, 1])
    #expect(try floats(decoded.image) == Array(values[40..<60]))
  }

  @Test func quantizeClampsAndRounds() {
    #expect(PNGEncoder.quantize(-0.5) == 0)
    #expect(PNGEncoder.quantize(.nan) == 0)
    #expect(PNGEncoder.quantize(2) == 255)
    #expect(PNGEncoder.quantize(.infinity) == 255)
    #expect(PNGEncoder.quantize(0.5) == 128)
    #expect(PNGEncoder.quantize(1 / 255) == 1)
    #expect(PNGEncoder.quantize(0.998) == 254)
  }

  @Test func otherDtypesEncode() throws {
    let bytes: [UInt8] = [0, 64, 128, 255]
    let u8 = try LocatedTensor(name: "u", dtype: .uint8, shape: [1, 2, 2, 1], owned: bytes)
    #expect(try floats(PNGDecoder.decode(PNGEncoder.encode(u8)[0]).image) == bytes.map { Float($0) / 255 })
    var f64: [UInt8] = []
    for v in [0.0, 0.25, 1.0, 0.5] { f64.appendLE(v.bitPattern) }
    let d = try LocatedTensor(name: "d", dtype: .float64, shape: [1, 2, 2], owned: f64)
    #expect(try floats(PNGDecoder.decode(PNGEncoder.encode(d)[0]).image) == [0, 64, 255, 128].map { Float($0) / 255 })
    var bf: [UInt8] = []
    for v: Float in [0, 1, 0.5, 0.25] { bf.appendLE(UInt16(v.bitPattern >> 16)) }
    let b = try LocatedTensor(name: "b", dtype: .bfloat16, shape: [1, 1, 4], owned: bf)
    #expect(try floats(PNGDecoder.decode(PNGEncoder.encode(b)[0]).image) == [0, 255, 128, 64].map { Float($0) / 255 })
  }

  @Test(arguments: [[2, 3], [1, 2, 3, 2], [1, 2, 3, 5], [1, 0, 3, 3], [1, 2, 2, 3, 1]])
  func badImageShapesAreRefused(shape: [Int]) throws {
    let tensor = try randomTensor("x", .float32, shape)
    #expect(throws: TensorFormatError.self) { try PNGEncoder.encode(tensor) }
  }

  @Test func integerImagesAreRefused() throws {
    let tensor = try randomTensor("x", .int32, [1, 2, 2, 3])
    #expect(throws: TensorFormatError.self) { try PNGEncoder.encode(tensor) }
  }

  @Test func alphaOptions() throws {
    let (tensor, values) = try gridImage([1, 6, 7, 4], seed: 8)
    let file = try PNGEncoder.encode(tensor)[0]
    let rgb = (0..<42).flatMap { values[4 * $0..<4 * $0 + 3] }
    let alpha = (0..<42).map { values[4 * $0 + 3] }
    for (option, expected) in [(PNGDecodeOptions.Alpha.mask, alpha), (.invertedMask, alpha.map { 1 - $0 })] {
      let decoded = try PNGDecoder.decode(file, options: PNGDecodeOptions(alpha: option))
      #expect(decoded.image.shape == [1, 6, 7, 3])
      #expect(try floats(decoded.image) == rgb)
      #expect(decoded.mask?.shape == [1, 6, 7])
      #expect(try decoded.mask.map(floats) == expected)
    }
  }

  @Test func greyOptions() throws {
    let (tensor, values) = try gridImage([1, 3, 5, 1], seed: 10)
    let file = try PNGEncoder.encode(tensor)[0]
    let decoded = try PNGDecoder.decode(file, options: PNGDecodeOptions(alpha: .mask, greyToRGB: true))
    #expect(decoded.image.shape == [1, 3, 5, 3])
    #expect(try floats(decoded.image) == values.flatMap { [$0, $0, $0] })
    #expect(decoded.mask == nil)
  }

  @Test func textChunksRoundTrip() throws {
    let (tensor, _) = try gridImage([1, 2, 2, 3], seed: 1)
    let text = [(key: "prompt", value: "{\"a\": 1}"), (key: "workflow", value: "ünïcode ✓")]
    let decoded = try PNGDecoder.decode(PNGEncoder.encode(tensor, text: text)[0])
    #expect(decoded.text.map(\.key) == ["prompt", "workflow"])
    #expect(decoded.text.map(\.value) == text.map(\.value))
  }

  @Test(arguments: [("rgb8", 13, 11, 3, 8), ("rgba16", 13, 11, 4, 16), ("grey8", 3, 2, 1, 8), ("grey16", 9, 10, 1, 16)])
  func decodesInterlacedFixtures(name: String, width: Int, height: Int, channels: Int, depth: Int) throws {
    let directory = Fixtures.directory + "/png/"
    let decoded = try PNGDecoder.decode(path: directory + name + "_interlaced.png")
    #expect(decoded.image.shape == [1, height, width, channels])
    let raw = try readFile(directory + name + ".raw")
    let expected: [Float] =
      depth == 8
      ? raw.map { Float($0) / 255 }
      : (0..<raw.count / 2).map { Float(UInt16(raw[2 * $0]) << 8 | UInt16(raw[2 * $0 + 1])) / 65535 }
    #expect(try floats(decoded.image) == expected)
  }

  @Test func imageLimitIsEnforcedBeforeAllocating() throws {
    let (tensor, _) = try gridImage([1, 64, 64, 3], seed: 2)
    let file = try PNGEncoder.encode(tensor)[0]
    #expect(throws: TensorFormatError.self) { try PNGDecoder.decode(file, options: PNGDecodeOptions(maxPixels: 4000)) }
  }

  @Test func adam7PassesOfTinyImages() {
    let header = PNGImageHeader(width: 1, height: 1, bitDepth: 8, colorType: 0, interlaced: true)
    #expect(PNGScanlines.passes(for: header).count == 1)
    let wide = PNGImageHeader(width: 9, height: 2, bitDepth: 8, colorType: 0, interlaced: true)
    #expect(PNGScanlines.passes(for: wide).map(\.width) == [2, 1, 2, 4, 9])
  }
}
