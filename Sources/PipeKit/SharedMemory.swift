import CPipeShims
import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// A memory mapping of a tensor's bytes; unmapped when the last reference goes.
public final class MappedRegion: @unchecked Sendable {
  /// The tensor's first byte (`nil` for an empty tensor).
  public let base: UnsafeMutableRawPointer?
  public let count: Int
  private let mapping: UnsafeMutableRawPointer?
  private let mappingLength: Int
  /// A consumed segment that no name links to any more, open for writing, and the file offset
  /// of `base`: `discard` frees its pages (see `SharedMemory.map`).
  private var segment: (fd: FileDescriptor, offset: Int)?
  /// The file offset up to which `discard` has freed the segment.
  private var discarded: Int?

  init(mapping: UnsafeMutableRawPointer?, mappingLength: Int, skip: Int, count: Int) {
    self.mapping = mapping
    self.mappingLength = mappingLength
    self.base = mapping.map { $0 + skip }
    self.count = count
  }

  /// Whether `discard` frees memory: the region is a consumed segment that no name links to
  /// any more. (A producer may still have it mapped, but by comfy-pipes(7) it does not read a
  /// segment again once handed on, unless it pools it under a name of its own.)
  public var canDiscard: Bool { segment != nil }

  /// Frees the memory of the whole pages before `end` (an offset into `bytes`) not freed yet,
  /// for a consumer that reads a consumed segment once, front to back: the memory goes back as
  /// it reads instead of all at exit. The bytes before `end` read as zeros afterwards. Does
  /// nothing for other regions, or where the file system cannot punch holes. Not thread-safe.
  /// The C call is `fallocate(PUNCH_HOLE | KEEP_SIZE)`.
  public func discard(through end: Int) {
    guard let segment else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = discarded ?? (segment.offset + page - 1) / page * page
    let stop = (segment.offset + min(end, count)) / page * page
    guard stop > start else { return }
    if cpipes_punch_hole(segment.fd.rawValue, Int64(start), Int64(stop - start)) != 0 {
      self.segment?.fd.close()
      self.segment = nil
    }
    discarded = stop
  }

  /// Lets `discard` free the pages of the segment open as `fd`, when no name links to it.
  func keepForDiscard(_ fd: FileDescriptor, offset: Int) -> Bool {
    var info = stat()
    guard mapping != nil, fstat(fd.rawValue, &info) == 0, info.st_nlink == 0 else { return false }
    segment = (fd, offset)
    return true
  }

  /// The bytes; valid only while the region is alive (prefer `withBytes`).
  public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

  /// Runs `body` over the bytes, keeping the mapping alive until it returns.
  public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
    try withExtendedLifetime(self) { try body(bytes) }
  }
  public var mutableBytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: count) }

  deinit {
    if let mapping { munmap(mapping, mappingLength) }
    segment?.fd.close()
  }

  /// Maps `count` bytes at `offset` of an open file. The C function is `mmap`; the offset is
  /// rounded down to a page and the pointer moved back up.
  static func map(_ fd: FileDescriptor, offset: Int, count: Int, writable: Bool) throws -> MappedRegion {
    guard count > 0 else { return MappedRegion(mapping: nil, mappingLength: 0, skip: 0, count: 0) }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = offset - offset % page
    let length = offset - start + count
    let protection = writable ? PROT_READ | PROT_WRITE : PROT_READ
    let pointer = mmap(nil, length, protection, MAP_SHARED | (writable ? MAP_POPULATE : 0), fd.rawValue, off_t(start))
    guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap", errno: errno) }
    return MappedRegion(mapping: pointer, mappingLength: length, skip: offset - start, count: count)
  }
}

/// POSIX shared-memory segments for tensors (DESIGN.md §2): created with O_EXCL and mode 0600
/// under an unguessable name that carries the creator's pid; the consumer maps then unlinks.
public enum SharedMemory {
  public static let prefix = "cpipes"

  static func freshName() -> String {
    let hex = String(UInt64.random(in: .min ... .max), radix: 16)
    return "\(prefix)-\(getpid())-\(String(repeating: "0", count: 16 - hex.count) + hex)"
  }

  /// Whether `/dev/shm` can hold `nbytes` more.
  static func shmHasRoom(_ nbytes: Int) -> Bool {
    var info = statvfs()
    guard statvfs("/dev/shm", &info) == 0 else { return false }
    return Int(info.f_bavail) * Int(info.f_frsize) > nbytes + (1 << 20)
  }

  /// Creates a writable segment of `nbytes`: a POSIX one when `/dev/shm` has room, else a file
  /// under the fallback directory. Until the storage is handed on, a stop removes it.
  public static func create(nbytes: Int, preferFile: Bool = false) throws -> (TensorStorage, MappedRegion) {
    try withNewSegment(nbytes: nbytes, preferFile: preferFile) { storage, fd in
      try reserve(fd, nbytes)
      return (storage, try MappedRegion.map(fd, offset: 0, count: nbytes, writable: true))
    }
  }

