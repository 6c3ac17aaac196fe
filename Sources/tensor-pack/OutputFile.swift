import Dispatch
import Glibc
import PipeKit

/// A file being written, atomically: bytes go to a temporary `.NAME.tensor-pack-PID.part` in
/// the destination directory, and `commit()` flushes it to the disk (`fdatasync`) and only then
/// gives it its name. Released without a commit, or when the tool is stopped (SIGINT, SIGTERM,
/// SIGHUP), the temporary file is removed; a killed process leaves at most a `.part` file, which
/// `OutputFile.sweep` removes later. So a file under its final name is always complete.
/// Errors do not repeat the path: writers put it in front with `withErrorContext`.
/// The corresponding C functions are `write`, `pwrite`, `lseek`, `fdatasync`, `link` and `rename`.
final class OutputFile {
  /// The final path; for a file that must not replace another, the name `commit()` took.
  private(set) var path: String
  /// Bytes written so far, which is the offset of the next write.
  private(set) var position = 0
  private let writingPath: String
  private let naming: Naming
  private let fd: FileDescriptor
  private var closed = false
  private var committed = false
  private var stopToken: Int?
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

  /// How `commit()` names the file.
  private enum Naming {
    /// Renamed onto `path`, replacing any file there.
    case replace
    /// The first of `stem.ext`, `stem-1.ext`, … in `directory` that is free, taken atomically.
    case newName(directory: String, stem: String, ext: String)
  }

  /// A new file at `path`, replacing any file there on `commit()`.
  convenience init(path: String) throws {
    try self.init(path: path, naming: .replace)
  }

  /// A new file `directory/stem.ext` (the stem made safe with PipeKit's `SafeFileName`); with
  /// `overwrite` it replaces a file of that name on `commit()`, else it takes the first free name
  /// of `stem.ext`, `stem-1.ext`, ….
  convenience init(directory: String, stem: String, ext: String, overwrite: Bool) throws {
    let safe = SafeFileName.make(stem)
    try self.init(
      path: "\(directory)/\(SafeFileName.candidate(safe, ext: ext, attempt: 0))",
      naming: overwrite ? .replace : .newName(directory: directory, stem: safe, ext: ext))
  }

