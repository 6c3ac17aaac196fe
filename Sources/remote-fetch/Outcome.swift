import PipeKit

/// What a server's history entry says about a finished prompt (comfyui-api.md §1.6).
struct Outcome: Sendable {
  enum Status: String, Sendable {
    case success, error, interrupted
    /// Deleted from the queue by `remote-queue --cancel`; never in a history entry.
    case cancelled
  }

  /// One output file: an item with `filename` and `type` in a node's output lists.
  struct Item: Sendable, Equatable {
    var node: String
    var filename: String
    var subfolder: String
    var type: String
  }

  var status: Status
  /// The `execution_error` or `execution_interrupted` message's data, when there is one.
  var failure: JSONObject?
  var items: [Item]

  /// Reads a history entry leniently: unknown keys and non-file items are skipped.
  init(entry: JSONObject) {
    let statusObject = entry["status"]?.objectValue
    var status: Status = statusObject?["status_str"]?.stringValue == "success" ? .success : .error
    var failure: JSONObject?
    for message in statusObject?["messages"]?.arrayValue ?? [] {
      guard let pair = message.arrayValue, pair.count == 2, let name = pair[0].stringValue else { continue }
      if name == "execution_error" {
        status = .error
        failure = pair[1].objectValue
      } else if name == "execution_interrupted" {
        status = .interrupted
        failure = pair[1].objectValue
      }
    }
    self.status = status
    self.failure = failure
    var items: [Item] = []
    for (node, output) in entry["outputs"]?.objectValue ?? [:] {
      for (key, list) in output.objectValue ?? [:] where key != "text" {
        for item in list.arrayValue ?? [] {
          guard let object = item.objectValue, let filename = object["filename"]?.stringValue,
            let type = object["type"]?.stringValue
          else { continue }
          items.append(
            Item(node: node, filename: filename, subfolder: object["subfolder"]?.stringValue ?? "", type: type))
        }
      }
    }
    self.items = items
  }

  /// The error record for a failed or interrupted prompt; `nil` on success.
  func errorRecord(for job: Job) -> ErrorRecord? {
    let data = failure ?? [:]
    var detail: JSONObject = [:]
    for key in ["node_id", "node_type", "exception_type", "exception_message", "traceback"] {
      if let value = data[key] { detail[key] = value }
    }
    let node = data["node_id"]?.stringValue.map { " at node \($0)" } ?? ""
    let type = data["node_type"]?.stringValue.map { " (\($0))" } ?? ""
    switch status {
    case .success, .cancelled:
      return nil
    case .interrupted:
      return job.error("interrupted", "prompt \(job.promptID) was interrupted\(node)\(type)", detail: detail)
    case .error:
      let exception = [data["exception_type"]?.stringValue, data["exception_message"]?.stringValue]
        .compactMap { $0 }.joined(separator: ": ")
      let what = exception.split(separator: "\n").first.map { ": " + $0 } ?? ""
      return job.error("execution-error", "prompt \(job.promptID) failed\(node)\(type)\(what)", detail: detail)
    }
  }
}
