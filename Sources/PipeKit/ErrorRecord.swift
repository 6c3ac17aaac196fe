/// An `error` record: one item failed (DESIGN.md §2).
///
/// `code` is a short stable kebab-case word scripts match on, `message` one sentence that says
/// what to do, `detail` the specifics. `id` correlates it with the input record it answers.
public struct ErrorRecord: Error, Sendable, Equatable {
  public var code: String
  public var message: String
  public var id: JSON?
  public var detail: JSON?
  /// The exit status this failure calls for.
  public var exit: ExitCode

  public init(code: String, message: String, id: JSON? = nil, detail: JSON? = nil, exit: ExitCode = .failure) {
    self.code = code
    self.message = message
    self.id = id
    self.detail = detail
    self.exit = exit
  }

  /// The record as written by `tool`.
  public func record(tool: String) -> JSONObject {
    var object: JSONObject = [
      "type": "error", "tool": .string(tool), "code": .string(code), "message": .string(message),
    ]
    if let id { object["id"] = id }
    if let detail { object["detail"] = detail }
    return object
  }
}
