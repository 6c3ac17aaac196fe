/// Size arithmetic that cannot trap: every sum and product over sizes read from a file goes
/// through here and gives `nil` on overflow or on a negative operand.
enum Checked {
  static func add(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? nil : sum
  }

  static func multiply(_ a: Int, _ b: Int) -> Int? {
    guard a >= 0, b >= 0 else { return nil }
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? nil : product
  }

  static func product(_ values: [Int]) -> Int? {
    var result = 1
    for value in values {
      guard let next = multiply(result, value) else { return nil }
      result = next
    }
    return result
  }

  /// A `UInt64` read from a file as an `Int`, or `nil` when it does not fit.
  static func int(_ value: UInt64) -> Int? { value <= UInt64(Int.max) ? Int(value) : nil }
}

extension Array where Element == UInt8 {
  /// Appends `value` as little-endian bytes.
  mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
    var v = value.littleEndian
    Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
  }

  /// Appends `value` as big-endian bytes (PNG).
  mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
    var v = value.bigEndian
    Swift.withUnsafeBytes(of: &v) { append(contentsOf: $0) }
  }

  /// Reads a little-endian integer at `offset`; bytes past the end are an error naming `what`.
  func loadLE<T: FixedWidthInteger>(_: T.Type, at offset: Int, what: String = "record") throws -> T {
    try load(T.self, at: offset, what: what, bigEndian: false)
  }

  /// Reads a big-endian integer at `offset` (PNG).
  func loadBE<T: FixedWidthInteger>(_: T.Type, at offset: Int, what: String = "chunk") throws -> T {
    try load(T.self, at: offset, what: what, bigEndian: true)
  }

  private func load<T: FixedWidthInteger>(_: T.Type, at offset: Int, what: String, bigEndian: Bool) throws -> T {
    let size = MemoryLayout<T>.size
    guard offset >= 0, offset <= count - size else {
      throw TensorFormatError.malformed("\(what) ends early: needs \(size) bytes at offset \(offset) of \(count)")
    }
    var value: T = 0
    for k in 0..<size {
      let byte = T(self[offset + (bigEndian ? k : size - 1 - k)])
      value = value << 8 | byte
    }
    return value
  }
}
