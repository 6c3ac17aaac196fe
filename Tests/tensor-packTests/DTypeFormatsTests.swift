import PipeKit
import Testing

@testable import tensor_pack

@Suite struct DTypeFormatsTests {
  @Test func itemSizesAndNames() throws {
    #expect(DType.allCases.map(\.itemSize) == [2, 2, 4, 8, 1, 1, 2, 2, 4, 4, 8, 8, 1])
    #expect(
      DType.allCases.map(\.safetensorsName) == [
        "F16", "BF16", "F32", "F64", "I8", "U8", "I16", "U16", "I32", "U32", "I64", "U64", "BOOL",
      ])
    #expect(DType.uint16.numpyDescr == "<u2" && DType.uint32.numpyDescr == "<u4" && DType.uint64.numpyDescr == "<u8")
    #expect(DType.float32.numpyDescr == "<f4")
    #expect(DType.uint8.numpyDescr == "|u1")
    #expect(DType.bool.numpyDescr == "|b1")
    #expect(DType.bfloat16.numpyDescr == nil)
    for dtype in DType.allCases {
      #expect(DType(safetensorsName: dtype.safetensorsName) == dtype)
      if let descr = dtype.numpyDescr { #expect(try DType.fromNumpy(descr: descr) == (dtype, false)) }
    }
  }

  @Test func numpyByteOrders() throws {
    #expect(try DType.fromNumpy(descr: ">f4") == (.float32, true))
    #expect(try DType.fromNumpy(descr: "=i8") == (.int64, false))
    #expect(try DType.fromNumpy(descr: ">u1") == (.uint8, false))
    #expect(try DType.fromNumpy(descr: "<i1") == (.int8, false))
    #expect(try DType.fromNumpy(descr: ">u2") == (.uint16, true))
    #expect(try DType.fromNumpy(descr: "=u8") == (.uint64, false))
  }

  @Test(arguments: ["<c8", "<c16", "<f16", "|S10", "<U3", "|O", "<V2", "f4", ""])
  func unsupportedNumpyDescrsAreRefused(descr: String) {
    #expect(throws: TensorFormatError.self) { try DType.fromNumpy(descr: descr) }
  }

  @Test func byteCountChecksOverflowAndSign() throws {
    #expect(try DType.float32.byteCount(shape: []) == 4)
    #expect(try DType.float32.byteCount(shape: [3, 0, 5]) == 0)
    #expect(try DType.int64.byteCount(shape: [2, 3]) == 48)
    #expect(throws: TensorFormatError.self) { try DType.float32.byteCount(shape: [1 << 40, 1 << 40]) }
    #expect(throws: TensorFormatError.self) { try DType.float64.byteCount(shape: [Int.max / 4]) }
    #expect(throws: TensorFormatError.self) { try DType.uint8.byteCount(shape: [2, -1]) }
  }
}
