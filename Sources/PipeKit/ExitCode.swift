#if canImport(Glibc)
  import Glibc
#endif

/// The exit statuses of every tool (DESIGN.md §2), named after sysexits(3).
public enum ExitCode: Int32, Sendable, CaseIterable {
  /// Every item succeeded.
  case success = 0
  /// The run completed and at least one item failed; error records say which.
  case failure = 1
  /// A bad flag or argument (`EX_USAGE`).
  case usage = 64
  /// An input line was not a JSON object (`EX_DATAERR`).
  case dataError = 65
  /// A named input file does not exist or cannot be read (`EX_NOINPUT`).
  case noInput = 66
  /// A required program or service is missing (`EX_UNAVAILABLE`).
  case unavailable = 69
  /// An internal error: a bug (`EX_SOFTWARE`).
  case software = 70
  /// Writing output failed (`EX_IOERR`).
  case ioError = 74
  /// A temporary failure; retry later (`EX_TEMPFAIL`).
  case temporaryFailure = 75

  /// Which status wins when several apply: the more specific and the more severe one.
  var severity: Int {
    switch self {
    case .success: 0
    case .failure: 1
    case .dataError: 2
    case .temporaryFailure: 3
    case .noInput: 4
    case .unavailable: 5
    case .usage: 6
    case .software: 7
    case .ioError: 8
    }
  }
}

/// The exit status of a run, accumulated as items succeed or fail and decided once at the end.
public struct ExitStatus: Sendable, Equatable {
  public private(set) var code: ExitCode = .success

  public init() {}

  /// Records that something happened which calls for `code`; the most severe one is kept.
  public mutating func note(_ code: ExitCode) {
    if code.severity > self.code.severity { self.code = code }
  }
}
