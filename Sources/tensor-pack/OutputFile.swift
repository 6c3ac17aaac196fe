import Dispatch
import Glibc
import PipeKit

/// A file being written. Made from a path, bytes go to a temporary `<path>.partial-<pid>` beside
/// it, which `commit()` renames onto `path`; made from a descriptor the caller opened (e.g. with
/// PipeKit's `SafeFileName.create`), bytes go straight to that file. Released without a commit,
/// the partial file is removed, so a failed write never leaves a half-written file behind.
/// Errors do not repeat the path: writers put it in front with `withErrorContext`.
/// The corresponding C functions are `write`, `pwrite`, `lseek` and `rename`.
final class OutputFile {
  let path: String
  /// Bytes written so far, which is the offset of the next write.
  private(set) var position = 0
  private let writingPath: String
  private let fd: FileDescriptor
  private var closed = false
  private var committed = false
  /// The SHA-256 of the bytes written, kept while they are written front to back; a hole or a
  /// patch ends it (`sha256` is then `nil` and the file must be read back).
  private var digest: SHA256? = SHA256()
  /// Large writes are hashed here, chunk by chunk, while the next chunk is being written.
  private static let hashing = DispatchQueue(label: "tensor-pack.output-hash")
  private static let overlapChunk = 8 << 20
  /// Writes this large go around the page cache (`DirectWriter`) where the file system allows.
  static let directThreshold = 64 << 20
  /// The bytes written in the block `position` is in, kept for a direct write that starts there;
  /// `nil` once a hole or a patch makes them unknown.
  private var tail: [UInt8]? = []

  /// A new file at `path`, replacing any file there on `commit()`.
  convenience init(path: String) throws {
    let temporary = "\(path).partial-\(getpid())"
    let fd = try systemCall("cannot create") {
      try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, mode: 0o644)
    }
    self.init(adopting: fd, path: path, writingPath: temporary)
  }

  /// Writes into `fd`, an empty file just created at `path`; the file takes over the descriptor.
  convenience init(adopting fd: FileDescriptor, path: String) {
    self.init(adopting: fd, path: path, writingPath: path)
  }

  private init(adopting fd: FileDescriptor, path: String, writingPath: String) {
    self.fd = fd
    self.path = path
    self.writingPath = writingPath
  }

  deinit {
    if !closed { fd.close() }
    if !committed { unlink(writingPath) }
  }

  /// Writes all of `bytes` (PipeKit's `writeAll`: short writes and `EINTR` retried), hashing
  /// them on a second thread as they go, so a large tensor costs about one pass, not two. When
  /// `bytes` lie in `source`, a consumed segment, its memory is freed behind the write: each
  /// chunk once it is both written and hashed (`MappedRegion.discard`).
  func write(_ bytes: UnsafeRawBufferPointer, freeing source: MappedRegion? = nil) throws {
    if bytes.count < 2 * Self.overlapChunk || digest == nil {
      digest?.update(bytes)
      try systemCall("write failed") { try fd.writeAll(bytes) }
      keepTail(bytes)
    } else {
      let hashed = DispatchGroup()
      let running = RunningDigest(digest!)
      let freeing = source.flatMap { FreedBehind($0, bytes) }
      defer {
        hashed.wait()
        digest = running.digest
        freeing?.finish()
      }
      let hash: (UnsafeRawBufferPointer) -> Void = { piece in
        nonisolated(unsafe) let piece = piece
        Self.hashing.async(group: hashed) {
          running.digest.update(piece)
          freeing?.hashed(piece)
        }
      }
      let written: (UnsafeRawBufferPointer) -> Void = { freeing?.written($0) }
      if bytes.count >= Self.directThreshold, let tail, let direct = FileDescriptor.openForDirectWrites(writingPath) {
        defer { direct.close() }
        self.tail = try systemCall("write failed") {
          try DirectWriter.write(bytes, at: position, tail: tail, direct: direct, fd: fd, before: hash, after: written)
        }
        _ = try systemCall("cannot seek") {
          try valueOrErrno("lseek") { lseek(fd.rawValue, off_t(position + bytes.count), SEEK_SET) }
        }
      } else {
        keepTail(bytes)  // now: the source's pages may be freed as they are written
        var start = 0
        while start < bytes.count {
          let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + Self.overlapChunk, bytes.count)])
          hash(chunk)
          try systemCall("write failed") { try fd.writeAll(chunk) }
          written(chunk)
          start += chunk.count
        }
      }
    }
    position += bytes.count
  }

  /// Keeps the bytes of the block the position ends in, after `bytes` were written at `position`.
  private func keepTail(_ bytes: UnsafeRawBufferPointer) {
    guard let tail else { return }
    let keep = (position + bytes.count) % DirectWriter.block
    if bytes.count >= keep {
      self.tail = Array(bytes[(bytes.count - keep)...])
    } else {
      self.tail = Array(tail.suffix(keep - bytes.count)) + Array(bytes)
    }
  }

  /// The SHA-256 of the file's bytes as written, when they were written front to back; once.
  func takeSHA256() -> String? {
    defer { digest = nil }
    return digest?.finalize()
  }

  func write(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { try write($0) }
  }

  /// Moves `count` bytes forward without writing, leaving a hole (a sparse region reading as zeros).
  func skip(_ count: Int) throws {
    guard let target = Checked.add(position, count) else { throw TensorFormatError.io("cannot seek that far") }
    _ = try systemCall("cannot seek") { try valueOrErrno("lseek") { lseek(fd.rawValue, off_t(target), SEEK_SET) } }
    position = target
    digest = nil
    tail = nil
  }

  /// Overwrites bytes already written at `offset` (a header completed after its data).
  func patch(_ bytes: [UInt8], at offset: Int) throws {
    guard offset >= 0, offset + bytes.count <= position else {
      throw TensorFormatError.io("patch outside the bytes written")
    }
    digest = nil
    tail = nil
    var done = 0
    while done < bytes.count {
      done += try systemCall("write failed") {
        try valueOrErrno("pwrite") {
          bytes.withUnsafeBytes {
            pwrite(fd.rawValue, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
          }
        }
      }
    }
  }

  /// Closes the file and, when it was written beside its path, renames it into place.
  func commit() throws {
    closed = true
    guard close(fd.rawValue) == 0 else { throw TensorFormatError.io("close failed: \(errnoText())") }
    if writingPath != path {
      guard rename(writingPath, path) == 0 else {
        throw TensorFormatError.io("cannot rename into place: \(errnoText())")
      }
    }
    committed = true
  }
}

