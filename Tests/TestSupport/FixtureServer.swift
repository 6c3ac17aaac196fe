import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// A fixture server (a Python script under `Tests/Fixtures/`) on loopback, started by a test.
///
/// The script must print `LISTENING <port>` on stdout once it listens, and exit when its stdin
/// reaches end of file; the write end of that pipe lives in this object, so the server goes
/// away with the test process even when nothing stops it.
public final class FixtureServer: @unchecked Sendable {
  public let port: Int
  public let process: ChildProcess
  private let stdinWriter: FileDescriptor
  private let lock = Lock()
  private var reaped = false

  public var baseURL: String { "http://127.0.0.1:\(port)" }

  /// Starts `python3 <script> <arguments>` (the script's path relative to the package root).
  public init(script: String, arguments: [String] = [], timeout: Double = 20) throws {
    let input = try FileDescriptor.pipe()
    let output = try FileDescriptor.pipe()
    let null = try FileDescriptor.open("/dev/null", O_WRONLY)
    defer {
      input.read.close()
      output.write.close()
      null.close()
    }
    process = try ChildProcess.spawn(
      "python3", arguments: ["\(Products.root)/\(script)"] + arguments,
      redirect: [0: input.read, 1: output.write, 2: null])
    stdinWriter = input.write
    defer { output.read.close() }
    var text = ""
    let deadline = monotonicSeconds() + timeout
    var chunk = [UInt8](repeating: 0, count: 256)
    while !text.contains("\n") && monotonicSeconds() < deadline {
      var poller = pollfd(fd: output.read.rawValue, events: Int16(POLLIN), revents: 0)
      guard poll(&poller, 1, 1000) >= 0 else { continue }
      if poller.revents == 0 { continue }
      let n = try chunk.withUnsafeMutableBytes { try output.read.read(into: $0) }
      if n == 0 { break }
      text += String(decoding: chunk[0..<n], as: UTF8.self)
    }
    let words = text.split(separator: " ")
    guard words.count == 2, words[0] == "LISTENING", let port = Int(words[1].prefix { $0.isNumber }) else {
      process.signal(SIGKILL)
      _ = try? process.wait()
      input.write.close()
      throw SystemError("\(script) did not say LISTENING <port> (said '\(text)')", errno: 0)
    }
    self.port = port
  }

  /// Sends `sig` (SIGUSR1 makes the fake ComfyUI exit at once, as a crash) and waits for the
  /// server to end; it is not signalled again when this object goes.
  public func kill(_ sig: Int32) {
    lock.withLock {
      guard !reaped else { return }
      process.signal(sig)
      _ = try? process.wait()
      reaped = true
    }
  }

  /// Stops the server: end of its stdin and SIGTERM, then SIGKILL if it is still there after
  /// five seconds (a handler stuck on a connection must not hang the test run).
  deinit {
    stdinWriter.close()
    if lock.withLock({ reaped }) { return }
    process.signal(SIGTERM)
    let deadline = monotonicSeconds() + 5
    while true {
      do {
        if try process.exitIfEnded() != nil { return }
      } catch {
        return  // already reaped by a test that waited for it
      }
      if monotonicSeconds() > deadline {
        process.signal(SIGKILL)
        _ = try? process.wait()
        return
      }
      usleep(10_000)
    }
  }
}
