import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The worker protocol's framing: a 4-byte little-endian length, then that many bytes (JSON).
enum Frame {
  /// The largest frame accepted from a worker; tensors travel in segments, not frames.
  static let maxBytes = 1 << 30

  static func encode(_ body: [UInt8]) -> [UInt8] {
    let n = UInt32(body.count)
    return [UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)] + body
  }

  static func encode(_ value: JSON) -> [UInt8] {
    var body: [UInt8] = [0, 0, 0, 0]
    value.write(to: &body)
    let n = UInt32(body.count - 4)
    body[0] = UInt8(n & 0xFF)
    body[1] = UInt8(n >> 8 & 0xFF)
    body[2] = UInt8(n >> 16 & 0xFF)
    body[3] = UInt8(n >> 24)
    return body
  }
}

/// Reads frames from a worker's reply pipe, with a deadline.
final class FrameReader {
  enum Next {
    case frame(JSONObject)
    case end
    case timedOut
    case malformed(String)
  }

  let fd: FileDescriptor
  /// The size of the last frame `next` returned, in bytes.
  private(set) var lastFrameBytes = 0
  private var buffer: [UInt8] = []
  private var start = 0
  private var chunk = [UInt8](repeating: 0, count: 1 << 16)
  /// The poll before a reply: skipped while this worker's replies keep coming slowly.
  private let spinner = AdaptiveSpin(seconds: FrameReader.spinSeconds)

  init(fd: FileDescriptor) { self.fd = fd }

  /// How long `next(deadline:spin:)` polls before it sleeps in `read`, in seconds.
  static let spinSeconds = 0.00005

  /// The next frame, parsed; `.end` when the worker closed its end, `.timedOut` at `deadline`
  /// (monotonic seconds). With `spin`, it first polls for up to `spinSeconds`, yielding the CPU
  /// between polls: a short call's reply is then picked up without a sleep and a wake-up (and
  /// while replies keep taking longer, it does not poll: `AdaptiveSpin`).
  func next(deadline: Double?, spin: Bool = false) -> Next {
    if spin && buffer.count - start < 4 { spinner.wait(for: fd) }
    while true {
      let available = buffer.count - start
      if available >= 4 {
        let n =
          Int(buffer[start]) | Int(buffer[start + 1]) << 8 | Int(buffer[start + 2]) << 16 | Int(buffer[start + 3]) << 24
        if n > Frame.maxBytes { return .malformed("a reply frame of \(n) bytes is over the limit") }
        if available >= 4 + n {
          let body = buffer[(start + 4)..<(start + 4 + n)]
          lastFrameBytes = n
          start += 4 + n
          if start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
          }
          guard let object = (try? JSON.parse(body))?.objectValue else {
            return .malformed("a reply frame is not a JSON object")
          }
          return .frame(object)
        }
      }
      if let deadline {
        let remaining = deadline - monotonicSeconds()
        if remaining <= 0 { return .timedOut }
        var poller = pollfd(fd: fd.rawValue, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, Int32(min(remaining * 1000 + 1, 60_000)))
        if ready == 0 || (ready < 0 && errno == EINTR) { continue }
      }
      if start > 0 {
        buffer.removeSubrange(0..<start)
        start = 0
      }
      let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
      if n == 0 { return .end }
      buffer.append(contentsOf: chunk[0..<n])
    }
  }
}