  /// Creates a segment holding `nbytes` of `source` from `offset`, copied inside the kernel
  /// (`sendfile`): no mapping and no zeroing of the new pages, about twice as fast as `create`
  /// and a copy for raw bytes that already sit in a file. A large copy is split over the CPUs
  /// (each part through its own descriptor of the segment), since the cost is mostly the
  /// kernel's allocating the new pages, which a virtual machine's host may be slow to hand out.
  public static func create(nbytes: Int, copying source: FileDescriptor, at offset: Int) throws -> TensorStorage {
    let cpus = max(1, min(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 8))
    return try create(nbytes: nbytes, copying: source, at: offset, parts: max(1, min(cpus, nbytes / copyPartBytes)))
  }

  /// `create(nbytes:copying:at:)` in `parts` parallel parts.
  static func create(nbytes: Int, copying source: FileDescriptor, at offset: Int, parts: Int) throws -> TensorStorage {
    try withNewSegment(nbytes: nbytes, preferFile: false) { storage, fd in
      _ = try valueOrErrno("ftruncate") { ftruncate(fd.rawValue, off_t(nbytes)) }
      let per = (nbytes / parts + 4095) / 4096 * 4096
      let failures = Lock()
      nonisolated(unsafe) var failure: Error?
      DispatchQueue.concurrentPerform(iterations: parts) { part in
        let start = part * per
        let count = min(per, nbytes - start)
        guard count > 0 else { return }
        do {
          let out = part == 0 ? fd : try reopen(storage)
          defer { if part != 0 { out.close() } }
          try copy(count, from: source, at: offset + start, into: out, at: start)
        } catch {
          failures.withLock { if failure == nil { failure = error } }
        }
      }
      if let failure { throw failure }
      return storage
    }
  }

  /// Below this, a copy runs on one CPU.
  static let copyPartBytes = 64 << 20

  /// `count` bytes of `source` at `offset` into `out` at `position` (`sendfile`).
  static func copy(
    _ count: Int, from source: FileDescriptor, at offset: Int, into out: FileDescriptor, at position: Int
  )
    throws
  {
    _ = try valueOrErrno("lseek") { lseek(out.rawValue, off_t(position), SEEK_SET) }
    var input = off_t(offset)
    var done = 0
    while done < count {
      let n = try valueOrErrno("sendfile") { sendfile(out.rawValue, source.rawValue, &input, count - done) }
      guard n > 0 else { throw TensorError("the source ends \(count - done) bytes before the tensor does") }
      done += n
    }
  }

  /// A second descriptor of a segment just created, with a file position of its own.
  static func reopen(_ storage: TensorStorage) throws -> FileDescriptor {
    switch storage {
    case .shm(let name, _, _):
      FileDescriptor(rawValue: try valueOrErrno("shm_open \(name)") { shm_open(name, O_RDWR, 0) })
    case .shmFile(let path, _, _), .file(let path, _, _):
      try FileDescriptor.open(path, O_RDWR | O_NOFOLLOW)
    case .inline:
      throw TensorError("an inline tensor has no segment")
    }
  }

  /// Opens a new segment for `body`, removing it again when `body` throws.
  static func withNewSegment<R>(
    nbytes: Int, preferFile: Bool, _ body: (TensorStorage, FileDescriptor) throws -> R
  ) throws -> R {
    let name = freshName()
    let storage: TensorStorage
    let fd: FileDescriptor
    if !preferFile && shmHasRoom(nbytes) {
      fd = FileDescriptor(
        rawValue: try valueOrErrno("shm_open") { shm_open("/" + name, O_CREAT | O_EXCL | O_RDWR, 0o600) })
      storage = .shm(name: "/" + name, offset: 0, nbytes: nbytes)
    } else {
      let path = "\(try checkedFallbackDirectory(create: true))/\(name)"
      fd = try FileDescriptor.open(path, O_CREAT | O_EXCL | O_RDWR | O_NOFOLLOW, mode: 0o600)
      storage = .shmFile(path: path, offset: 0, nbytes: nbytes)
    }
    defer { fd.close() }
    do {
      return try body(storage, fd)
    } catch {
      release(storage)
      throw error
    }
  }

  /// Sizes a new segment and allocates its pages now (`posix_fallocate`): a full `/dev/shm` is an
  /// error here rather than a SIGBUS on first write, and pages come in one batch, not one fault
  /// at a time.
  static func reserve(_ fd: FileDescriptor, _ nbytes: Int) throws {
    _ = try valueOrErrno("ftruncate") { ftruncate(fd.rawValue, off_t(nbytes)) }
    guard nbytes > 0 else { return }
    let result = posix_fallocate(fd.rawValue, 0, off_t(nbytes))
    if result != 0 && result != EOPNOTSUPP && result != EINVAL { throw SystemError("posix_fallocate", errno: result) }
  }

