#if canImport(Glibc)
  import Glibc
#endif

/// Writes records strictly: one compact JSON object per line, UTF-8, `\n` terminated.
///
/// Output is buffered and flushed when the buffer fills, when `flush()` is called (the reader
/// calls it before it blocks on input), and at exit. A reader that went away (`EPIPE`, as with
/// `| head -1`) ends the process quietly by SIGPIPE; any other write failure is kept in
/// `failure` and turns the exit status into 74.
public final class RecordWriter: @unchecked Sendable {
  public let fd: FileDescriptor
  /// Flush after every record, for tools whose records are events someone waits for.
  public var flushesEachRecord = false
  public private(set) var failure: SystemError?
  private var buffer: [UInt8] = []
  private let lock = Lock()
  private let capacity = 1 << 16

  public init(fd: FileDescriptor = .standardOutput) {
    self.fd = fd
    buffer.reserveCapacity(capacity)
  }

  /// Writes one record; safe to call from several threads.
  public func write(_ record: JSONObject) {
    lock.withLock {
      JSON.object(record).write(to: &buffer)
      buffer.append(0x0A)
      if flushesEachRecord || buffer.count >= capacity { flushLocked() }
    }
  }

  /// Writes what is buffered.
  public func flush() {
    lock.withLock { flushLocked() }
  }

  private func flushLocked() {
    defer { buffer.removeAll(keepingCapacity: true) }
    guard failure == nil, !buffer.isEmpty else { return }
    do {
      try fd.writeAll(buffer)
    } catch let error as SystemError {
      if error.errno == EPIPE { Termination.die(by: SIGPIPE) }
      failure = error
    } catch {}
  }
}
