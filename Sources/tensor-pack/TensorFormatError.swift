import Glibc
import PipeKit

/// Why a tensor file cannot be read or written, in one sentence that says what is wrong.
///
/// Readers never trap on file contents: every malformed, truncated or hostile input ends up here.
/// `kind` maps onto the `code` of an `error` record; `message` is its human sentence.
struct TensorFormatError: Error, Sendable, Equatable, CustomStringConvertible {
  enum Kind: String, Sendable {
    /// The file breaks its format: truncated, lying lengths, offsets out of bounds, bad checksums.
    case malformed = "bad-tensor-file"
    /// The file is valid but uses something this reader does not handle (a dtype, a compression).
    case unsupported = "unsupported-tensor"
    /// The tensor cannot be written in the asked format (e.g. bfloat16 to .npy, bad image shape).
    case unwritable = "cannot-write-tensor"
    /// Reading or writing the file failed at the system level.
    case io = "io-error"
  }

  var kind: Kind
  var message: String

  var description: String { message }

  static func malformed(_ message: String) -> TensorFormatError { .init(kind: .malformed, message: message) }
  static func unsupported(_ message: String) -> TensorFormatError { .init(kind: .unsupported, message: message) }
  static func unwritable(_ message: String) -> TensorFormatError { .init(kind: .unwritable, message: message) }
  static func io(_ message: String) -> TensorFormatError { .init(kind: .io, message: message) }

  /// The same error with `context` (usually the file path) in front of the message.
  func within(_ context: String) -> TensorFormatError {
    .init(kind: kind, message: "\(context): \(message)")
  }
}

/// Runs `body`, putting `context` in front of the message of any error it throws.
func withErrorContext<R>(_ context: String, _ body: () throws -> R) throws -> R {
  do {
    return try body()
  } catch let error as TensorFormatError {
    throw error.within(context)
  }
}

/// Runs a PipeKit system-call wrapper, turning its `SystemError` into an `io` error that starts
/// with `what` ("cannot open: No such file or directory").
func systemCall<R>(_ what: String, _ body: () throws -> R) throws -> R {
  do {
    return try body()
  } catch let error as SystemError {
    throw TensorFormatError.io("\(what): \(error.reason)")
  }
}
