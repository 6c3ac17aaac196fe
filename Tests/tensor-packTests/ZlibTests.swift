import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct ZlibTests {
  @Test func crcMatchesKnownValue() {
    #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    #expect(CRC32.checksum([]) == 0)
  }

  @Test(arguments: [ZlibFormat.raw, .zlib])
  func deflateInflateRoundTrip(format: ZlibFormat) throws {
    var random = TestRandom(seed: 3)
    let data = random.bytes(300_000) + [UInt8](repeating: 7, count: 500_000)
    let compressed = try data.withUnsafeBytes { try Zlib.deflate($0, format: format) }
    #expect(compressed.count < data.count)
    #expect(try Zlib.inflate(compressed, format: format, outputSize: data.count) == data)
    #expect(throws: TensorFormatError.self) { try Zlib.inflate(compressed, format: format, outputSize: data.count + 1) }
    #expect(throws: TensorFormatError.self) {
      try Zlib.inflate(Array(compressed.prefix(compressed.count / 2)), format: format, outputSize: data.count)
    }
  }

  @Test func corruptStreamsThrow() {
    #expect(throws: TensorFormatError.self) {
      try Zlib.inflate([0x78, 0x9C, 0xFF, 0xFF, 0xFF], format: .zlib, outputSize: 10)
    }
    #expect(throws: TensorFormatError.self) { try Zlib.inflate([0x12, 0x34], format: .zlib, outputSize: 10) }
    #expect(throws: TensorFormatError.self) { try Zlib.inflate([], format: .raw, outputSize: 1) }
  }
}
