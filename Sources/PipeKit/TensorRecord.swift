/// Why a tensor record cannot be used. Every check happens before anything is mapped.
public struct TensorError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Where a tensor's bytes are (DESIGN.md §2 "Tensor records").
public enum TensorStorage: Sendable, Equatable {
  /// A POSIX shared-memory segment; the consumer maps it and unlinks it.
  case shm(name: String, offset: Int, nbytes: Int)
  /// A file-backed segment in `SharedMemory.fallbackDirectory` (where `/dev/shm` is missing or
  /// too small), with the same lifetime rules as `shm`.
  case shmFile(path: String, offset: Int, nbytes: Int)
  /// Raw bytes inside a file (a `.npy`, a `.safetensors`): mapped read-only, never removed.
  case file(path: String, offset: Int, nbytes: Int)
  /// Base64 bytes in the record itself, for tiny tensors.
  case inline([UInt8])

  public var nbytes: Int {
    switch self {
    case .shm(_, _, let n), .shmFile(_, _, let n), .file(_, _, let n): n
    case .inline(let bytes): bytes.count
    }
  }

  /// Whether a consumer must release the bytes after use.
  public var isConsumable: Bool {
    switch self {
    case .shm, .shmFile: true
    case .file, .inline: false
    }
  }
}

/// One `tensor` record: name, dtype, shape, optional layout, and its storage. Members this type
/// does not know (`metadata`, `id`, …) are kept in `extra` and written back.
public struct TensorRecord: Sendable, Equatable {
  public var name: String?
  public var dtype: DType
  public var shape: [Int]
  public var layout: String?
  public var storage: TensorStorage
  public var extra: JSONObject = [:]

  public static let layouts: Set<String> = ["image", "mask", "latent"]

  public init(name: String?, dtype: DType, shape: [Int], layout: String? = nil, storage: TensorStorage) {
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.layout = layout
    self.storage = storage
  }

  /// `product(shape) × itemsize`, or `nil` when a dimension is negative or the product overflows.
  public static func byteCount(shape: [Int], dtype: DType) -> Int? {
    var total = dtype.itemSize
    for dim in shape {
      guard dim >= 0 else { return nil }
      let (product, overflow) = total.multipliedReportingOverflow(by: dim)
      if overflow { return nil }
      total = product
    }
    return total
  }

  public var elementCount: Int { shape.reduce(1, *) }

  /// Whether a JSON value is a tensor record (an object with `"type": "tensor"`).
  public static func isTensor(_ value: JSON) -> Bool { value["type"] == "tensor" }

  /// Reads and checks a record: known dtype, a shape of non-negative integers, a known layout,
  /// storage of a known kind, and `nbytes == product(shape) × itemsize` without overflow.
  public init(record: JSONObject) throws(TensorError) {
    guard record.type == "tensor" else { throw TensorError("not a tensor record") }
    let dtypeText = record["dtype"]?.stringValue ?? ""
    guard let dtype = DType(rawValue: dtypeText) else {
      throw TensorError(
        "unknown dtype '\(dtypeText)'; expected one of \(DType.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    guard let dims = record["shape"]?.arrayValue else { throw TensorError("\"shape\" must be an array of integers") }
    var shape: [Int] = []
    for dim in dims {
      guard let n = dim.intValue, n >= 0, case .number(let text) = dim, !text.contains("."), !text.contains("e") else {
        throw TensorError("\"shape\" must hold non-negative integers, found \(dim.serialized)")
      }
      shape.append(n)
    }
    if let layout = record["layout"], layout != .null {
      guard let text = layout.stringValue, TensorRecord.layouts.contains(text) else {
        throw TensorError("unknown layout \(layout.serialized); expected image, mask or latent")
      }
      self.layout = text
    }
    guard let expected = TensorRecord.byteCount(shape: shape, dtype: dtype) else {
      throw TensorError("shape \(dims.map(\.serialized)) is too large: its byte count overflows")
    }
    guard let storage = record["storage"]?.objectValue else { throw TensorError("\"storage\" must be an object") }
    let parsed = try TensorRecord.parseStorage(storage)
    guard parsed.nbytes == expected else {
      throw TensorError(
        "storage holds \(parsed.nbytes) bytes but shape \(shape) of \(dtype.rawValue) needs \(expected)")
    }
    self.name = record["name"]?.stringValue
    self.dtype = dtype
    self.shape = shape
    self.storage = parsed
    for (key, value) in record where !["type", "name", "dtype", "shape", "layout", "storage"].contains(key) {
      extra[key] = value
    }
  }

