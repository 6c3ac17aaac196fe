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

  /// `POST /prompt`: `prompt_id`, `number` and `node_errors`.
  public static func promptReply(_ response: HTTPResponse, url: String) throws(RemoteError) -> PromptReply {
    let answer = try json(response, url: url)
    guard let id = answer["prompt_id"]?.stringValue, let number = answer["number"] else {
      throw RemoteError(
        kind: .badAnswer, url: url, message: "\(url): the answer has no prompt_id or number", body: answer)
    }
    return PromptReply(promptID: id, number: number, nodeErrors: answer["node_errors"]?.objectValue ?? [:])
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
