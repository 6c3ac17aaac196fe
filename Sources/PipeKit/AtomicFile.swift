import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// A file written atomically: bytes go to a temporary `.NAME.TOOL-PID.part` beside its final
/// place, hashed (SHA-256) as they are written, and `commit()` flushes it to the disk
/// (`fdatasync`) and only then gives it its name, by `rename` onto the path or by `link` to the
/// first free name. Released without a commit, or when the tool is stopped (SIGINT, SIGTERM,
/// SIGHUP), the temporary file is removed; a killed process leaves at most a `.part` file, which
/// `AtomicFile.sweep` removes later. So a file under its final name is always complete.
/// Errors are `SystemError`s whose `call` says what failed ("write failed", "cannot flush to the
/// disk", …) and never repeat the path. The corresponding C functions are `open`, `write`,
/// `pwrite`, `lseek`, `ftruncate`, `fdatasync`, `link`, `rename` and `unlink`.
public final class AtomicFile {
  /// How `commit()` names the file.
  public enum Naming: Sendable {
    /// Renamed onto the path, replacing any file there.
    case replace
    /// The first of `stem.ext`, `stem-1.ext`, … (`SafeFileName.candidate`) in the path's
    /// directory that is free, taken atomically: a name taken meanwhile is never overwritten.
    case newName(stem: String, ext: String)
  }

  /// The final path; for a file that must not replace another, the name `commit()` took.
  public private(set) var path: String
  /// Bytes written so far, which is the offset of the next write.
  public private(set) var position = 0
  /// Where the bytes are written until `commit()`.
  public let temporaryPath: String
  /// The temporary file, open for writing; for writers that write through it themselves
  /// (`write(_:through:)`).
  public let descriptor: FileDescriptor
  private let directory: String
  private let naming: Naming
  private var closed = false
  private var committed = false
  private var stopToken: Int?
  /// The SHA-256 of the bytes written, kept while they are written front to back; a hole, a
  /// patch or a write out of order ends it (`takeSHA256()` is then `nil`).
  private var digest: SHA256? = SHA256()

  /// A new file at `path`, for `tool` (the name its temporary file carries), named on `commit()`
  /// as `naming` says.
  public init(path: String, tool: String, naming: Naming = .replace) throws(SystemError) {
    let slash = path.lastIndex(of: "/")
    directory = slash.map { String(path[..<$0]) } ?? "."
    let prefix = slash.map { String(path[...$0]) } ?? ""
    let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
    (temporaryPath, descriptor) = try Self.createTemporary(prefix: prefix, base: base, tool: tool)
    self.path = path
    self.naming = naming
    stopToken = Termination.onStop { [temporaryPath] in unlink(temporaryPath) }
  }

  /// A new file `directory/stem.ext`, the stem made safe with `SafeFileName.make`; with
  /// `overwrite` it replaces a file of that name on `commit()`, else it takes the first free name
  /// of `stem.ext`, `stem-1.ext`, ….
  public convenience init(
    directory: String, stem: String, ext: String, overwrite: Bool, tool: String
  ) throws(SystemError) {
    let safe = SafeFileName.make(stem)
    try self.init(
      path: "\(directory)/\(SafeFileName.candidate(safe, ext: ext, attempt: 0))", tool: tool,
      naming: overwrite ? .replace : .newName(stem: safe, ext: ext))
  }

  deinit {
    if !closed { descriptor.close() }
    if !committed {
      unlink(temporaryPath)
      Self.release(temporaryPath)
    }
    if let stopToken { Termination.cancel(stopToken) }
  }

  // MARK: Temporary names

  /// `.NAME.TOOL-PID.part`: hidden, and never a name a reader of the directory takes for a
  /// finished file.
  public static func partialName(_ base: String, tool: String, pid: pid_t) -> String {
    ".\(base).\(tool)-\(pid).part"
  }

  /// The temporary paths this process is writing, so that two writers of one name (two threads
  /// of remote-fetch) never share one: the second gets `.NAME.1.TOOL-PID.part`.
  nonisolated(unsafe) private static var inUse: Set<String> = []
  private static let inUseLock = Lock()

