import PipeHTTP
import PipeKit

/// The command-line pieces remote-queue and remote-fetch share: the servers of `--to` (or
/// `COMFY_REMOTE`) and `--header` lines. (Their HTTP options are PipeHTTP's, read by
/// `HTTPClient.Options.read`.)
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
}
