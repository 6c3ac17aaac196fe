import PipeKit

/// One prompt to queue, with where it came from.
public struct Work {
  public var id: JSON?
  public var prompt: JSONObject
  /// `<stdin>:3` or a file path, for messages.
  public var position: String
  public var variant: Int?
  /// The servers it ran on before (remote-fetch's `--requeue`), for the job record.
  public var requeuedFrom: [JSON] = []

  public init(id: JSON?, prompt: JSONObject, position: String, variant: Int? = nil, requeuedFrom: [JSON] = []) {
    self.id = id
    self.prompt = prompt
    self.position = position
    self.variant = variant
    self.requeuedFrom = requeuedFrom
  }
}
