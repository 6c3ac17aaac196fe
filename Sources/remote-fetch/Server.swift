import PipeHTTP
import PipeKit

/// A ComfyUI server's HTTP API, as far as remote-fetch uses it: `/history/{id}`, `/queue` and
/// `/view`. Every request carries the `--header` lines and is bounded by the client's timeouts.
struct Server: Sendable {
  var base: String
  /// For JSON answers (bodies up to 256 MiB).
  var client: HTTPClient
  /// For `/view` downloads (bodies up to `--max-file-size`).
  var fileClient: HTTPClient
  var headers: [String]

  /// Why a request gave no usable answer.
  struct Failure: Error, Sendable {
    /// True when the server could not be reached at all (connection, timeout, name).
    var unreachable: Bool
    var message: String
    var detail: JSONObject = [:]
  }

  /// What `/history/{id}` says: not there yet (or unknown), or the finished entry.
  enum HistoryState: Sendable {
    case pending
    case finished(JSONObject)
  }

  func history(_ promptID: String) throws(Failure) -> HistoryState {
    let object = try getJSON("/history/" + Self.percentEncoded(promptID))
    guard let entry = object[promptID] else { return .pending }
    guard let entry = entry.objectValue else {
      throw Failure(unreachable: false, message: "the history entry for \(promptID) is not an object")
    }
    return .finished(entry)
  }

  /// The prompt ids running or pending, from `/queue`.
  func queuedPromptIDs() throws(Failure) -> Set<String> {
    let object = try getJSON("/queue")
    var ids: Set<String> = []
    for key in ["queue_running", "queue_pending"] {
      for item in object[key]?.arrayValue ?? [] {
        if let items = item.arrayValue, items.count > 1, let id = items[1].stringValue { ids.insert(id) }
      }
    }
    return ids
  }

  /// The `/view` URL of one output item.
  func viewURL(_ item: Outcome.Item) -> String {
    base + "/view?filename=" + Self.percentEncoded(item.filename) + "&subfolder="
      + Self.percentEncoded(item.subfolder) + "&type=" + Self.percentEncoded(item.type)
  }

  /// GETs `path` under the base URL and parses a JSON object; anything else is a failure.
  func getJSON(_ path: String) throws(Failure) -> JSONObject {
    let url = base + path
    let response: HTTPResponse
    do {
      response = try client.send(.get, url, headers: headers)
    } catch {
      let unreachable = [.connection, .timeout, .resolve].contains(error.kind)
      throw Failure(unreachable: unreachable, message: error.description, detail: ["url": .string(url)])
    }
    guard response.status == 200 else {
      throw Failure(
        unreachable: false, message: "\(url): HTTP \(response.status)",
        detail: ["url": .string(url), "status": .int(response.status), "body": .string(Self.excerpt(response.body))])
    }
    guard case .object(let object)? = try? JSON.parse(response.body) else {
      throw Failure(
        unreachable: false, message: "\(url): the answer is not a JSON object",
        detail: ["url": .string(url), "body": .string(Self.excerpt(response.body))])
    }
    return object
  }

  /// The first bytes of a body, as text, for an error's detail.
  static func excerpt(_ body: [UInt8]) -> String {
    String(decoding: body.prefix(300), as: UTF8.self)
  }

  /// `text` with every byte outside RFC 3986's unreserved set percent-encoded.
  static func percentEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for b in text.utf8 {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
        UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
        UInt8(ascii: "~"):
        out.append(b)
      default:
        out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
      }
    }
    return String(decoding: out, as: UTF8.self)
  }
}
