import Glibc
import PipeKit

/// A tensor file being written, atomically: PipeKit's `AtomicFile` (a temporary
/// `.NAME.tensor-pack-PID.part` beside its place, hashed as it is written, flushed and only then
/// named; removed when released uncommitted or when the tool is stopped) with tensor-pack's own
/// way of writing a large run: around the page cache (`DirectWriter`) where the file system
/// allows. Errors do not repeat the path: writers put it in front with `withErrorContext`.
final class OutputFile {
  private let file: AtomicFile
  /// The final path; for a file that must not replace another, the name `commit()` took.
  var path: String { file.path }
  /// Bytes written so far, which is the offset of the next write.
  var position: Int { file.position }
  /// Writes this large go around the page cache (`DirectWriter`) where the file system allows.
  static let directThreshold = 64 << 20
  /// The bytes written in the block `position` is in, kept for a direct write that starts there;
  /// `nil` once a hole or a patch makes them unknown.
  private var tail: [UInt8]? = []
  /// The name temporary files carry.
  static let tool = "tensor-pack"

  /// A new file at `path`, replacing any file there on `commit()`.
  init(path: String) throws {
    file = try Self.io { try AtomicFile(path: path, tool: Self.tool) }
  }

  /// A new file `directory/stem.ext` (the stem made safe with PipeKit's `SafeFileName`); with
  /// `overwrite` it replaces a file of that name on `commit()`, else it takes the first free name
  /// of `stem.ext`, `stem-1.ext`, ….
  init(directory: String, stem: String, ext: String, overwrite: Bool) throws {
    file = try Self.io {
      try AtomicFile(directory: directory, stem: stem, ext: ext, overwrite: overwrite, tool: Self.tool)
    }
  }

  /// `.NAME.tensor-pack-PID.part`, the temporary name of a file being written.
  static func partialName(_ base: String, pid: pid_t) -> String {
    AtomicFile.partialName(base, tool: tool, pid: pid)
  }

  /// Removes the `.part` files in `directory` that a tensor-pack killed before it could remove
  /// them left behind, once their process is gone and they have not been written for
  /// `olderThan` seconds (`AtomicFile.sweep`). Returns the paths removed.
  static func sweep(_ directory: String, olderThan: Double = 60) -> [String] {
    AtomicFile.sweep(directory, tool: tool, olderThan: olderThan)
  }

  /// Writes all of `bytes`, hashing them as they go; a large run goes around the page cache.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    let start = position
    if bytes.count >= Self.directThreshold, let tail,
      let direct = FileDescriptor.openForDirectWrites(file.temporaryPath)
    {
      defer { direct.close() }
      var newTail = tail
      try Self.io {
        try file.write(bytes) { (bytes, hash) in
          newTail = try DirectWriter.write(
            bytes, at: start, tail: tail, direct: direct, fd: file.descriptor, before: hash)
        }
      }
      self.tail = newTail
    } else {
      try Self.io { try file.write(bytes) }
      keepTail(bytes, from: start)
    }
  }

  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  /// Keeps the bytes of the block the position ends in, after `bytes` were written at `start`.
  private func keepTail(_ bytes: UnsafeRawBufferPointer, from start: Int) {
    guard let tail else { return }
    let keep = (start + bytes.count) % DirectWriter.block
    if bytes.count >= keep {
      self.tail = Array(bytes[(bytes.count - keep)...])
    } else {
      self.tail = Array(tail.suffix(keep - bytes.count)) + Array(bytes)
    }
  }

  /// The SHA-256 of the file's bytes as written, when they were written front to back; once.
  func takeSHA256() -> String? { file.takeSHA256() }

  /// Moves `count` bytes forward without writing, leaving a hole (a sparse region reading as zeros).
  func skip(_ count: Int) throws {
    try Self.io { try file.skip(count) }
    tail = nil
  }

  /// Overwrites bytes already written at `offset` (a header completed after its data).
  func patch(_ bytes: [UInt8], at offset: Int) throws {
    tail = nil
    try Self.io { try file.patch(bytes, at: offset) }
  }

  /// Flushes the file to the disk, closes it and gives it its name (`AtomicFile.commit`).
  func commit() throws {
    try Self.io { try file.commit() }
  }

  /// Runs `body`, its `SystemError` an `io` error of tensor-pack ("write failed: No space left …").
  private static func io<R>(_ body: () throws -> R) throws -> R {
    do {
      return try body()
    } catch let error as SystemError {
      throw TensorFormatError.io(error.description)
    }
  }
}
