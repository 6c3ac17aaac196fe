import PipeKit

extension HTTPClient.Options {
  /// Reads `--timeout SECONDS` (the limit of each request; connecting gets at most as long) and
  /// `--retries N` from a tool's command line, when given.
  public mutating func read(_ arguments: Arguments) throws(UsageError) {
    if let text = arguments.value("--timeout") {
      guard let seconds = Double(text), seconds > 0 else {
        throw UsageError("--timeout '\(text)' is not a number of seconds")
      }
      totalTimeout = seconds
      connectTimeout = min(connectTimeout, seconds)
    }
    if let text = arguments.value("--retries") {
      guard let retries = Int(text), retries >= 0 else { throw UsageError("--retries '\(text)' is not a count") }
      self.retries = retries
    }
  }
}
