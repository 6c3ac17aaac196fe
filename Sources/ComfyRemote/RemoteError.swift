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
    return detail
  }

  static func from(_ failure: HTTPFailure) -> RemoteError {
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
