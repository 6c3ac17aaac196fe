import PipeKit

/// A `job` record: a prompt queued on a server, as remote-queue (and remote-fetch `--requeue`)
/// writes it and remote-fetch and `remote-queue --cancel` read it (DESIGN.md §2).
///
/// Reading checks nothing beyond the members' types: what a reader needs (a `remote` it can
/// reach, a `prompt_id`) it checks itself, with its own words. `record` writes `type, id?,
/// remote, prompt_id, client_id?, number?, variant?, warning?, prompt?, uploads?,
/// requeued_from?`, then any other members a read record had.
public struct JobRecord: Sendable, Equatable {
  public var id: JSON?
  /// The server's base URL, `scheme://host:port[/prefix]`.
  public var remote: String?
  public var promptID: String?
  /// The `client_id` the prompt was posted with.
  public var clientID: String?
  /// The server's queue number for it, as the server wrote it.
  public var number: JSON?
  /// Which of `--count` variants it is.
  public var variant: Int?
  /// The server's `node_errors` when some outputs failed validation: `{message, node_errors}`.
  public var warning: JSONObject?
  /// The prompt as it was posted (not with `--no-carry`).
  public var prompt: JSONObject?
  /// The local files uploaded for it.
  public var uploads: [UploadRecord] = []
  /// Set when an item of a read record's `uploads` lacks `node`, `input`, `path` or `sha256`.
  public var unreadableUploads = false
  /// The servers (`{remote, prompt_id}`) it ran on before it was requeued.
  public var requeuedFrom: [JSON] = []
  /// Members of a read record that none of the above is, in their order.
  public var extra: JSONObject = [:]

  public init(
    id: JSON?, remote: String, promptID: String, clientID: String?, number: JSON?, variant: Int? = nil
  ) {
    self.id = id
    self.remote = remote
    self.promptID = promptID
    self.clientID = clientID
    self.number = number
    self.variant = variant
  }

  static let known: Set<String> = [
    "type", "id", "remote", "prompt_id", "client_id", "number", "variant", "warning", "prompt", "uploads",
    "requeued_from",
  ]

  public init(record: JSONObject) {
    id = record["id"]
    remote = record["remote"]?.stringValue
    promptID = record["prompt_id"]?.stringValue
    clientID = record["client_id"]?.stringValue
    number = record["number"]
    variant = record["variant"]?.intValue
    warning = record["warning"]?.objectValue
    prompt = record["prompt"]?.objectValue
    for item in record["uploads"]?.arrayValue ?? [] {
      if let upload = try? UploadRecord(record: item) {
        uploads.append(upload)
      } else {
        unreadableUploads = true
      }
    }
    requeuedFrom = record["requeued_from"]?.arrayValue ?? []
    extra = JSONObject(record.filter { !Self.known.contains($0.key) }.map { ($0.key, $0.value) })
  }

  public var record: JSONObject {
    var object: JSONObject = ["type": "job"]
    if let id { object["id"] = id }
    if let remote { object["remote"] = .string(remote) }
    if let promptID { object["prompt_id"] = .string(promptID) }
    if let clientID { object["client_id"] = .string(clientID) }
    if let number { object["number"] = number }
    if let variant { object["variant"] = .int(variant) }
    if let warning { object["warning"] = .object(warning) }
    if let prompt { object["prompt"] = .object(prompt) }
    if !uploads.isEmpty { object["uploads"] = .array(uploads.map(\.record)) }
    if !requeuedFrom.isEmpty { object["requeued_from"] = .array(requeuedFrom) }
    for (key, value) in extra where object[key] == nil { object[key] = value }
    return object
  }
}
