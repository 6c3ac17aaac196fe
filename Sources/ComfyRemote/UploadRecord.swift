import PipeKit

/// An item of a `job` record's `uploads`: which input of which node a local file fills, the file
/// (absolute path and digest) and where it landed on the server, so that `remote-fetch
/// --requeue` can upload it again to another server, from the local file or, when that is gone,
/// from the first server.
public struct UploadRecord: Sendable, Equatable {
  public var node: String
  public var input: String
  public var path: String
  public var sha256: String
  /// The name and subfolder it has on the server it went to first.
  public var name: String
  public var subfolder: String

  public init(node: String, input: String, path: String, sha256: String, name: String, subfolder: String) {
    self.node = node
    self.input = input
    self.path = path
    self.sha256 = sha256
    self.name = name
    self.subfolder = subfolder
  }

  /// An item that lacks `node`, `input`, `path` or `sha256` (strings).
  public struct Problem: Error, Sendable, Equatable {}

  /// Reads an item; `name` and `subfolder` are empty when it has none.
  public init(record: JSON) throws(Problem) {
    guard let node = record["node"]?.stringValue, let input = record["input"]?.stringValue,
      let path = record["path"]?.stringValue, let sha256 = record["sha256"]?.stringValue
    else { throw Problem() }
    self.init(
      node: node, input: input, path: path, sha256: sha256, name: record["name"]?.stringValue ?? "",
      subfolder: record["subfolder"]?.stringValue ?? "")
  }

  public var record: JSON {
    [
      "node": .string(node), "input": .string(input), "path": .string(path), "sha256": .string(sha256),
      "name": .string(name), "subfolder": .string(subfolder),
    ]
  }
}