  /// Maps a tensor's storage read-only after checking that the bytes lie inside the segment or
  /// file. With `consume`, a shared-memory segment is unlinked once mapped; the mapping stays
  /// valid. Inline storage is copied into an anonymous mapping.
  public static func map(_ storage: TensorStorage, consume: Bool) throws -> MappedRegion {
    let fd: FileDescriptor
    let offset: Int
    let nbytes: Int
    switch storage {
    case .inline(let bytes):
      let (_, region) = try anonymous(bytes.count)
      bytes.withUnsafeBytes { region.mutableBytes.copyMemory(from: $0) }
      return region
    case .shm(_, let o, let n), .shmFile(_, let o, let n):
      let path = try segmentPath(storage)
      fd = try openSegment(path, consume: consume) { Glibc.open(path, $0 | O_CLOEXEC) }
      (offset, nbytes) = (o, n)
    case .file(let path, let o, let n):
      fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
      (offset, nbytes) = (o, n)
    }
    var keptOpen = false
    defer { if !keptOpen { fd.close() } }
    var info = stat()
    _ = try valueOrErrno("fstat") { fstat(fd.rawValue, &info) }
    guard (info.st_mode & S_IFMT) == S_IFREG else { throw TensorError("tensor storage is not a regular file") }
    if storage.isConsumable { try checkOwnedSegment(info, (try? segmentPath(storage)) ?? "") }
    guard offset <= Int(info.st_size), nbytes <= Int(info.st_size) - offset else {
      throw TensorError("tensor bytes \(offset)..<\(offset + nbytes) lie outside the \(info.st_size)-byte segment")
    }
    let region = try MappedRegion.map(fd, offset: offset, count: nbytes, writable: false)
    if consume {
      if storage.isConsumable, let path = try? segmentPath(storage) { unlinkSegment(path, opened: info) }
      keptOpen = region.keepForDiscard(fd, offset: offset)
    }
    return region
  }

  /// Opens a segment with `open(flags)`: for writing too when it is being consumed (the mapping
  /// stays read-only; the descriptor lets `MappedRegion.discard` free pages), read-only where
  /// that is all the segment allows. Never following a symbolic link, never waiting on a FIFO.
  static func openSegment(_ name: String, consume: Bool, _ open: (Int32) -> Int32) throws -> FileDescriptor {
    if consume {
      let fd = open(O_RDWR | O_NOFOLLOW | O_NONBLOCK)
      if fd >= 0 { return FileDescriptor(rawValue: fd) }
      guard errno == EACCES || errno == EROFS || errno == EPERM else { throw openFailure(name, errno) }
    }
    let fd = open(O_RDONLY | O_NOFOLLOW | O_NONBLOCK)
    guard fd >= 0 else { throw openFailure(name, errno) }
    return FileDescriptor(rawValue: fd)
  }

  /// Why a segment did not open: a symbolic link is a bad record, anything else a system error.
  static func openFailure(_ name: String, _ code: Int32) -> Error {
    code == ELOOP
      ? TensorError("tensor storage \(name) is a symbolic link; segments are opened only as regular files")
      : SystemError("open \(name)", errno: code)
  }

  /// Unlinks a consumable segment (nothing for `file` and `inline`), only where the rule allows:
  /// a valid name or fallback path that links to a regular file of this user.
  public static func release(_ storage: TensorStorage) {
    guard storage.isConsumable, let path = try? segmentPath(storage) else { return }
    unlinkSegment(path)
  }

  static func anonymous(_ count: Int) throws -> (Int, MappedRegion) {
    guard count > 0 else { return (0, MappedRegion(mapping: nil, mappingLength: 0, skip: 0, count: 0)) }
    let pointer = mmap(nil, count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
    guard let pointer, pointer != MAP_FAILED else { throw SystemError("mmap", errno: errno) }
    return (count, MappedRegion(mapping: pointer, mappingLength: count, skip: 0, count: count))
  }

  /// Segments whose creator is dead: regular files of this user named `cpipes-PID-HEX` in
  /// `/dev/shm` and in the fallback directory (where it passes its checks) where no process PID
  /// exists, untouched for at least `olderThan` seconds (a pipeline's segments wait for their
  /// consumer after the producer exits; the grace keeps a sweep from taking them). Removed
  /// unless `dryRun`; returned either way.
  public static func sweep(dryRun: Bool, olderThan: Double = 0) -> [String] {
    var found: [String] = []
    for dir in ["/dev/shm"] + [try? checkedFallbackDirectory(create: false)].compactMap({ $0 }) {
      guard let names = listDirectoryNames(dir) else { continue }
      for name in names where isValidName("/" + name) {
        let parts = name.split(separator: "-")
        guard parts.count == 3, let pid = Int32(parts[1]), pid > 0 else { continue }
        guard processIsGone(pid) else { continue }
        let full = "\(dir)/\(name)"
        var info = stat()
        guard lstat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else { continue }
        guard secondsSinceModified(info) >= olderThan else { continue }
        found.append(full)
        if !dryRun {
          unlink(full)
        }
      }
    }
    return found
  }
}

/// The names in a directory, sorted, or `nil`. The C functions are `opendir` and `readdir`.
public func listDirectoryNames(_ path: String) -> [String]? {
  guard let dir = opendir(path) else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    if name != "." && name != ".." { names.append(name) }
  }
  return names.sorted()
}
