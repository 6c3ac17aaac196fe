import PipeHTTP
import PipeKit

/// A small client for the core ComfyUI HTTP API (`shared/reference/comfyui-api.md` §1), over
/// `PipeHTTP`.
///
/// Every request carries `headers` (for servers behind auth; they never appear in messages),
/// goes only to `server`: a redirect is never followed but thrown as `.redirected`, naming its
/// `Location`; it is bounded by `http.options` timeouts and body limit, and is retried with backoff when the connection fails,
/// never after an HTTP answer. `postPrompt` alone is never retried: a POST whose answer was lost
/// may have queued the prompt, and only the caller can check (`queue`, `history`) before trying
/// again.
public struct ComfyClient: Sendable {
  public let server: ServerAddress
  public var http: HTTPClient
  /// Extra request headers as `Name: value` lines.
  public var headers: [String]

  public init(server: ServerAddress, headers: [String] = [], options: HTTPClient.Options = HTTPClient.Options()) {
    self.server = server
    self.headers = headers
    self.http = HTTPClient(options: options)
  }

  /// The client a request goes out with: `http` (or `client`) with redirects off, whatever the
  /// caller set.
  private func pinned(_ client: HTTPClient? = nil) -> HTTPClient {
    var pinned = client ?? http
    pinned.options.followsRedirects = false
    return pinned
  }

  // MARK: Endpoints

  /// `GET /prompt`: `exec_info.queue_remaining` (pending plus running prompts).
  public func queueRemaining() throws(RemoteError) -> Int {
    let url = server.url("/prompt")
    return try Answers.queueRemaining(try send(.get, url), url: url)
  }

  /// `GET /system_stats`: the operating system the server runs on.
  public func serverOS() throws(RemoteError) -> ServerOS {
    let url = server.url("/system_stats")
    return try Answers.serverOS(try send(.get, url), url: url)
  }

  /// `POST /prompt` with `body` (`prompt`, `prompt_id`, `client_id`, `extra_data`, …); never
  /// retried. A 400 is thrown as `.status(400)` with the server's `{error, node_errors}` in `body`.
  public func postPrompt(_ body: JSONObject) throws(RemoteError) -> PromptReply {
    let url = server.url("/prompt")
    var once = http
    once.options.retries = 0
    return try Answers.promptReply(try send(.post, url, json: .object(body), using: once), url: url)
  }

  /// `GET /queue`: the running and pending prompts.
  public func queue() throws(RemoteError) -> QueueState {
    let url = server.url("/queue")
    return try Answers.queue(try send(.get, url), url: url)
  }

  /// `POST /queue {"delete": ids}`: removes pending prompts (unknown ids are ignored by the server).
  public func deletePending(_ ids: [String]) throws(RemoteError) {
    let url = server.url("/queue")
    let response = try send(.post, url, json: ["delete": .array(ids.map { .string($0) })])
    try Answers.expectSuccess(response, url: url)
  }

  /// `POST /interrupt {"prompt_id": id}`: stops that prompt if, and only if, it is the one running.
  public func interrupt(promptID: String) throws(RemoteError) {
    let url = server.url("/interrupt")
    let response = try send(.post, url, json: ["prompt_id": .string(promptID)])
    try Answers.expectSuccess(response, url: url)
  }

  /// The folder of the server's input directory where `remote-queue --cancel` leaves a marker
  /// for each pending prompt it deletes, so that `remote-fetch` reports it cancelled, not lost.
  public static let cancelMarkerSubfolder = "comfy-pipes-cancelled"

  /// The marker's file name, or `nil` for a prompt id that is not a plain file name.
  static func cancelMarkerName(_ promptID: String) -> String? {
    let plain =
      !promptID.isEmpty && promptID.count <= 128
      && promptID.unicodeScalars.allSatisfy {
        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
      }
    return plain ? promptID + ".json" : nil
  }

