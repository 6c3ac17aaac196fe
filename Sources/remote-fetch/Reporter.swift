import PipeKit

/// Where every watcher's records go: `file`, `done`, `error` and `progress` records, written
/// as soon as they are known, and the tally of which servers answered at all.
final class Reporter: @unchecked Sendable {
  let tool: Tool
  let progressRecords: Bool
  private let lock = Lock()
  private var reached: Set<String> = []
  private var unreachable: Set<String> = []

  init(tool: Tool, progressRecords: Bool) {
    self.tool = tool
    self.progressRecords = progressRecords
  }

  func file(_ written: Downloader.Written, item: Outcome.Item, job: Job) {
    let record = FileRecord(
      path: written.path, bytes: written.bytes, sha256: written.sha256, promptID: job.promptID, node: item.node,
      id: job.id)
    tool.emit(record.record)
  }

  func done(_ job: Job, status: Outcome.Status, files: Int) {
    var record: JSONObject = [
      "type": "done", "prompt_id": .string(job.promptID), "status": .string(status.rawValue), "files": .int(files),
      "seconds": .double((job.elapsed * 1000).rounded() / 1000),
    ]
    if let id = job.id { record["id"] = id }
    tool.emit(record)
  }

  func error(_ record: ErrorRecord) { tool.report(record) }

  func progress(_ job: Job, value: Int, max: Int, node: String?) {
    if progressRecords {
      let record = ProgressRecord(value: .int(value), max: .int(max), node: node, promptID: job.promptID, id: job.id)
      tool.emit(record.record)
    }
    let label = "\(job.promptID.prefix(8))" + (node.map { " node \($0)" } ?? "")
    tool.diagnostics.progress(label, value: value, of: max)
  }

  func note(_ message: String) { tool.diagnostics.note(message) }

  /// Notes that `remote` answered, or could not be reached.
  func mark(_ remote: String, reached ok: Bool) {
    lock.withLock {
      if ok {
        _ = reached.insert(remote)
      } else {
        _ = unreachable.insert(remote)
      }
    }
  }

  /// True when some server was tried and none ever answered: exit 75.
  var everyRemoteUnreachable: Bool { lock.withLock { reached.isEmpty && !unreachable.isEmpty } }
}
