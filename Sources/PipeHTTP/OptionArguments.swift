import PipeKit

/// The one reader of the HTTP options that wheel-url, remote-queue and remote-fetch take:
/// `--request-timeout SECONDS` (each request; connecting gets at most as long) and `--retries N`
/// (0 to 20), with one validation and one help text built from the tool's defaults.
extension HTTPClient.Options {
  /// The most `--retries` a tool takes.
  public static let maxRetries = 20

  /// The specs of `--request-timeout` (its names `timeoutNames`, the first `--request-timeout`;
  /// a tool that shipped `--timeout` for it keeps that as a second name) and `--retries`, their
  /// help saying these options' defaults.
  public func optionSpecs(timeoutNames: [String] = ["--request-timeout"]) -> [OptionSpec] {
    assert(timeoutNames.first == "--request-timeout")
    return [
      OptionSpec(
        timeoutNames, value: "SECONDS",
        help: "Bound each HTTP request (default \(Self.text(totalTimeout)); connecting: \(Self.text(connectTimeout)))."),
      OptionSpec(
        ["--retries"], value: "N",
        help:
          "Retries after a connection failure or timeout, with backoff (0 to \(Self.maxRetries); default \(retries))."),
    ]
  }

  /// Applies `--request-timeout` and `--retries` from a tool's command line, when given.
  public mutating func read(_ arguments: Arguments) throws(UsageError) {
    if let seconds = try arguments.seconds("--request-timeout") {
      totalTimeout = seconds
      connectTimeout = min(connectTimeout, seconds)
    }
    if let text = arguments.value("--retries") {
      guard let n = Int(text), (0...Self.maxRetries).contains(n) else {
        throw UsageError("--retries '\(text)' is not a count from 0 to \(Self.maxRetries)")
      }
      retries = n
    }
  }

  private static func text(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
  }
}