  /// Leaves the marker that says `promptID` was deleted on purpose (a small JSON file, uploaded
  /// to `input/comfy-pipes-cancelled/`, which survives a restart of the server).
  public func markCancelled(promptID: String) throws(RemoteError) {
    guard let name = Self.cancelMarkerName(promptID) else { return }
    let body = JSON.object(["prompt_id": .string(promptID), "cancelled_by": "remote-queue --cancel"]).serialized
    _ = try uploadImage(name: name, bytes: Array(body.utf8), subfolder: Self.cancelMarkerSubfolder, overwrite: true)
  }

  /// Whether `remote-queue --cancel` left its marker for `promptID` on this server.
  public func isMarkedCancelled(promptID: String) throws(RemoteError) -> Bool {
    guard let name = Self.cancelMarkerName(promptID) else { return false }
    return try hasFile(name: name, subfolder: Self.cancelMarkerSubfolder)
  }

  /// `GET /history/{id}`: the finished prompt's entry, or `nil` while it is pending, running or
  /// unknown (the server answers `{}` for all three).
  public func history(promptID: String) throws(RemoteError) -> JSONObject? {
    let url = server.url("/history/\(Self.escaped(promptID))")
    return try Answers.historyEntry(try send(.get, url), url: url, promptID: promptID)
  }

  /// The `/view` URL of a file (`type` `input`, `output` or `temp`).
  public func viewURL(name: String, subfolder: String, type: String) -> String {
    server.url("/view?filename=\(Self.escaped(name))&subfolder=\(Self.escaped(subfolder))&type=\(Self.escaped(type))")
  }

  /// `HEAD /view`: whether the server has the file (`type` `input`, `output` or `temp`).
  public func hasFile(name: String, subfolder: String, type: String = "input") throws(RemoteError) -> Bool {
    let response = try send(.head, viewURL(name: name, subfolder: subfolder, type: type))
    return (200..<300).contains(response.status)
  }

  /// `GET /view`, streamed: the body goes to `consume` as it arrives (false stops the transfer);
  /// `restart` runs before every attempt. A body over `maxBytes` or any status but 200 fails.
  public func download(
    name: String, subfolder: String, type: String, maxBytes: Int, restart: () -> Void,
    consume: (UnsafeRawBufferPointer) -> Bool
  ) throws(RemoteError) {
    let url = viewURL(name: name, subfolder: subfolder, type: type)
    var client = pinned()
    client.options.maxBodyBytes = maxBytes
    let response: HTTPResponse
    do {
      response = try client.download(url, headers: headers, restart: restart, consume: consume)
    } catch {
      throw RemoteError.from(error, limit: maxBytes)
    }
    if (300..<400).contains(response.status) { throw RemoteError.redirected(response, url: url) }
    guard response.status == 200 else {
      throw RemoteError(kind: .status(response.status), url: url, message: "\(url): HTTP \(response.status)")
    }
  }

  /// `GET /view` into memory, for small files (an input image to upload elsewhere).
  public func view(name: String, subfolder: String, type: String, maxBytes: Int) throws(RemoteError) -> [UInt8] {
    var bytes: [UInt8] = []
    try download(
      name: name, subfolder: subfolder, type: type, maxBytes: maxBytes, restart: { bytes = [] },
      consume: { chunk in
        bytes += chunk
        return true
      })
    return bytes
  }

  /// `POST /upload/image` as multipart/form-data: the file's bytes under `name` in `subfolder`.
  /// The server may rename it (`x (1).png`); use the returned name.
  public func uploadImage(
    name: String, bytes: [UInt8], subfolder: String, type: String = "input", overwrite: Bool = false
  ) throws(RemoteError) -> UploadedFile {
    let url = server.url("/upload/image")
    var form = MultipartForm()
    form.addFile("image", fileName: name, contentType: Self.contentType(of: name), bytes: bytes)
    form.addField("type", type)
    form.addField("subfolder", subfolder)
    if overwrite { form.addField("overwrite", "true") }
    let body = form.body
    let response = try send(.post, url, body: body, contentType: form.contentType)
    return try Answers.uploaded(response, url: url, subfolder: subfolder, type: type)
  }

