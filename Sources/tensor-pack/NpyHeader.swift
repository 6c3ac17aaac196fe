import PipeKit

/// The header of an `.npy` array (numpy NEP 1, versions 1.0, 2.0 and 3.0).
///
/// Layout: the magic `\x93NUMPY`, a major and minor version byte, the header length (`<u2` in
/// version 1.0, `<u4` in 2.0 and 3.0), then the header: a Python dict literal with exactly the keys
/// `descr`, `fortran_order` and `shape`, padded with spaces and a newline. Versions 1.0 and 2.0
/// are Latin-1, 3.0 is UTF-8. The array's bytes follow the header.
struct NpyHeader: Equatable {
  static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
  /// Headers beyond this are refused (numpy itself refuses over 10 000 bytes without pickle).
  static let maxHeaderLength = 1 << 20

  var dtype: DType
  /// The bytes are big-endian (`>f4`): readers swap them.
  var bigEndian: Bool
  /// The bytes are in Fortran (column-major) order: readers reorder them.
  var fortranOrder: Bool
  var shape: [Int]
  /// Where the array's bytes begin: the whole header's length, magic included.
  var dataOffset: Int
  /// `product(shape) × itemsize`.
  var nbytes: Int

  /// Whether the bytes need reordering or swapping before they are C-order little-endian.
  var needsConversion: Bool {
    bigEndian || (fortranOrder && shape.filter { $0 > 1 }.count > 1)
  }

  /// Reads a header through `next`, which returns the next `count` bytes of the file or member
  /// (or throws when there are fewer).
  static func read(_ next: (_ count: Int, _ what: String) throws -> [UInt8]) throws -> NpyHeader {
    let prelude = try next(8, "the npy magic and version")
    guard prelude.count == 8, Array(prelude[0..<6]) == magic else {
      throw TensorFormatError.malformed("not an npy file (bad magic)")
    }
    let major = prelude[6]
    let length: Int
    switch major {
    case 1: length = Int(try next(2, "the npy header length").loadLE(UInt16.self, at: 0))
    case 2, 3: length = Int(try next(4, "the npy header length").loadLE(UInt32.self, at: 0))
    default: throw TensorFormatError.unsupported("npy format version \(major).\(prelude[7]) is not supported")
    }
    guard length <= maxHeaderLength else {
      throw TensorFormatError.malformed("npy header length \(length) is larger than the \(maxHeaderLength) accepted")
    }
    let headerBytes = try next(length, "the npy header")
    let text =
      major == 3
      ? String(validating: headerBytes, as: UTF8.self)
      : String(String.UnicodeScalarView(headerBytes.map { Unicode.Scalar($0) }))
    guard let text else { throw TensorFormatError.malformed("npy 3.0 header is not valid UTF-8") }
    let prefixLength = major == 1 ? 10 : 12
    return try parse(text, dataOffset: prefixLength + length)
  }

  /// Interprets the dict literal `text`.
  static func parse(_ text: String, dataOffset: Int) throws -> NpyHeader {
    guard case .dict(let keys, let items) = try PythonLiteral.parse(text) else {
      throw TensorFormatError.malformed("npy header is not a dict")
    }
    guard keys.sorted() == ["descr", "fortran_order", "shape"] else {
      throw TensorFormatError.malformed(
        "npy header must have exactly the keys descr, fortran_order, shape; it has \(keys)")
    }
    let values = Dictionary(uniqueKeysWithValues: zip(keys, items))
    guard case .string(let descr) = values["descr"] else {
      throw TensorFormatError.unsupported("npy descr is not a simple dtype string (structured arrays are not tensors)")
    }
    guard case .bool(let fortran) = values["fortran_order"] else {
      throw TensorFormatError.malformed("npy fortran_order is not True or False")
    }
    guard case .tuple(let dims) = values["shape"] else { throw TensorFormatError.malformed("npy shape is not a tuple") }
    var shape: [Int] = []
    for dim in dims {
      guard case .int(let n) = dim, n >= 0 else {
        throw TensorFormatError.malformed("npy shape has an entry that is not a non-negative integer")
      }
      shape.append(n)
    }
    let (dtype, bigEndian) = try DType.fromNumpy(descr: descr)
    let nbytes = try dtype.byteCount(shape: shape)
    return NpyHeader(
      dtype: dtype, bigEndian: bigEndian, fortranOrder: fortran, shape: shape, dataOffset: dataOffset,
      nbytes: nbytes)
  }

  /// The header `np.save` writes for a C-order little-endian array: version 1.0 (2.0 when it does
  /// not fit), the dict with numpy's spare space for growing the first axis, padded so the data
  /// starts on a 64-byte boundary. The result is byte-identical to numpy's.
  /// The header `np.save` writes (`alignment` 64); a larger alignment pads it further, so the
  /// data starts on a block boundary of the file (`np.load` reads any padding).
  static func encode(dtype: DType, shape: [Int], alignment: Int = 64) throws -> [UInt8] {
    guard let descr = dtype.numpyDescr else {
      throw TensorFormatError.unwritable("bfloat16 has no numpy dtype; write it as safetensors instead")
    }
    _ = try dtype.byteCount(shape: shape)
    let dims = shape.map(String.init)
    let shapeText = "(" + dims.joined(separator: ", ") + (dims.count == 1 ? ",)" : ")")
    var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
    if let first = dims.first { dict += String(repeating: " ", count: max(0, 21 - first.count)) }
    let body = Array(dict.utf8)
    for (major, lengthSize) in [(UInt8(1), 2), (UInt8(2), 4)] {
      let fixed = 6 + 2 + lengthSize
      let headerLength = body.count + 1
      let padding = alignment - (fixed + headerLength) % alignment
      let total = headerLength + padding
      if lengthSize == 2 && total > Int(UInt16.max) { continue }
      guard total <= Int(UInt32.max) else { break }
      var out = magic + [major, 0]
      if lengthSize == 2 { out.appendLE(UInt16(total)) } else { out.appendLE(UInt32(total)) }
      out += body + [UInt8](repeating: 0x20, count: padding) + [0x0A]
      return out
    }
    throw TensorFormatError.unwritable("npy header for shape \(shape) is too long")
  }
}
