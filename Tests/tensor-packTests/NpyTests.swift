import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct NpyTests {
  @Test(arguments: DType.allCases.filter { $0 != .bfloat16 })
  func roundTripsEveryShape(dtype: DType) throws {
    let dir = TemporaryDirectory()
    for (k, shape) in testShapes.enumerated() {
      let tensor = try randomTensor("t", dtype, shape, seed: UInt64(k + 1))
      let path = dir.file("t\(k).npy")
      try Npy.write(tensor, to: path)
      let back = try Npy.read(path: path, name: "t")
      #expect(back.dtype == dtype)
      #expect(back.shape == shape)
      #expect(try back.loadBytes() == tensor.loadBytes())
      guard case .file(let file, let offset, let nbytes) = back.bytes else {
        Issue.record("a C-order little-endian npy should be referenced in place")
        continue
      }
      #expect(file == path && offset % 64 == 0 && nbytes == tensor.nbytes)
    }
  }

  @Test func multiMegabyteRoundTrip() throws {
    let dir = TemporaryDirectory()
    let tensor = try randomTensor("big", .float32, [1, 768, 1024, 3], seed: 9)
    try Npy.write(tensor, to: dir.file("big.npy"))
    let back = try Npy.read(path: dir.file("big.npy"))
    #expect(back.name == "big")
    #expect(try back.loadBytes() == tensor.loadBytes())
  }

  @Test func headerMatchesNumpy() throws {
    let header = try NpyHeader.encode(dtype: .float32, shape: [2, 3])
    #expect(header.count == 128)
    let text = String(decoding: header[10...], as: UTF8.self)
    #expect(text.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"))
    #expect(text.hasSuffix(" \n"))
    #expect(header[8] == 118 && header[9] == 0)
    let scalar = String(decoding: try NpyHeader.encode(dtype: .bool, shape: [])[10...], as: UTF8.self)
    #expect(scalar.hasPrefix("{'descr': '|b1', 'fortran_order': False, 'shape': (), }"))
    let vector = String(decoding: try NpyHeader.encode(dtype: .int64, shape: [5])[10...], as: UTF8.self)
    #expect(vector.contains("'shape': (5,), }"))
  }

  @Test func longHeadersSwitchToVersionTwo() throws {
    let shape = [Int](repeating: 1, count: 30_000)
    let header = try NpyHeader.encode(dtype: .uint8, shape: shape)
    #expect(header[6] == 2)
    #expect(header.count % 64 == 0)
    var offset = 0
    let parsed = try NpyHeader.read { count, _ in
      defer { offset += count }
      return Array(header[offset..<offset + count])
    }
    #expect(parsed.shape == shape && parsed.dataOffset == header.count)
  }

  @Test func bfloat16IsRefused() throws {
    let dir = TemporaryDirectory()
    let tensor = try randomTensor("b", .bfloat16, [2])
    #expect(throws: TensorFormatError.self) { try Npy.write(tensor, to: dir.file("b.npy")) }
  }

  @Test func parsesHeaderVariants() throws {
    let python2 = try NpyHeader.parse(
      "{'descr': '<i8', 'fortran_order': False, 'shape': (2L, 3L), }  \n", dataOffset: 64)
    #expect(python2.shape == [2, 3])
    let quoted = try NpyHeader.parse("{\"shape\": (4,), \"descr\": \"|u1\", \"fortran_order\": True}", dataOffset: 64)
    #expect(quoted.shape == [4] && quoted.fortranOrder)
  }

  @Test(arguments: [
    "{'descr': '<f4', 'fortran_order': False}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}",
    "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}",
    "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)",
    "{'descr': '<f4', 'fortran_order': False, 'shape': 2}",
    "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}",
    "['descr']",
    "{'descr': '<f4' 'fortran_order': False}",
    String(repeating: "(", count: 100),
  ])
  func malformedHeadersAreRefused(text: String) {
    #expect(throws: TensorFormatError.self) { try NpyHeader.parse(text, dataOffset: 64) }
  }

  @Test func bigEndianAndFortranAreConverted() throws {
    let dir = TemporaryDirectory()
    // '>i2' Fortran-order [2, 3] holding 0…5 in C order: column-major big-endian bytes.
    let dict = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }"
    var header = NpyHeader.magic + [1, 0]
    let padded = Array(dict.utf8) + [UInt8](repeating: 0x20, count: 128 - 10 - dict.utf8.count - 1) + [0x0A]
    header.appendLE(UInt16(padded.count))
    header += padded
    let columnMajor: [Int16] = [0, 3, 1, 4, 2, 5]
    var body: [UInt8] = []
    for v in columnMajor { body.appendBE(v) }
    try writeFile(dir.file("fb.npy"), header + body)
    let tensor = try Npy.read(path: dir.file("fb.npy"))
    var expected: [UInt8] = []
    for v: Int16 in 0..<6 { expected.appendLE(v) }
    #expect(tensor.dtype == .int16 && tensor.shape == [2, 3])
    #expect(try tensor.loadBytes() == expected)
    guard case .owned = tensor.bytes else {
      Issue.record("converted arrays are owned")
      return
    }
  }

  @Test func fortranToCReordersThreeDimensions() {
    // shape [2, 3, 2], element value = C-order index; Fortran order lists index i0 fastest.
    var fortran: [UInt8] = []
    for i2 in 0..<2 { for i1 in 0..<3 { for i0 in 0..<2 { fortran.append(UInt8(i0 * 6 + i1 * 2 + i2)) } } }
    #expect(LayoutConversion.fortranToC(fortran, shape: [2, 3, 2], itemSize: 1) == Array(0..<12))
  }
}