  // MARK: Plumbing

  /// One request with the client's headers; a missing answer becomes `.unreachable`, a 3xx
  /// `.redirected` and a body over the limit `.tooLarge`.
  public func send(
    _ method: HTTPClient.Method, _ url: String, json: JSON? = nil, body: [UInt8] = [], contentType: String? = nil,
    using client: HTTPClient? = nil
  ) throws(RemoteError) -> HTTPResponse {
    var lines = headers
    var payload = body
    if let json {
      payload = Array(json.serialized.utf8)
      lines.append("Content-Type: application/json")
    } else if let contentType {
      lines.append("Content-Type: \(contentType)")
    }
    let client = pinned(client)
    let response: HTTPResponse
    do {
      response = try client.send(method, url, headers: lines, body: payload)
    } catch {
      throw RemoteError.from(error, limit: client.options.maxBodyBytes)
    }
    if (300..<400).contains(response.status) { throw RemoteError.redirected(response, url: url) }
    return response
  }

  /// A query or path component with everything but unreserved characters percent-encoded.
  public static func escaped(_ text: String) -> String { URLText.percentEncoded(text) }

  static func contentType(of name: String) -> String {
    let ext = name.split(separator: ".").last.map { $0.lowercased() } ?? ""
    return [
      "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "gif": "image/gif",
      "mp4": "video/mp4", "webm": "video/webm", "wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac",
    ][ext] ?? "application/octet-stream"
  }
}

/// The server's operating system, as `/system_stats` reports it: `posix`/`nt` (v0.3.x) or
/// `sys.platform` (`linux`, `win32`, `darwin`; 0.38).
public enum ServerOS: String, Sendable {
  case posix
  case windows

  public init(reported: String) {
    let text = reported.lowercased()
    self = text == "nt" || text.hasPrefix("win") || text == "cygwin" ? .windows : .posix
  }

  /// The path separator model names use there.
  public var separator: Character { self == .windows ? "\\" : "/" }
}

/// The answer to an accepted `POST /prompt`.
public struct PromptReply: Sendable, Equatable {
  public var promptID: String
  /// The queue number as the server wrote it (an integer, or a float when one was sent).
  public var number: JSON
  /// Outputs that failed validation and were dropped (a partial run); empty when all is well.
  public var nodeErrors: JSONObject
}

/// One `/queue` item: `[number, prompt_id, prompt, extra_data, outputs_to_execute]`.
public struct QueueItem: Sendable, Equatable {
  public var number: JSON
  public var promptID: String
  public var extraData: JSONObject

  init?(_ value: JSON) {
    guard let items = value.arrayValue, items.count >= 2, let id = items[1].stringValue else { return nil }
    number = items[0]
    promptID = id
    extraData = items.count > 3 ? items[3].objectValue ?? [:] : [:]
  }

  /// The `client_id` the prompt was posted with.
  public var clientID: String? { extraData["client_id"]?.stringValue }
}

/// `GET /queue`'s answer.
public struct QueueState: Sendable, Equatable {
  public var running: [QueueItem]
  public var pending: [QueueItem]

  public func running(_ promptID: String) -> QueueItem? { running.first { $0.promptID == promptID } }
  public func pending(_ promptID: String) -> QueueItem? { pending.first { $0.promptID == promptID } }
  /// Every prompt id running or pending.
  public var promptIDs: Set<String> { Set((running + pending).map(\.promptID)) }
}

/// Where an upload landed.
public struct UploadedFile: Sendable, Equatable {
  public var name: String
  public var subfolder: String
  public var type: String

  public init(name: String, subfolder: String, type: String = "input") {
    self.name = name
    self.subfolder = subfolder
    self.type = type
  }

  /// How a workflow names it: `subfolder/name`, or `name` alone.
  public var reference: String { subfolder.isEmpty ? name : "\(subfolder)/\(name)" }
}