/// A digest updated on the hashing queue and read once its group is done.
private final class RunningDigest: @unchecked Sendable {
  var digest: SHA256
  init(_ digest: SHA256) { self.digest = digest }
}

/// Frees a consumed segment's memory behind a write: the bytes up to where they are both written
/// and hashed. Progress comes from two threads; the state and the frees are on one queue.
private final class FreedBehind: @unchecked Sendable {
  private let region: MappedRegion
  private let queue = DispatchQueue(label: "tensor-pack.free-behind")
  private var writtenEnd = 0
  private var hashedEnd = 0

  /// Nil unless `bytes` lie in `region` and freeing its pages frees memory.
  init?(_ region: MappedRegion, _ bytes: UnsafeRawBufferPointer) {
    guard region.canDiscard, let base = region.base, let start = bytes.baseAddress,
      start >= UnsafeRawPointer(base), start + bytes.count <= UnsafeRawPointer(base) + region.count
    else { return nil }
    self.region = region
  }

  func written(_ piece: UnsafeRawBufferPointer) { advance(piece) { $0.writtenEnd = $1 } }
  func hashed(_ piece: UnsafeRawBufferPointer) { advance(piece) { $0.hashedEnd = $1 } }

  /// Waits until the frees asked for so far are done.
  func finish() { queue.sync {} }

  private func advance(_ piece: UnsafeRawBufferPointer, _ update: @escaping @Sendable (FreedBehind, Int) -> Void) {
    let end = UnsafeRawPointer(piece.baseAddress!) + piece.count - UnsafeRawPointer(region.base!)
    queue.async {
      update(self, end)
      self.region.discard(through: min(self.writtenEnd, self.hashedEnd))
    }
  }
}