  /// Reads a record's `storage` object.
  public static func parseStorage(_ s: JSONObject) throws(TensorError) -> TensorStorage {
    func count(_ key: String) throws(TensorError) -> Int {
      guard let n = s[key]?.intValue, n >= 0 else {
        throw TensorError("storage \"\(key)\" must be a non-negative integer")
      }
      return n
    }
    switch s["kind"]?.stringValue {
    case "shm":
      let offset = try count("offset")
      let nbytes = try count("nbytes")
      guard offset <= Int.max - nbytes else { throw TensorError("storage offset + nbytes overflows") }
      if let path = s["path"]?.stringValue {
        guard SharedMemory.isValidFallbackPath(path) else { throw TensorError(SharedMemory.fallbackPathMessage) }
        return .shmFile(path: path, offset: offset, nbytes: nbytes)
      }
      guard let name = s["name"]?.stringValue, SharedMemory.isValidName(name) else {
        throw TensorError("shm storage needs a \"name\" like /cpipes-PID-HEX")
      }
      return .shm(name: name, offset: offset, nbytes: nbytes)
    case "file":
      guard let path = s["path"]?.stringValue, !path.isEmpty else { throw TensorError("file storage needs a \"path\"") }
      let offset = try count("offset")
      let nbytes = try count("nbytes")
      guard offset <= Int.max - nbytes else { throw TensorError("storage offset + nbytes overflows") }
      return .file(path: path, offset: offset, nbytes: nbytes)
    case "inline":
      guard let text = s["base64"]?.stringValue, let bytes = Base64.decode(text) else {
        throw TensorError("inline storage needs valid \"base64\"")
      }
      return .inline(bytes)
    case let kind:
      throw TensorError("unknown storage kind \(kind.map { "'\($0)'" } ?? "(missing)"); expected shm, file or inline")
    }
  }

  /// The record as JSON.
  public var record: JSONObject {
    var r: JSONObject = ["type": "tensor"]
    if let name { r["name"] = .string(name) }
    r["dtype"] = .string(dtype.rawValue)
    r["shape"] = .array(shape.map { .int($0) })
    if let layout { r["layout"] = .string(layout) }
    switch storage {
    case .shm(let name, let offset, let nbytes):
      r["storage"] = ["kind": "shm", "name": .string(name), "offset": .int(offset), "nbytes": .int(nbytes)]
    case .shmFile(let path, let offset, let nbytes):
      r["storage"] = ["kind": "shm", "path": .string(path), "offset": .int(offset), "nbytes": .int(nbytes)]
    case .file(let path, let offset, let nbytes):
      r["storage"] = ["kind": "file", "path": .string(path), "offset": .int(offset), "nbytes": .int(nbytes)]
    case .inline(let bytes):
      r["storage"] = ["kind": "inline", "base64": .string(Base64.encode(bytes))]
    }
    for (key, value) in extra { r[key] = value }
    return r
  }
}

extension TensorRecord {
  /// Every tensor record inside a JSON value, at any depth, with the path of keys and indexes
  /// that leads to it (`["outputs", "0", "samples"]`).
  public static func findAll(in value: JSON, path: [String] = []) -> [(path: [String], record: JSONObject)] {
    switch value {
    case .object(let object):
      if object.type == "tensor" { return [(path, object)] }
      return object.flatMap { findAll(in: $0.value, path: path + [$0.key]) }
    case .array(let items):
      return items.enumerated().flatMap { findAll(in: $0.element, path: path + [String($0.offset)]) }
    default:
      return []
    }
  }

  /// `value` with every tensor record inside it, at any depth, replaced by `transform` of it;
  /// visited in the order `findAll` lists them.
  public static func replacingAll(in value: JSON, _ transform: (JSONObject) throws -> JSON) rethrows -> JSON {
    switch value {
    case .object(let object):
      if object.type == "tensor" { return try transform(object) }
      return .object(JSONObject(try object.map { ($0.key, try replacingAll(in: $0.value, transform)) }))
    case .array(let items):
      return .array(try items.map { try replacingAll(in: $0, transform) })
    default:
      return value
    }
  }
}
