#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// A failed system call: which call, and the `errno` it left.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
  public var call: String
  public var errno: Int32

  public init(_ call: String, errno: Int32) {
    self.call = call
    self.errno = errno
  }

  /// The C library's text for the error (`strerror`).
  public var reason: String { String(cString: strerror(errno)) }
  public var description: String { "\(call): \(reason)" }
}

/// Runs a system call that returns -1 and sets `errno` on failure, retrying it while it is
/// interrupted by a signal (`EINTR`) unless told not to. Every wrapper in PipeKit goes through here.
@inline(__always)
public func valueOrErrno<T: FixedWidthInteger>(
  _ call: String, retryOnInterrupt: Bool = true, _ body: () -> T
) throws(SystemError) -> T {
  while true {
    let result = body()
    if result != -1 { return result }
    let code = Glibc.errno
    if code == EINTR && retryOnInterrupt { continue }
    throw SystemError(call, errno: code)
  }
}