  private static func createTemporary(prefix: String, base: String, tool: String) throws(SystemError) -> (
    String, FileDescriptor
  ) {
    let pid = getpid()
    let (temporary, raw, failure) = inUseLock.withLock { () -> (String, Int32, Int32) in
      var attempt = 0
      var temporary = prefix + partialName(base, tool: tool, pid: pid)
      while inUse.contains(temporary) {
        attempt += 1
        temporary = prefix + partialName("\(base).\(attempt)", tool: tool, pid: pid)
      }
      unlink(temporary)  // a dead run's, under a reused pid; never written through (a link's target)
      var raw: Int32
      repeat {
        raw = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
      } while raw < 0 && errno == EINTR
      if raw >= 0 { inUse.insert(temporary) }
      return (temporary, raw, errno)
    }
    guard raw >= 0 else { throw SystemError("cannot create", errno: failure) }
    return (temporary, FileDescriptor(rawValue: raw))
  }

  private static func release(_ temporary: String) {
    inUseLock.withLock { _ = inUse.remove(temporary) }
  }

  /// Removes the `.part` files of `tool` in `directory` that a run killed before it could remove
  /// them left behind: those whose process is gone and that have not been written for
  /// `olderThan` seconds (another machine or container writing into a shared directory may
  /// have the same pid). Returns the paths removed.
  @discardableResult
  public static func sweep(_ directory: String, tool: String, olderThan: Double) -> [String] {
    let tag = ".\(tool)-"
    var removed: [String] = []
    for name in listDirectoryNames(directory) ?? [] where name.hasPrefix(".") && name.hasSuffix(".part") {
      let body = name.dropLast(5)
      guard let dash = body.lastIndex(of: "-"), body[...dash].hasSuffix(tag),
        let pid = pid_t(body[body.index(after: dash)...]), processIsGone(pid)
      else { continue }
      let full = "\(directory)/\(name)"
      var info = stat()
      guard lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
      if secondsSinceModified(info) >= olderThan && unlink(full) == 0 { removed.append(full) }
    }
    return removed
  }

  // MARK: Writing

  /// Large writes are hashed here, chunk by chunk, while the next chunk is being written.
  private static let hashing = DispatchQueue(label: "pipekit.atomic-file-hash")
  private static let overlapChunk = 8 << 20

