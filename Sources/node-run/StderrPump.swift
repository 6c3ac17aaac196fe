import Dispatch
import PipeKit

/// Copies a worker's fd 1 and fd 2 (one pipe) to node-run's stderr as they come, and keeps the
/// last few KiB for the error record when the worker dies.
final class StderrPump: @unchecked Sendable {
  static let tailBytes = 4096

  private let fd: FileDescriptor
  private let lock = Lock()
  private var tail: [UInt8] = []
  private let finished = DispatchSemaphore(value: 0)

  init(reading fd: FileDescriptor) {
    self.fd = fd
    DispatchQueue.global().async { self.pump() }
  }

  private func pump() {
    var chunk = [UInt8](repeating: 0, count: 1 << 14)
    while true {
      let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? 0
      if n == 0 { break }
      chunk.withUnsafeBytes { try? FileDescriptor.standardError.writeAll(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
      lock.withLock {
        tail.append(contentsOf: chunk[0..<n])
        if tail.count > 2 * StderrPump.tailBytes { tail.removeFirst(tail.count - StderrPump.tailBytes) }
      }
    }
    fd.close()
    finished.signal()
  }

  /// Waits up to `seconds` for the worker's output to end (a grandchild may hold the pipe open).
  func waitForEnd(_ seconds: Double) {
    if finished.wait(timeout: .now() + seconds) == .success { finished.signal() }
  }

  /// The last lines the worker wrote, at most `tailBytes`.
  var lastLines: String {
    let bytes = lock.withLock { tail.suffix(StderrPump.tailBytes) }
    var text = String(decoding: bytes, as: UTF8.self)
    if bytes.count == StderrPump.tailBytes, let newline = text.firstIndex(of: "\n") {
      text = String(text[text.index(after: newline)...])
    }
    return text
  }
}
