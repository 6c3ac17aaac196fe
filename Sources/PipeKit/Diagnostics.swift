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

  /// Writes `tool: message` as one line: line breaks inside the message are folded to spaces
  /// and other control characters escaped (`\x1b`), so text from a server cannot forge lines or
  /// drive the terminal.
  public func error(_ message: String) {
    emit("\(tool): \(message.escapingControlCharacters())")
  }

  /// A note that `--quiet` silences.
  public func note(_ message: String) {
    if !quiet { error(message) }
  }

  /// Draws `label value/max` in place on a terminal; does nothing elsewhere.
  public func progress(_ label: String, value: Int, of max: Int?) {
    guard showsProgress else { return }
    let amount = max.map { "\(value)/\($0)" } ?? "\(value)"
    let label = label.escapingControlCharacters()
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
  /// The text for one line of stderr: CR and LF become spaces, every other C0 or C1 control
  /// character and DEL becomes `\xHH` (`\u{HHHH}` above 0xFF is never needed: C1 ends at 0x9F).
  public func escapingControlCharacters() -> String {
    guard unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else { return self }
    let hex = Array("0123456789abcdef")
    var out = String.UnicodeScalarView()
    for scalar in unicodeScalars {
      switch scalar.value {
      case 0x0A, 0x0D: out.append(" ")
      case 0..<0x20, 0x7F...0x9F:
        out.append(contentsOf: "\\x".unicodeScalars)
        out.append(contentsOf: "\(hex[Int(scalar.value >> 4)])\(hex[Int(scalar.value & 15)])".unicodeScalars)
      default: out.append(scalar)
      }
    }
    return String(out)
  }
}
