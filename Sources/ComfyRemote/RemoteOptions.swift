import PipeHTTP
import PipeKit

/// The command-line pieces remote-queue and remote-fetch share: the servers of `--to` (or
/// `COMFY_REMOTE`), `--header` lines, the per-request timeout and `--retries`.
public enum RemoteOptions {
  /// `--to` (repeatable, comma lists, port ranges), else `COMFY_REMOTE`; empty when neither.
  public static func servers(_ arguments: Arguments, environment: [String: String]) throws(UsageError)
    -> [ServerAddress]
  {
    var targets = arguments.values("--to")
    if targets.isEmpty, let fallback = environment["COMFY_REMOTE"], !fallback.isEmpty { targets = [fallback] }
    return try ServerAddress.parse(targets)
  }

  /// Every `--header NAME:VALUE` as a request line.
  public static func headers(_ arguments: Arguments) throws(UsageError) -> [String] {
    var lines: [String] = []
    for text in arguments.values("--header") { lines.append(try headerLine(text)) }
    return lines
  }

  /// `Name:value` → `Name: value`, refusing what would break the request. The value is never
  /// echoed in a message.
  public static func headerLine(_ text: String) throws(UsageError) -> String {
    guard let colon = text.firstIndex(of: ":") else { throw UsageError("--header needs NAME:VALUE") }
    let name = Substring(text[..<colon]).trimmingSpaces()
    let value = Substring(text[text.index(after: colon)...]).trimmingSpaces()
    let token = Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    guard !name.isEmpty, name.allSatisfy({ token.contains($0) }) else {
      throw UsageError("--header: '\(name)' is not a header name")
    }
    guard !value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
      throw UsageError("--header \(name): the value holds a line break")
    }
    return "\(name): \(value)"
  }

  /// `options` with the per-request limit from `timeoutOption` (connecting gets at most as
  /// long) and `--retries N` (0 to 20) applied, when given.
  public static func http(
    _ arguments: Arguments, timeoutOption: String, defaults options: HTTPClient.Options
  ) throws(UsageError) -> HTTPClient.Options {
    var options = options
    if let text = arguments.value(timeoutOption) {
      options.totalTimeout = try seconds(text, timeoutOption)
      options.connectTimeout = min(options.connectTimeout, options.totalTimeout)
    }
    if let text = arguments.value("--retries") {
      guard let n = Int(text), (0...20).contains(n) else {
        throw UsageError("--retries '\(text)' is not a count from 0 to 20")
      }
      options.retries = n
    }
    return options
  }

  /// A positive, finite number of seconds.
  public static func seconds(_ text: String, _ option: String) throws(UsageError) -> Double {
    guard let value = Double(text), value > 0, value.isFinite else {
      throw UsageError("\(option) takes a positive number of seconds (found '\(text)')")
    }
    return value
  }
}
