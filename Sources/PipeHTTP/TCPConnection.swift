import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// A TCP connection over a non-blocking socket, with a deadline on every call: connect, read
/// and write never wait longer than they are told to.
public final class TCPConnection: @unchecked Sendable {
  public let fd: FileDescriptor
  private var closed = false

  init(fd: FileDescriptor) { self.fd = fd }

  deinit { close() }

  /// Connects to `host` (a name, an IPv4 or an IPv6 literal, without brackets) trying each
  /// address `getaddrinfo` gives in turn. The corresponding C functions are `getaddrinfo`,
  /// `socket`, `connect` and `poll`.
  public static func connect(host: String, port: Int, timeout: Double) throws(WebSocketError) -> TCPConnection {
    let deadline = monotonicSeconds() + timeout
    var hints = addrinfo()
    hints.ai_family = AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    hints.ai_flags = AI_ADDRCONFIG
    var list: UnsafeMutablePointer<addrinfo>?
    let status = getaddrinfo(host, String(port), &hints, &list)
    guard status == 0, let first = list else {
      throw WebSocketError(.connection, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
    }
    defer { freeaddrinfo(list) }
    var lastError = "no address"
    var entry: UnsafeMutablePointer<addrinfo>? = first
    while let info = entry {
      entry = info.pointee.ai_next
      let raw = socket(
        info.pointee.ai_family,
        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
          | Int32(SOCK_NONBLOCK.rawValue), 0)
      guard raw >= 0 else {
        lastError = String(cString: strerror(errno))
        continue
      }
      let connection = TCPConnection(fd: FileDescriptor(rawValue: raw))
      if Glibc.connect(raw, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
        guard errno == EINPROGRESS else {
          lastError = String(cString: strerror(errno))
          continue
        }
        guard connection.wait(for: Int16(POLLOUT), until: deadline) else {
          throw WebSocketError(.timeout, "connecting to \(host):\(port) timed out")
        }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(raw, SOL_SOCKET, SO_ERROR, &error, &length)
        guard error == 0 else {
          lastError = String(cString: strerror(error))
          continue
        }
      }
      var one: Int32 = 1
      setsockopt(raw, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
      return connection
    }
    throw WebSocketError(.connection, "cannot connect to \(host):\(port): \(lastError)")
  }

  /// Reads what is there, waiting until `deadline` (a `monotonicSeconds` value) for something;
  /// `nil` when the deadline passed, `[]` at end of stream.
  public func read(max: Int = 1 << 16, until deadline: Double) throws(WebSocketError) -> [UInt8]? {
    var chunk = [UInt8](repeating: 0, count: max)
    while true {
      let n = chunk.withUnsafeMutableBytes { recv(fd.rawValue, $0.baseAddress, $0.count, 0) }
      if n >= 0 { return Array(chunk[0..<n]) }
      switch errno {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK:
        guard wait(for: Int16(POLLIN), until: deadline) else { return nil }
      default: throw WebSocketError(.connection, "read failed: \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Writes every byte before `deadline`. The C function is `send` (with `MSG_NOSIGNAL`).
  public func write(_ bytes: [UInt8], until deadline: Double) throws(WebSocketError) {
    var offset = 0
    while offset < bytes.count {
      let n = bytes.withUnsafeBytes {
        send(fd.rawValue, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
      }
      if n >= 0 {
        offset += n
        continue
      }
      switch errno {
      case EINTR: continue
      case EAGAIN, EWOULDBLOCK:
        guard wait(for: Int16(POLLOUT), until: deadline) else { throw WebSocketError(.timeout, "write timed out") }
      default: throw WebSocketError(.connection, "write failed: \(String(cString: strerror(errno)))")
      }
    }
  }

  /// Closes the socket (once).
  public func close() {
    guard !closed else { return }
    closed = true
    fd.close()
  }

  /// Waits for `events` until `deadline`; false when it passed first. The C function is `poll`.
  func wait(for events: Int16, until deadline: Double) -> Bool {
    while true {
      let left = deadline - monotonicSeconds()
      guard left > 0 else { return false }
      var entry = pollfd(fd: fd.rawValue, events: events, revents: 0)
      let n = poll(&entry, 1, Int32(min(left * 1000 + 1, 2_000_000_000)))
      if n > 0 { return true }
      if n < 0 && errno != EINTR { return true }
    }
  }
}
