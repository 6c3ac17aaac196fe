import PipeKit

/// How each tensor dtype (PipeKit's `DType`) is named in the file formats, and the checked size
/// arithmetic every reader uses.
extension DType {
  /// The little-endian numpy `descr` string as `np.save` writes it; `nil` for bfloat16, which
  /// numpy has no dtype for.
  var numpyDescr: String? {
    switch self {
    case .float16: "<f2"
    case .bfloat16: nil
    case .float32: "<f4"
    case .float64: "<f8"
    case .int8: "|i1"
    case .uint8: "|u1"
    case .int16: "<i2"
    case .uint16: "<u2"
    case .int32: "<i4"
    case .uint32: "<u4"
    case .int64: "<i8"
    case .uint64: "<u8"
    case .bool: "|b1"
    }
  }

  /// The dtype name in a safetensors header.
  var safetensorsName: String {
    switch self {
    case .float16: "F16"
    case .bfloat16: "BF16"
    case .float32: "F32"
    case .float64: "F64"
    case .int8: "I8"
    case .uint8: "U8"
    case .int16: "I16"
    case .uint16: "U16"
    case .int32: "I32"
    case .uint32: "U32"
    case .int64: "I64"
    case .uint64: "U64"
    case .bool: "BOOL"
    }
  }

  init?(safetensorsName name: String) {
    guard let match = DType.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
    self = match
  }

  /// A numpy `descr` such as `<f4`, `>i8` or `|u1`, with whether its bytes are big-endian.
  ///
  /// Byte order `=` (native) is read as little-endian, as numpy on this platform reads it. Numpy
  /// kinds without a tensor dtype (complex, strings, records) are refused.
  static func fromNumpy(descr: String) throws -> (dtype: DType, bigEndian: Bool) {
    let chars = Array(descr.utf8)
    guard chars.count >= 3, let order = chars.first, "<>|=".utf8.contains(order) else {
      throw TensorFormatError.unsupported("numpy dtype '\(descr)' is not a plain numeric dtype")
    }
    let code = String(decoding: chars.dropFirst(), as: UTF8.self)
    let table: [String: DType] = [
      "f2": .float16, "f4": .float32, "f8": .float64, "i1": .int8, "u1": .uint8, "i2": .int16,
      "u2": .uint16, "i4": .int32, "u4": .uint32, "i8": .int64, "u8": .uint64, "b1": .bool, "?1": .bool,
    ]
    guard let dtype = table[code] else {
      let supported = DType.allCases.compactMap(\.numpyDescr).joined(separator: " ")
      throw TensorFormatError.unsupported(
        "numpy dtype '\(descr)' has no tensor dtype; supported descrs: \(supported)")
    }
    return (dtype, order == UInt8(ascii: ">") && dtype.itemSize > 1)
  }

  /// The byte count of a tensor of this dtype and `shape`, refusing negative dimensions and
  /// products that overflow `Int` (PipeKit's `TensorRecord.byteCount`, as a throwing check).
  func byteCount(shape: [Int]) throws -> Int {
    if let bad = shape.first(where: { $0 < 0 }) {
      throw TensorFormatError.malformed("shape \(shape) has a negative dimension \(bad)")
    }
    guard let bytes = TensorRecord.byteCount(shape: shape, dtype: self) else {
      throw TensorFormatError.malformed("shape \(shape) of \(rawValue) is too large: its byte count overflows")
    }
    return bytes
  }
}
