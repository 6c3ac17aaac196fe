/// The element types a tensor record may carry; always little-endian.
public enum DType: String, Sendable, CaseIterable {
  case float16, bfloat16, float32, float64, int8, uint8, int16, uint16, int32, uint32, int64, uint64, bool

  /// Bytes per element.
  public var itemSize: Int {
    switch self {
    case .int8, .uint8, .bool: 1
    case .float16, .bfloat16, .int16, .uint16: 2
    case .float32, .int32, .uint32: 4
    case .float64, .int64, .uint64: 8
    }
  }
}
