import PipeHTTP
import PipeKit

/// How `ComfyClient` reads the server's answers: pure functions of an `HTTPResponse`, so every
/// rule can be tested, and fuzzed, on fixed bytes. A status outside 2xx is `.status` with the
/// body kept; a 2xx answer of the wrong shape is `.badAnswer`.
public enum Answers {
  /// `GET /prompt`: `exec_info.queue_remaining`.
  public static func queueRemaining(_ response: HTTPResponse, url: String) throws(RemoteError) -> Int {
    let answer = try json(response, url: url)
    guard let remaining = answer["exec_info"]?["queue_remaining"]?.intValue else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): the answer has no exec_info.queue_remaining", body: answer)
    }
    return remaining
  }

  /// `GET /system_stats`: `system.os`.
  public static func serverOS(_ response: HTTPResponse, url: String) throws(RemoteError) -> ServerOS {
    let answer = try json(response, url: url)
    guard let text = answer["system"]?["os"]?.stringValue else {
      throw RemoteError(kind: .badAnswer, url: url, message: "\(url): the answer has no system.os", body: answer)
    }
    return ServerOS(reported: text)
  }

  /// `POST /prompt`: `prompt_id`, `number` and `node_errors`. Only a 200 whose `prompt_id` is
  /// a sane id (`isSanePromptID`) and whose `number` is an integer is an accepted prompt.
  public static func promptReply(_ response: HTTPResponse, url: String) throws(RemoteError) -> PromptReply {
    let answer = try json(response, url: url)
    guard response.status == 200 else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): HTTP \(response.status) is not how ComfyUI accepts a prompt",
        body: answer)
    }
    guard let id = answer["prompt_id"]?.stringValue, let number = answer["number"] else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): the answer has no prompt_id or number", body: answer)
    }
    guard isSanePromptID(id) else {
      throw RemoteError(
        kind: .badAnswer, url: url,
        message: "\(url): the answer's prompt_id \(answer["prompt_id"]!.serialized) is not an id "
          + "(1 to \(maxPromptIDLength) letters, digits, '-', '_' or '.', not starting with '.')", body: answer)
    }
    guard case .number = number, number.intValue != nil else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): the answer's number \(number.serialized) is not an integer",
        body: answer)
    }
    return PromptReply(promptID: id, number: number, nodeErrors: answer["node_errors"]?.objectValue ?? [:])
  }

  /// The longest `prompt_id` accepted from a server (a UUID has 36 characters).
  public static let maxPromptIDLength = 128

  /// Whether a server's `prompt_id` is safe to carry in records, URLs, file names and messages:
  /// 1 to 128 ASCII letters, digits, `-`, `_` or `.`, not starting with `.`.
  public static func isSanePromptID(_ id: String) -> Bool {
    guard !id.isEmpty, id.utf8.count <= maxPromptIDLength, !id.hasPrefix(".") else { return false }
    return id.utf8.allSatisfy { b in
      (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || b == 0x2D
        || b == 0x5F || b == 0x2E
    }
  }

  /// `GET /queue`: the running and pending items (items of another shape are skipped).
  public static func queue(_ response: HTTPResponse, url: String) throws(RemoteError) -> QueueState {
    let answer = try json(response, url: url)
    guard let running = answer["queue_running"]?.arrayValue, let pending = answer["queue_pending"]?.arrayValue else {
      throw RemoteError(kind: .badAnswer, url: url, message: "\(url): the answer is not a queue", body: answer)
    }
    return QueueState(running: running.compactMap(QueueItem.init), pending: pending.compactMap(QueueItem.init))
  }

  /// `GET /history/{id}`: the entry, or `nil` while there is none (`{}`).
  public static func historyEntry(_ response: HTTPResponse, url: String, promptID: String) throws(RemoteError)
    -> JSONObject?
  {
    let answer = try json(response, url: url)
    guard let entry = answer[promptID] else { return nil }
    guard let object = entry.objectValue else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): the history entry for \(promptID) is not an object",
        body: answer)
    }
    return object
  }

  /// `POST /upload/image`: where the file landed.
  public static func uploaded(_ response: HTTPResponse, url: String, subfolder: String, type: String)
    throws(RemoteError) -> UploadedFile
  {
    let answer = try json(response, url: url)
    guard let stored = answer["name"]?.stringValue else {
      throw RemoteError(kind: .badAnswer, url: url, message: "\(url): the answer has no name", body: answer)
    }
    return UploadedFile(
      name: stored, subfolder: answer["subfolder"]?.stringValue ?? subfolder, type: answer["type"]?.stringValue ?? type)
  }

  /// The answer's JSON object, or an error that says what came instead.
  public static func json(_ response: HTTPResponse, url: String) throws(RemoteError) -> JSON {
    let parsed = try? JSON.parse(response.body)
    guard (200..<300).contains(response.status) else {
      let text = parsed == nil ? RemoteError.excerpt(response.body) : nil
      var message = "\(url): HTTP \(response.status)"
      if let text, !text.isEmpty { message += ": \(text)" }
      throw RemoteError(kind: .status(response.status), url: url, message: message, body: parsed, bodyText: text)
    }
    guard let parsed, case .object = parsed else {
      let what = response.contentType.map { " (\($0))" } ?? ""
      let text = RemoteError.excerpt(response.body)
      throw RemoteError(
        kind: .badAnswer, url: url,
        message: "\(url): the answer is not a JSON object\(what): \(text.isEmpty ? "empty body" : text)",
        bodyText: text)
    }
    return parsed
  }

  public static func expectSuccess(_ response: HTTPResponse, url: String) throws(RemoteError) {
    if !(200..<300).contains(response.status) { _ = try json(response, url: url) }
  }
}
