import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Files whose headers lie about lengths, offsets, sizes or shapes are refused with a message.
@Suite struct LyingHeaderTests {
  private func npy(_ dict: String, body: [UInt8]) -> [UInt8] {
    var out = NpyHeader.magic + [1, 0]
    let padded = Array(dict.utf8) + [0x0A]
    out.appendLE(UInt16(padded.count))
    return out + padded + body
  }

  @Test func npyLies() throws {
    let dir = TemporaryDirectory()
    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"
    try expectRefused("npy", npy(good, body: [0, 0, 0]), "short data", in: dir)
    try expectRefused("npy", npy(good, body: []).patchedLE(UInt16(60000), at: 8), "header length", in: dir)
    let huge = "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"
    try expectRefused("npy", npy(huge, body: [0, 0, 0, 0]), "shape overflow", in: dir)
    let big = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    try expectRefused("npy", npy(big, body: []), "terabyte shape", in: dir)
    var v2 = NpyHeader.magic + [2, 0]
    v2.appendLE(UInt32.max)
    try expectRefused("npy", v2, "v2 length", in: dir)
    try expectRefused("npy", NpyHeader.magic + [9, 0, 0, 0], "version", in: dir)
    try expectRefused("npy", Array("PK\u{3}\u{4}not npy".utf8), "magic", in: dir)
  }

  private func safetensors(_ header: String, buffer: [UInt8] = []) -> [UInt8] {
    var out: [UInt8] = []
    out.appendLE(UInt64(header.utf8.count))
    return out + Array(header.utf8) + buffer
  }

