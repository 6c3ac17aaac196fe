import PipeKit

/// One prompt to queue, with where it came from.
public struct Work {
  public var id: JSON?
  public var prompt: JSONObject
  /// `<stdin>:3` or a file path, for messages.
  public var position: String
  public var variant: Int?
  /// More fields for the `job` record (remote-fetch's `requeued_from`).
  public var extra: JSONObject = [:]

  public init(id: JSON?, prompt: JSONObject, position: String, variant: Int? = nil, extra: JSONObject = [:]) {
    self.id = id
    self.prompt = prompt
    self.position = position
    self.variant = variant
    self.extra = extra
  }
}
