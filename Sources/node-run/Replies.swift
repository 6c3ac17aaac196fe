import PipeKit

/// Turning a worker's reply frames into records: `result`, `error`, `progress`.
enum Replies {
  /// The `result` record for a worker's result frame, after checking every tensor record in it
  /// by PipeKit's rules; a bad one releases all of the reply's segments and becomes an error.
  static func result(_ reply: JSONObject, for call: CallRequest) -> Result<JSONObject, ErrorRecord> {
    let outputs = reply["outputs"] ?? .array([])
    var found = ParsedTensors(in: outputs)
    found.append(ParsedTensors(in: reply["ui"] ?? .null))
    if let (path, error) = found.firstBad {
      for storage in found.storages { SharedMemory.release(storage) }
      return .failure(
        ErrorRecord(
          code: "bad-output", message: "the worker returned a bad tensor at \(path.joined(separator: ".")): \(error)",
          id: call.id))
    }
    var record: JSONObject = ["type": "result"]
    if let id = call.id { record["id"] = id }
    record["outputs"] = outputs
    if let ui = reply["ui"] { record["ui"] = ui }
    record["seconds"] = reply["seconds"] ?? .int(0)
    if let released = reply["released"], case .array = released { record["released"] = released }
    return .success(record)
  }

  /// The longest line a record may be: the limit of PipeKit's `RecordReader`, which drops (as
  /// a bad record) a longer line in whatever tool reads node-run's output.
  static let maxRecordBytes = 64 << 20

  /// The error for a result whose record would be a line over `maxRecordBytes`, or `nil`. A reply
  /// frame well below the limit is not measured (the record is its frame plus a few members).
  static func tooLarge(_ record: JSONObject, reply: JSONObject, frameBytes: Int, for call: CallRequest)
    -> ErrorRecord?
  {
    guard frameBytes > maxRecordBytes - (1 << 20) else { return nil }
    var line: [UInt8] = []
    JSON.object(record).write(to: &line)
    guard line.count + 1 > maxRecordBytes else { return nil }
    for storage in ParsedTensors(in: .object(reply)).storages { SharedMemory.release(storage) }
    return ErrorRecord(
      code: "record-too-large",
      message:
        "the result of \(call.label) would be a \(line.count)-byte line, over the 64 MiB a record may have; "
        + "return large data as numpy arrays or torch tensors (they travel in shared memory), not as JSON values",
      id: call.id, detail: ["node": .string(call.label), "bytes": .int(line.count), "limit": .int(maxRecordBytes)])
  }

  /// The `error` record for a worker's error frame: its code, and for an exception the type,
  /// message and traceback.
  static func error(_ reply: JSONObject, for call: CallRequest, pid: Int32) -> ErrorRecord {
    let code = reply["code"]?.stringValue ?? "exception"
    let message = reply["message"]?.stringValue ?? ""
    var detail: JSONObject = ["node": .string(call.label)]
    for key in ["type", "traceback"] { if let value = reply[key] { detail[key] = value } }
    if code == "exception" { detail["message"] = .string(message) }  // the node's own words
    detail["worker_pid"] = .int(pid)
    let text: String
    if code == "exception", let type = reply["type"]?.stringValue {
      text = message.isEmpty ? "\(call.label) raised \(type)" : "\(call.label) raised \(type): \(message)"
    } else {
      text = message
    }
    return ErrorRecord(code: code, message: text, id: call.id, detail: .object(detail))
  }

  /// The error for a call whose worker died under it.
  static func crashed(_ call: CallRequest, pid: Int32, exit: ProcessExit, stderr: String) -> ErrorRecord {
    var detail: JSONObject = ["node": .string(call.label), "worker_pid": .int(pid)]
    switch exit {
    case .exited(let status): detail["exit_status"] = .int(status)
    case .signaled(let signal): detail["signal"] = .int(signal)
    }
    detail["stderr_tail"] = .string(stderr)
    return ErrorRecord(
      code: "worker-crashed",
      message: "the worker running \(call.label) died (\(exit)); the next call starts a new one", id: call.id,
      detail: .object(detail))
  }

  /// The error for a call that ran past `--timeout`.
  static func timedOut(_ call: CallRequest, pid: Int32, seconds: Double) -> ErrorRecord {
    ErrorRecord(
      code: "timeout",
      message: "\(call.label) ran longer than \(seconds) s; its worker was killed and the next call starts a new one",
      id: call.id, detail: ["node": .string(call.label), "timeout": .double(seconds), "worker_pid": .int(pid)])
  }

  /// A `progress` record for a worker's progress frame.
  /// A `message` record (`event`, `data`) for a worker's message frame.
  static func message(_ reply: JSONObject, for call: CallRequest) -> JSONObject {
    var record: JSONObject = ["type": "message"]
    if let id = call.id { record["id"] = id }
    record["event"] = reply["event"] ?? .string("")
    record["data"] = reply["data"] ?? .null
    return record
  }

  static func progress(_ reply: JSONObject, for call: CallRequest) -> ProgressRecord {
    var record = ProgressRecord(record: reply)
    record.node = record.node ?? call.label
    record.promptID = nil
    record.id = call.id
    return record
  }
}
