#if canImport(Glibc)
  import Glibc
#endif

/// What a tool writes to stderr: one line per diagnostic, `tool: message`, and a progress line
/// that is drawn only on a terminal.
public final class Diagnostics: @unchecked Sendable {
  public let tool: String
  /// Set by `--quiet`: no progress and no notes, only errors.
  public var quiet = false
  private let lock = Lock()
  private var progressShown = false
  private let environment: [String: String]
  private let isTerminal: Bool

  public init(tool: String, environment: [String: String] = Environment.current, isTerminal: Bool? = nil) {
    self.tool = tool
    self.environment = environment
    self.isTerminal = isTerminal ?? FileDescriptor.standardError.isTerminal
  }

  /// Whether progress may be drawn: stderr is a terminal, and neither `NO_COLOR`, `TERM=dumb`
  /// nor `--quiet` asks for plain output.
  public var showsProgress: Bool {
    isTerminal && !quiet && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
  }

  /// Writes `tool: message` as one line (newlines inside the message are folded to spaces).
  public func error(_ message: String) {
    emit("\(tool): \(message.replacingNewlines())")
  }

  /// A note that `--quiet` silences.
  public func note(_ message: String) {
    if !quiet { error(message) }
  }

  /// Draws `label value/max` in place on a terminal; does nothing elsewhere.
  public func progress(_ label: String, value: Int, of max: Int?) {
    guard showsProgress else { return }
    let amount = max.map { "\(value)/\($0)" } ?? "\(value)"
    lock.withLock {
      try? FileDescriptor.standardError.writeAll("\r\u{1B}[2K\(tool): \(label) \(amount)")
      progressShown = true
    }
  }

  /// Removes the progress line, if one is drawn.
  public func clearProgress() {
    lock.withLock {
      if progressShown { try? FileDescriptor.standardError.writeAll("\r\u{1B}[2K") }
      progressShown = false
    }
  }

  private func emit(_ line: String) {
    lock.withLock {
      if progressShown { try? FileDescriptor.standardError.writeAll("\r\u{1B}[2K") }
      progressShown = false
      try? FileDescriptor.standardError.writeAll(line + "\n")
    }
  }
}

extension String {
  func replacingNewlines() -> String {
    String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
  }
}

/// A mutex (`pthread_mutex_t`).
public final class Lock: @unchecked Sendable {
  private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  public init() { pthread_mutex_init(mutex, nil) }
  deinit {
    pthread_mutex_destroy(mutex)
    mutex.deallocate()
  }
  public func withLock<R>(_ body: () throws -> R) rethrows -> R {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    return try body()
  }
}

/// The process environment.
public enum Environment {
  public static var current: [String: String] {
    var result: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
      let text = String(cString: entry)
      if let eq = text.firstIndex(of: "=") {
        result[String(text[..<eq])] = String(text[text.index(after: eq)...])
      }
      pointer += 1
    }
    return result
  }
}
