import PipeHTTP
import PipeKit

/// Why a call to a ComfyUI server failed. Messages name the URL, never a header.
public struct RemoteError: Error, Sendable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// No HTTP answer: refused, reset, timed out, unresolvable.
    case unreachable(HTTPFailure.Kind)
    /// An HTTP status outside 2xx; `body` holds the answer when it was JSON.
    case status(Int)
    /// A 2xx answer that is not what the API documents (not JSON, wrong shape).
    case badAnswer
    /// A 3xx answer: the remote tools talk only to the addresses given and follow no redirect.
    /// `location` is where it pointed, when it said.
    case redirected(status: Int, location: String?)
    /// The answer (or its declared length) is over the client's body limit of `limit` bytes.
    case tooLarge(limit: Int)
  }

  public var kind: Kind
  public var url: String
  public var message: String
  /// The server's answer, parsed, when it was JSON.
  public var body: JSON?
  /// The first bytes of the answer as text, when it was not JSON.
  public var bodyText: String?
  /// For `.unreachable`: the request surely never reached the server (the connection was refused),
  /// so sending it again cannot make it run twice.
  public var neverSent = false

  public init(kind: Kind, url: String, message: String, body: JSON? = nil, bodyText: String? = nil) {
    self.kind = kind
    self.url = url
    self.message = message
    self.body = body
    self.bodyText = bodyText
  }

  public var description: String { message }

  /// No answer came: the server may be down (or the answer was lost on the way).
  public var isUnreachable: Bool {
    if case .unreachable = kind { return true }
    return false
  }

  /// The error code for a redirect (`redirected`) or an answer over the limit
  /// (`answer-too-large`); `fallback` for anything else.
  public func code(or fallback: String) -> String {
    switch kind {
    case .redirected: "redirected"
    case .tooLarge: "answer-too-large"
    default: fallback
    }
  }

  public var isRedirect: Bool {
    if case .redirected = kind { return true }
    return false
  }

  /// The HTTP status, when there was one.
  public var status: Int? {
    if case .status(let status) = kind { return status }
    return nil
  }

  /// The specifics for an error record's `detail`: url, status, and the server's answer.
  public var detail: JSONObject {
    var detail: JSONObject = ["url": .string(url)]
    if let status { detail["status"] = .int(status) }
    if let body { detail["body"] = body }
    if let bodyText { detail["body_text"] = .string(bodyText) }
    switch kind {
    case .redirected(let status, let location):
      detail["status"] = .int(status)
      detail["location"] = location.map { .string($0) } ?? .null
    case .tooLarge(let limit): detail["limit_bytes"] = .int(limit)
    default: break
    }
    return detail
  }

  /// The error for a 3xx answer, naming where it points.
  static func redirected(_ response: HTTPResponse, url: String) -> RemoteError {
    let target = response.location.map { " to \($0)" } ?? ""
    return RemoteError(
      kind: .redirected(status: response.status, location: response.location), url: url,
      message: "\(url): HTTP \(response.status) redirects\(target); not followed: "
        + "the remote tools talk only to the addresses given")
  }

  static func from(_ failure: HTTPFailure, limit: Int) -> RemoteError {
    if failure.kind == .tooLarge {
      return RemoteError(
        kind: .tooLarge(limit: limit), url: failure.url,
        message: "\(failure.url): the answer is larger than the limit of \(limit) bytes")
    }
    var error = RemoteError(kind: .unreachable(failure.kind), url: failure.url, message: failure.description)
    error.neverSent = failure.neverSent
    return error
  }

  /// At most `limit` characters of a body as text, for messages.
  static func excerpt(_ body: [UInt8], limit: Int = 200) -> String {
    let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
    return text.count > limit ? String(text.prefix(limit)) + "…" : text
  }
}