  @Test func safetensorsLies() throws {
    let dir = TemporaryDirectory()
    let eight = [UInt8](repeating: 1, count: 8)
    let cases: [(String, [UInt8])] = [
      ("not json", safetensors("{\"a\":", buffer: eight)),
      ("not an object", safetensors("[1, 2]")),
      ("past the buffer", safetensors(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, buffer: eight)),
      ("size mismatch", safetensors(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, buffer: eight)),
      ("reversed", safetensors(#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}"#, buffer: eight)),
      ("negative", safetensors(#"{"a":{"dtype":"U8","shape":[2],"data_offsets":[-2,0]}}"#, buffer: eight)),
      (
        "overlap",
        safetensors(
          #"{"a":{"dtype":"U8","shape":[6],"data_offsets":[0,6]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#,
          buffer: eight)
      ),
      (
        "shape overflow",
        safetensors(#"{"a":{"dtype":"U8","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, buffer: eight)
      ),
      ("negative dim", safetensors(#"{"a":{"dtype":"U8","shape":[-8],"data_offsets":[0,8]}}"#, buffer: eight)),
      ("fraction", safetensors(#"{"a":{"dtype":"U8","shape":[2.5],"data_offsets":[0,8]}}"#, buffer: eight)),
      ("no offsets", safetensors(#"{"a":{"dtype":"U8","shape":[8]}}"#, buffer: eight)),
      ("metadata value", safetensors(#"{"__metadata__":{"k":1}}"#)),
      ("header length", safetensors("{}").patchedLE(UInt64.max, at: 0)),
      ("header past end", safetensors("{}").patchedLE(UInt64(3), at: 0)),
      ("too short", [1, 0, 0]),
    ]
    for (note, bytes) in cases { try expectRefused("safetensors", bytes, note, in: dir) }
  }

  @Test func zipLies() throws {
    let dir = TemporaryDirectory()
    let good = try SampleFiles.make("npz", in: dir)
    let deflated = try SampleFiles.make("npz-deflated", in: dir)
    let end = good.count - 22
    let directory = Int(try good.loadLE(UInt32.self, at: end + 16))
    let deflatedDirectory = Int(try deflated.loadLE(UInt32.self, at: deflated.count - 22 + 16))
    let cases: [(String, [UInt8])] = [
      ("directory offset", good.patchedLE(UInt32(good.count), at: end + 16)),
      ("directory size", good.patchedLE(UInt32(0x7FFF_FFFF), at: end + 12)),
      ("entry count", good.patchedLE(UInt16(500), at: end + 10)),
      ("zip64 sentinel without record", good.patchedLE(UInt32.max, at: end + 16)),
      ("local header offset", good.patchedLE(UInt32(good.count - 10), at: directory + 42)),
      ("local header signature", good.patchedLE(UInt32(1), at: 0)),
      ("stored sizes differ", good.patchedLE(UInt32(10), at: directory + 20)),
      ("member size", good.patchedLE(UInt32(10), at: directory + 20).patchedLE(UInt32(10), at: directory + 24)),
      (
        "member past the end",
        good.patchedLE(UInt32(0x7000_0000), at: directory + 20).patchedLE(UInt32(0x7000_0000), at: directory + 24)
      ),
      ("encrypted", good.patchedLE(UInt16(1), at: directory + 8)),
      ("method", good.patchedLE(UInt16(12), at: directory + 10)),
      ("bomb", deflated.patchedLE(UInt32(0xFFFF_FFF0), at: deflatedDirectory + 24)),
      ("crc", deflated.patchedLE(UInt32(0xDEAD_BEEF), at: deflatedDirectory + 16)),
      ("no end record", Array(good.prefix(end)) + [UInt8](repeating: 0, count: 22)),
    ]
    for (note, bytes) in cases { try expectRefused("npz", bytes, note, in: dir) }
  }

  @Test func pngLies() throws {
    let dir = TemporaryDirectory()
    let row: [UInt8] = [0, 1, 2, 3]
    let ok = try zlibData(row + row)
    let valid = craftPNG(width: 3, height: 2, chunks: [("IDAT", ok), ("IEND", [])])
    #expect(try PNGDecoder.decode(valid).image.shape == [1, 2, 3, 1])
    var badCRC = valid
    badCRC[20] ^= 1
    let cases: [(String, [UInt8])] = [
      ("crc", badCRC),
      ("chunk length", valid.patchedLE(UInt32(0xF0FF_FF7F), at: 33)),
      ("no IEND", craftPNG(width: 3, height: 2, chunks: [("IDAT", ok)])),
      ("no IDAT", craftPNG(width: 3, height: 2, chunks: [("IEND", [])])),
      ("huge", craftPNG(width: 0x7FFF_FFFF, height: 0x7FFF_FFFF, chunks: [("IDAT", ok), ("IEND", [])])),
      ("short data", craftPNG(width: 3000, height: 2000, chunks: [("IDAT", ok), ("IEND", [])])),
      ("zero width", craftPNG(width: 0, height: 2, chunks: [("IDAT", ok), ("IEND", [])])),
      ("depth", craftPNG(width: 3, height: 2, depth: 16, colorType: 3, chunks: [("IDAT", ok), ("IEND", [])])),
      ("colour type", craftPNG(width: 3, height: 2, colorType: 5, chunks: [("IDAT", ok), ("IEND", [])])),
      ("interlace method", craftPNG(width: 3, height: 2, interlace: 2, chunks: [("IDAT", ok), ("IEND", [])])),
      ("filter", craftPNG(width: 3, height: 2, chunks: [("IDAT", try zlibData([7, 1, 2, 3] + row)), ("IEND", [])])),
      ("truncated rows", craftPNG(width: 3, height: 2, chunks: [("IDAT", try zlibData(row)), ("IEND", [])])),
      ("corrupt zlib", craftPNG(width: 3, height: 2, chunks: [("IDAT", [0x78, 0x9C, 0xFF, 0xEE]), ("IEND", [])])),
      ("no palette", craftPNG(width: 3, height: 2, colorType: 3, chunks: [("IDAT", ok), ("IEND", [])])),
      (
        "palette index",
        craftPNG(width: 3, height: 2, colorType: 3, chunks: [("PLTE", [1, 2, 3]), ("IDAT", ok), ("IEND", [])])
      ),
      (
        "palette size",
        craftPNG(width: 3, height: 2, colorType: 3, chunks: [("PLTE", [1, 2]), ("IDAT", ok), ("IEND", [])])
      ),
      ("tRNS size", craftPNG(width: 3, height: 2, chunks: [("tRNS", [0]), ("IDAT", ok), ("IEND", [])])),
      ("critical chunk", craftPNG(width: 3, height: 2, chunks: [("ABCD", []), ("IDAT", ok), ("IEND", [])])),
      ("IHDR size", craftPNG(width: 3, height: 2, chunks: [("IHDR", [0]), ("IDAT", ok), ("IEND", [])])),
      ("signature", Array(valid.dropFirst())),
    ]
    for (note, bytes) in cases { try expectRefused("png", bytes, note, in: dir) }
    let ancillary = craftPNG(width: 3, height: 2, chunks: [("abCD", [1]), ("IDAT", ok), ("IEND", [])])
    #expect(try PNGDecoder.decode(ancillary).image.shape == [1, 2, 3, 1])
  }
}
