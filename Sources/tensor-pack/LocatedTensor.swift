import PipeKit

/// Where a tensor's raw little-endian, C-contiguous bytes are.
enum TensorBytes: Sendable, Equatable {
  /// Raw in a file (a `.npy` body, a safetensors buffer, a stored `.npz` member): the caller can
  /// reference them in place, zero-copy, as `file` storage (see `storage`).
  case file(path: String, offset: Int, nbytes: Int)
  /// Decoded into memory: deflated `.npz` members, PNG decodes, and arrays that had to be converted
  /// (big-endian or Fortran-order `.npy`).
  case owned([UInt8])
  /// Already mapped by the caller, e.g. a record's shared-memory segment from PipeKit's
  /// `SharedMemory.map`, to be written to a file. Compared by identity.
  case mapped(MappedRegion)

  var nbytes: Int {
    switch self {
    case .file(_, _, let nbytes): nbytes
    case .owned(let bytes): bytes.count
    case .mapped(let region): region.count
    }
  }

  /// The record storage for bytes that sit raw in a file; `nil` for bytes in memory.
  var storage: TensorStorage? {
    if case .file(let path, let offset, let nbytes) = self { return .file(path: path, offset: offset, nbytes: nbytes) }
    return nil
  }

  static func == (a: TensorBytes, b: TensorBytes) -> Bool {
    switch (a, b) {
    case (.file(let p, let o, let n), .file(let q, let r, let m)): p == q && o == r && n == m
    case (.owned(let x), .owned(let y)): x == y
    case (.mapped(let x), .mapped(let y)): x === y
    default: false
    }
  }
}

/// One tensor as a file holds it: name, dtype, shape, and where its bytes sit.
///
/// The initializer checks `nbytes == product(shape) × itemsize` (with overflow checks), so a
/// value of this type always describes a consistent tensor. Offsets inside files are checked by
/// the readers that make these values and again by `withBytes` before anything is mapped.
struct LocatedTensor: Sendable, Equatable {
  var name: String
  var dtype: DType
  var shape: [Int]
  var bytes: TensorBytes

  init(name: String, dtype: DType, shape: [Int], bytes: TensorBytes) throws {
    let expected = try dtype.byteCount(shape: shape)
    guard bytes.nbytes == expected else {
      throw TensorFormatError.malformed(
        "tensor '\(name)' holds \(bytes.nbytes) bytes but \(dtype.rawValue) \(shape) needs \(expected)")
    }
    if case .file(_, let offset, _) = bytes, offset < 0 {
      throw TensorFormatError.malformed("tensor '\(name)' has a negative offset \(offset)")
    }
    self.name = name
    self.dtype = dtype
    self.shape = shape
    self.bytes = bytes
  }

  /// A tensor over bytes in memory.
  init(name: String, dtype: DType, shape: [Int], owned: [UInt8]) throws {
    try self.init(name: name, dtype: dtype, shape: shape, bytes: .owned(owned))
  }

  var nbytes: Int { bytes.nbytes }

  /// Calls `body` with the tensor's bytes: in memory directly, file bytes mapped read-only with
  /// PipeKit's `SharedMemory.map` (which first checks that the range lies inside the file).
  func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
    switch bytes {
    case .owned(let owned):
      return try owned.withUnsafeBytes(body)
    case .mapped(let region):
      return try region.withBytes(body)
    case .file(let path, _, _):
      let region: MappedRegion
      do {
        region = try SharedMemory.map(bytes.storage ?? .inline([]), consume: false)
      } catch let error as TensorError {
        throw TensorFormatError.malformed("\(path): tensor '\(name)': \(error.message)")
      } catch let error as SystemError {
        throw TensorFormatError.io("\(path): tensor '\(name)': \(error.description)")
      }
      return try region.withBytes(body)
    }
  }

  /// Writes the tensor's bytes to `out`.
  func writeBytes(into out: OutputFile) throws {
    try withBytes { try out.write($0) }
  }

  /// The tensor's bytes as an array (a copy unless they are owned).
  func loadBytes() throws -> [UInt8] {
    if case .owned(let owned) = bytes { return owned }
    return try withBytes { Array($0) }
  }
}