  private init(path: String, naming: Naming) throws {
    let slash = path.lastIndex(of: "/")
    let directory = slash.map { String(path[...$0]) } ?? ""
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temporary = "\(directory)\(OutputFile.partialName(base, pid: getpid()))"
    unlink(temporary)  // a dead run's, under a reused pid; never written through (a link's target)
    fd = try systemCall("cannot create") {
      try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644)
    }
    self.path = path
    self.naming = naming
    writingPath = temporary
    stopToken = Termination.onStop { unlink(temporary) }
  }

  deinit {
    if !closed { fd.close() }
    if !committed { unlink(writingPath) }
    if let stopToken { Termination.cancel(stopToken) }
  }

  /// `.NAME.tensor-pack-PID.part`: hidden, and never a name a reader of the directory takes for
  /// a finished file.
  static func partialName(_ base: String, pid: pid_t) -> String { ".\(base)\(partialTag)\(pid).part" }
  private static let partialTag = ".tensor-pack-"

  /// Removes the `.part` files in `directory` that a tensor-pack killed before it could remove
  /// them left behind: those whose process is gone and that have not been written for
  /// `olderThan` seconds (another machine or container writing into a shared directory may
  /// have the same pid). Returns the paths removed.
  static func sweep(_ directory: String, olderThan: Double = 60) -> [String] {
    var removed: [String] = []
    for name in listDirectoryNames(directory) ?? [] where name.hasPrefix(".") && name.hasSuffix(".part") {
      let body = name.dropLast(5)
      guard let dash = body.lastIndex(of: "-"), body[...dash].hasSuffix(partialTag),
        let pid = pid_t(body[body.index(after: dash)...]), processIsGone(pid)
      else { continue }
      let full = "\(directory)/\(name)"
      var info = stat()
      guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
      if secondsSinceModified(info) >= olderThan && unlink(full) == 0 { removed.append(full) }
    }
    return removed
  }

  /// Writes all of `bytes` (PipeKit's `writeAll`: short writes and `EINTR` retried), hashing
  /// them on a second thread as they go, so a large tensor costs about one pass, not two.
  func write(_ bytes: UnsafeRawBufferPointer) throws {
    if bytes.count < 2 * Self.overlapChunk || digest == nil {
      digest?.update(bytes)
      try systemCall("write failed") { try fd.writeAll(bytes) }
      keepTail(bytes)
    } else {
      let hashed = DispatchGroup()
      let running = RunningDigest(digest!)
      defer {
        hashed.wait()
        digest = running.digest
      }
      let hash: (UnsafeRawBufferPointer) -> Void = { piece in
        nonisolated(unsafe) let piece = piece
        Self.hashing.async(group: hashed) { running.digest.update(piece) }
      }
      if bytes.count >= Self.directThreshold, let tail, let direct = FileDescriptor.openForDirectWrites(writingPath) {
        defer { direct.close() }
        self.tail = try systemCall("write failed") {
          try DirectWriter.write(bytes, at: position, tail: tail, direct: direct, fd: fd, before: hash)
        }
        _ = try systemCall("cannot seek") {
          try valueOrErrno("lseek") { lseek(fd.rawValue, off_t(position + bytes.count), SEEK_SET) }
        }
      } else {
        keepTail(bytes)
        var start = 0
        while start < bytes.count {
          let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + Self.overlapChunk, bytes.count)])
          hash(chunk)
          try systemCall("write failed") { try fd.writeAll(chunk) }
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

  /// Flushes the file to the disk, closes it and gives it its name: `rename` onto `path`, or
  /// for a file that must not replace another, `link` to the first free name (atomic: a name
  /// taken meanwhile is never overwritten) and then the temporary name removed.
  func commit() throws {
    closed = true
    let synced = fdatasync(fd.rawValue) == 0 || errno == EINVAL || errno == EROFS
    let syncError = errnoText()
    guard close(fd.rawValue) == 0 else { throw TensorFormatError.io("close failed: \(errnoText())") }
    guard synced else { throw TensorFormatError.io("cannot flush to the disk: \(syncError)") }
    switch naming {
    case .replace:
      guard rename(writingPath, path) == 0 else {
        throw TensorFormatError.io("cannot rename into place: \(errnoText())")
      }
    case .newName(let directory, let stem, let ext):
      path = try linkToFreeName(directory: directory, stem: stem, ext: ext)
      unlink(writingPath)
    }
    committed = true
    if let stopToken { Termination.cancel(stopToken) }
    stopToken = nil
  }

  /// Links the written file to the first free name of `stem.ext`, `stem-1.ext`, … in `directory`.
  /// Where the file system has no hard links, a name checked free is renamed onto instead.
  private func linkToFreeName(directory: String, stem: String, ext: String) throws -> String {
    for attempt in 0..<SafeFileName.candidateCount {
      let candidate = "\(directory)/\(SafeFileName.candidate(stem, ext: ext, attempt: attempt))"
      if link(writingPath, candidate) == 0 { return candidate }
      switch errno {
      case EEXIST: continue
      case EPERM, EOPNOTSUPP, EMLINK, ENOSYS:
        var info = stat()
        if lstat(candidate, &info) == 0 { continue }
        guard rename(writingPath, candidate) == 0 else { break }
        return candidate
      default: break
      }
      throw TensorFormatError.io("cannot name the file \(candidate): \(errnoText())")
    }
    throw TensorFormatError.io("cannot name the file: \(SafeFileName.candidateCount) names are taken")
  }
}

/// A digest updated on the hashing queue and read once its group is done.
private final class RunningDigest: @unchecked Sendable {
  var digest: SHA256
  init(_ digest: SHA256) { self.digest = digest }
}
