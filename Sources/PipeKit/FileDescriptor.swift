import CPipeShims

#if canImport(Glibc)
  import Glibc
#endif

/// An open file descriptor: a small wrapper that names the C calls it makes.
public struct FileDescriptor: Sendable, Hashable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let standardInput = FileDescriptor(rawValue: 0)
  public static let standardOutput = FileDescriptor(rawValue: 1)
  public static let standardError = FileDescriptor(rawValue: 2)

  /// Opens `path`. The corresponding C function is `open`; descriptors are close-on-exec.
  public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> FileDescriptor {
    let fd = try valueOrErrno("open \(path)") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    return FileDescriptor(rawValue: fd)
  }

  /// Reads up to `count` bytes into `buffer`; 0 means end of file. The C function is `read`.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
    try valueOrErrno("read") { Glibc.read(rawValue, buffer.baseAddress, buffer.count) }
  }

  /// Writes every byte, looping over partial writes. The C function is `write`.
  public func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
    var offset = 0
    while offset < bytes.count {
      let n = try valueOrErrno("write") {
        Glibc.write(rawValue, bytes.baseAddress! + offset, bytes.count - offset)
      }
      offset += n
    }
  }

  public func writeAll(_ bytes: [UInt8]) throws {
    try bytes.withUnsafeBytes { (raw) in try writeAll(raw) }
  }

  public func writeAll(_ text: String) throws {
    try writeAll(Array(text.utf8))
  }

  /// Reads until end of file.
  public func readAll(limit: Int = Int.max) throws -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while out.count < limit {
      let n = try chunk.withUnsafeMutableBytes { (raw) in try read(into: raw) }
      if n == 0 { break }
      out.append(contentsOf: chunk[0..<n])
    }
    return out
  }

  /// Closes the descriptor. The C function is `close`; it is never retried (Linux frees the
  /// descriptor even when close reports EINTR).
  public func close() {
    _ = Glibc.close(rawValue)
  }

  /// Runs `body` with the descriptor and closes it afterwards, whatever happens.
  public func closeAfter<R, E: Error>(_ body: (FileDescriptor) throws(E) -> R) throws(E) -> R {
    defer { close() }
    return try body(self)
  }

  /// Whether the descriptor is a terminal. The C function is `isatty`.
  public var isTerminal: Bool { isatty(rawValue) == 1 }

  /// A duplicate at the lowest free number at or above `minimum` (`fcntl` with `F_DUPFD_CLOEXEC`).
  public func duplicate(atLeast minimum: Int32 = 0) throws -> FileDescriptor {
    FileDescriptor(rawValue: try valueOrErrno("fcntl") { fcntl(rawValue, F_DUPFD_CLOEXEC, minimum) })
  }

  /// A new pipe, both ends close-on-exec from the start: a process that another thread spawns
  /// meanwhile never inherits an end (and never holds a reader's end of file back). The C
  /// function is `pipe2` with `O_CLOEXEC`.
  public static func pipe() throws -> (read: FileDescriptor, write: FileDescriptor) {
    var fds: [Int32] = [-1, -1]
    _ = try valueOrErrno("pipe") { cpipes_pipe_cloexec(&fds) }
    return (read: FileDescriptor(rawValue: fds[0]), write: FileDescriptor(rawValue: fds[1]))
  }
}

/// Reads a whole small file, or `nil` when it does not exist or cannot be read.
public func readFileIfPresent(_ path: String, limit: Int = 1 << 20) -> [UInt8]? {
  guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
  return fd.closeAfter { try? $0.readAll(limit: limit) }
}

/// Reads a small text file, or `nil`.
public func readTextFileIfPresent(_ path: String) -> String? {
  readFileIfPresent(path).map { String(decoding: $0, as: UTF8.self) }
}

/// Creates a directory and its missing parents (`mkdir -p`), mode 0755.
public func makeDirectories(_ path: String) throws {
  var current = path.hasPrefix("/") ? "" : "."
  for part in path.split(separator: "/") {
    current += "/\(part)"
    if mkdir(current, 0o755) != 0 && errno != EEXIST { throw SystemError("mkdir \(current)", errno: errno) }
  }
}

extension FileDescriptor {
  /// Polls without blocking until the descriptor is readable or `seconds` pass, yielding the CPU
  /// in between: for a reply that is due within microseconds, this saves the sleep and the
  /// wake-up a blocking read costs (tens of microseconds on a virtual machine's idle CPU).
  /// Returns whether it became readable (or hung up) in time.
  @discardableResult
  public func spinUntilReadable(_ seconds: Double) -> Bool {
    let until = monotonicSeconds() + seconds
    var poller = pollfd(fd: rawValue, events: Int16(POLLIN), revents: 0)
    while true {
      if poll(&poller, 1, 0) != 0 { return true }
      if monotonicSeconds() >= until { return false }
      sched_yield()
    }
  }
}

extension FileDescriptor {
  /// Opens an existing file for writes around the page cache (`O_DIRECT`); `nil` where the
  /// system or the file system has no direct I/O (tmpfs, for one).
  public static func openForDirectWrites(_ path: String) -> FileDescriptor? {
    let flag = cpipes_o_direct()
    guard flag != 0 else { return nil }
    let raw = Glibc.open(path, O_WRONLY | flag | O_CLOEXEC)
    return raw >= 0 ? FileDescriptor(rawValue: raw) : nil
  }
}