  /// Writes all of `bytes` at the position (short writes and `EINTR` retried), hashing them as
  /// they go; a large run is hashed on a second thread while it is written, so it costs about
  /// one pass, not two.
  public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
    try write(bytes) { (bytes, hash) throws(SystemError) in
      var start = 0
      while start < bytes.count {
        let chunk = UnsafeRawBufferPointer(rebasing: bytes[start..<min(start + Self.overlapChunk, bytes.count)])
        hash(chunk)
        try writeAll(chunk)
        start += chunk.count
      }
    }
  }

  public func write(_ bytes: [UInt8]) throws(SystemError) {
    var failure: SystemError?
    bytes.withUnsafeBytes { (raw) in
      do throws(SystemError) {
        try write(raw)
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
  }

  /// Writes `bytes` at the position with `writer`, which writes them all in order however it
  /// likes (around the page cache, say) and calls `hash` with each piece before or while it
  /// writes it. Afterwards the descriptor's offset is the new position.
  public func write(
    _ bytes: UnsafeRawBufferPointer,
    through writer: (UnsafeRawBufferPointer, _ hash: (UnsafeRawBufferPointer) -> Void) throws -> Void
  ) throws(SystemError) {
    let end = position + bytes.count
    if bytes.count < 2 * Self.overlapChunk || digest == nil {
      try failing("write failed") { try writer(bytes) { self.digest?.update($0) } }
    } else {
      let hashed = DispatchGroup()
      let running = RunningDigest(digest!)
      defer {
        hashed.wait()
        digest = running.digest
      }
      try failing("write failed") {
        try writer(bytes) { piece in
          nonisolated(unsafe) let piece = piece
          Self.hashing.async(group: hashed) { running.digest.update(piece) }
        }
      }
    }
    position = end
    _ = try failing("cannot seek") { try valueOrErrno("lseek") { lseek(descriptor.rawValue, off_t(end), SEEK_SET) } }
  }

  private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
    try failing("write failed") { try descriptor.writeAll(bytes) }
  }

  /// Moves `count` bytes forward without writing, leaving a hole (a sparse region reading as
  /// zeros); the digest is given up.
  public func skip(_ count: Int) throws(SystemError) {
    let (target, overflow) = position.addingReportingOverflow(count)
    guard count >= 0, !overflow, target <= Int(Int64.max) else {
      throw SystemError("cannot seek that far", errno: EOVERFLOW)
    }
    _ = try failing("cannot seek") { try valueOrErrno("lseek") { lseek(descriptor.rawValue, off_t(target), SEEK_SET) } }
    position = target
    digest = nil
  }

  /// Overwrites bytes already written at `offset` (a header completed after its data); the
  /// digest is given up.
  public func patch(_ bytes: [UInt8], at offset: Int) throws(SystemError) {
    guard offset >= 0, offset + bytes.count <= position else {
      throw SystemError("patch outside the bytes written", errno: EINVAL)
    }
    digest = nil
    var done = 0
    while done < bytes.count {
      done += try failing("write failed") {
        try valueOrErrno("pwrite") {
          bytes.withUnsafeBytes {
            pwrite(descriptor.rawValue, $0.baseAddress! + done, bytes.count - done, off_t(offset + done))
          }
        }
      }
    }
  }

  /// Empties the file to write it again from the start (a download that restarts).
  public func restart() throws(SystemError) {
    _ = try failing("cannot truncate") { try valueOrErrno("ftruncate") { ftruncate(descriptor.rawValue, 0) } }
    _ = try failing("cannot seek") { try valueOrErrno("lseek") { lseek(descriptor.rawValue, 0, SEEK_SET) } }
    position = 0
    digest = SHA256()
  }

  /// The SHA-256 of the file's bytes as written, when they were written front to back; once.
  public func takeSHA256() -> String? {
    defer { digest = nil }
    return digest?.finalize()
  }

  // MARK: Naming

  /// Flushes the file to the disk, closes it and gives it its name: `rename` onto `path`, or
  /// for a file that must not replace another, `link` to the first free name (atomic: a name
  /// taken meanwhile is never overwritten) and then the temporary name removed.
  public func commit() throws(SystemError) {
    closed = true
    let synced = fdatasync(descriptor.rawValue) == 0 || errno == EINVAL || errno == EROFS
    let syncError = errno
    guard Glibc.close(descriptor.rawValue) == 0 else { throw SystemError("close failed", errno: errno) }
    guard synced else { throw SystemError("cannot flush to the disk", errno: syncError) }
    switch naming {
    case .replace:
      guard rename(temporaryPath, path) == 0 else { throw SystemError("cannot rename into place", errno: errno) }
    case .newName(let stem, let ext):
      path = try linkToFreeName(stem: stem, ext: ext)
      unlink(temporaryPath)
    }
    committed = true
    Self.release(temporaryPath)
    if let stopToken { Termination.cancel(stopToken) }
    stopToken = nil
  }

  /// Links the written file to the first free name of `stem.ext`, `stem-1.ext`, … in the
  /// directory. Where the file system has no hard links, a name checked free is renamed onto.
  private func linkToFreeName(stem: String, ext: String) throws(SystemError) -> String {
    for attempt in 0..<SafeFileName.candidateCount {
      let candidate = "\(directory)/\(SafeFileName.candidate(stem, ext: ext, attempt: attempt))"
      if link(temporaryPath, candidate) == 0 { return candidate }
      switch errno {
      case EEXIST: continue
      case EPERM, EOPNOTSUPP, EMLINK, ENOSYS:
        var info = stat()
        if lstat(candidate, &info) == 0 { continue }
        guard rename(temporaryPath, candidate) == 0 else { break }
        return candidate
      default: break
      }
      throw SystemError("cannot name the file \(candidate)", errno: errno)
    }
    throw SystemError("cannot name the file: \(SafeFileName.candidateCount) names are taken", errno: EEXIST)
  }

  /// Runs `body`, turning any failure into a `SystemError` named `what` (keeping its `errno`).
  private func failing<R>(_ what: String, _ body: () throws -> R) throws(SystemError) -> R {
    do {
      return try body()
    } catch let error as SystemError {
      throw SystemError(what, errno: error.errno)
    } catch {
      throw SystemError(what, errno: EIO)
    }
  }
}

/// A digest updated on the hashing queue and read once its group is done.
private final class RunningDigest: @unchecked Sendable {
  var digest: SHA256
  init(_ digest: SHA256) { self.digest = digest }
}
