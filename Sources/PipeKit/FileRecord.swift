/// A `file` record: a file on disk, written by a tool (tensor-pack's unpack, remote-fetch) or
/// named for the next one to read (tensor-pack's pack) (DESIGN.md §2).
///
/// `record` writes the members in one order, `type` first and `id` last:
/// `path, bytes, sha256, name?, prompt_id?, node?`, then any other members a read record had.
public struct FileRecord: Sendable, Equatable {
  public var path: String
  /// The size in bytes (always set by a tool that wrote the file).
  public var bytes: Int?
  /// The hex SHA-256 of the contents (always set by a tool that wrote the file).
  public var sha256: String?
  /// The tensor's or the output's own name (tensor-pack).
  public var name: String?
  /// The prompt whose output it is (remote-fetch).
  public var promptID: String?
  /// The node that made it (remote-fetch).
  public var node: String?
  public var id: JSON?
  /// Members of a read record that none of the above is, in their order.
  public var extra: JSONObject = [:]

  public init(
    path: String, bytes: Int? = nil, sha256: String? = nil, name: String? = nil, promptID: String? = nil,
    node: String? = nil, id: JSON? = nil
  ) {
    self.path = path
    self.bytes = bytes
    self.sha256 = sha256
    self.name = name
    self.promptID = promptID
    self.node = node
    self.id = id
  }

  /// Why a record is not a usable `file` record.
  public struct Problem: Error, Sendable, Equatable {
    public var message: String
  }

  static let known: Set<String> = ["type", "path", "bytes", "sha256", "name", "prompt_id", "node", "id"]

  /// Reads a `file` record; it needs a string `path`.
  public init(record: JSONObject) throws(Problem) {
    guard let path = record["path"]?.stringValue else { throw Problem(message: "file record without a \"path\"") }
    self.init(
      path: path, bytes: record["bytes"]?.intValue, sha256: record["sha256"]?.stringValue,
      name: record["name"]?.stringValue, promptID: record["prompt_id"]?.stringValue,
      node: record["node"]?.stringValue, id: record["id"])
    extra = JSONObject(record.filter { !Self.known.contains($0.key) }.map { ($0.key, $0.value) })
  }

  public var record: JSONObject {
    var object: JSONObject = ["type": "file", "path": .string(path)]
    if let bytes { object["bytes"] = .int(bytes) }
    if let sha256 { object["sha256"] = .string(sha256) }
    if let name { object["name"] = .string(name) }
    if let promptID { object["prompt_id"] = .string(promptID) }
    if let node { object["node"] = .string(node) }
    for (key, value) in extra where object[key] == nil { object[key] = value }
    if let id { object["id"] = id }
    return object
  }
}
