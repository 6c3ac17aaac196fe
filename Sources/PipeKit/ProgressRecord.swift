/// A `progress` record: how far a node or a job has come (DESIGN.md §2), from node-run and from
/// remote-fetch with `--progress-records`.
///
/// `value` and `max` are numbers as their source wrote them (JSON keeps a number's literal, so a
/// node that counts in fractions is passed on as it counted). `record` writes
/// `type, value, max, node?, prompt_id?, id?`; `max` is `null` when the source gave none.
public struct ProgressRecord: Sendable, Equatable {
  public var value: JSON
  public var max: JSON
  public var node: String?
  /// The prompt whose progress it is (remote-fetch).
  public var promptID: String?
  public var id: JSON?

  public init(value: JSON, max: JSON, node: String? = nil, promptID: String? = nil, id: JSON? = nil) {
    self.value = value
    self.max = max
    self.node = node
    self.promptID = promptID
    self.id = id
  }

  /// Reads a `progress` record (or a worker's progress frame, which has the same members);
  /// a missing `value` is 0 and a missing `max` null.
  public init(record: JSONObject) {
    self.init(
      value: record["value"] ?? .int(0), max: record["max"] ?? .null, node: record["node"]?.stringValue,
      promptID: record["prompt_id"]?.stringValue, id: record["id"])
  }

  public var record: JSONObject {
    var object: JSONObject = ["type": "progress", "value": value, "max": max]
    if let node { object["node"] = .string(node) }
    if let promptID { object["prompt_id"] = .string(promptID) }
    if let id { object["id"] = id }
    return object
  }
}
