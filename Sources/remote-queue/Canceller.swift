import ComfyRemote
import PipeKit

/// `--cancel`: reads `job` records and stops exactly those jobs. A pending one is deleted from
/// the queue, a running one is interrupted by its `prompt_id` (the server ignores the interrupt
/// unless that prompt is the one running). A job whose queue entry carries another `client_id`
/// is left alone. Before deleting a pending prompt it leaves a marker on the server
/// (`ComfyClient.markCancelled`), by which remote-fetch tells the deletion from a loss. Each job gives a `cancel` record: `id, remote, prompt_id, state, action`.
struct Canceller {
  let tool: Tool
  let settings: QueueSettings

  func run() throws {
    var clients: [String: ComfyClient] = [:]
    for item in tool.records() {
      switch item {
      case .invalid(let line, let reason): tool.reportInvalid(line: line, reason: reason)
      case .record(let record, let line):
        guard record.type == "job" else {
          tool.emit(record)
          continue
        }
        cancel(JobRecord(record: record), position: "<stdin>:\(line)", clients: &clients)
      }
    }
  }

  func cancel(_ job: JobRecord, position: String, clients: inout [String: ComfyClient]) {
    let id = job.id
    guard let remote = job.remote, let promptID = job.promptID else {
      tool.report(
        ErrorRecord(code: "bad-record", message: "the job record has no remote or prompt_id", id: id), at: position)
      return
    }
    let client: ComfyClient
    if let known = clients[remote] {
      client = known
    } else {
      guard let address = try? ServerAddress.parseOne(remote) else {
        tool.report(
          ErrorRecord(
            code: "bad-record", message: "the job's remote '\(remote)' is not a server address", id: id,
            detail: ["remote": .string(remote)]), at: position)
        return
      }
      client = ComfyClient(server: address, headers: settings.headers, options: settings.http)
      clients[remote] = client
    }
    let clientID = job.clientID
    var record: JSONObject = ["type": "cancel"]
    if let id { record["id"] = id }
    record["remote"] = .string(remote)
    record["prompt_id"] = .string(promptID)
    do {
      let queue = try client.queue()
      if let item = queue.pending(promptID) ?? queue.running(promptID) {
        if let clientID, let owner = item.clientID, owner != clientID {
          tool.report(
            ErrorRecord(
              code: "not-ours",
              message: "prompt \(promptID) on \(remote) belongs to client \(owner), not \(clientID); left alone",
              id: id,
              detail: ["remote": .string(remote), "prompt_id": .string(promptID), "client_id": .string(owner)]),
            at: position)
          return
        }
      }
      if queue.pending(promptID) != nil {
        // The marker first: a remote-fetch that sees the prompt gone must find it.
        do {
          try client.markCancelled(promptID: promptID)
        } catch {
          tool.diagnostics.note(
            "\(remote): no cancel marker for \(promptID) (\(error.message)); remote-fetch will call it lost")
        }
        try client.deletePending([promptID])
        record["state"] = "pending"
        record["action"] = "deleted"
        // The worker may have taken it between the two requests: then it runs, and is interrupted.
        if try client.queue().running(promptID) != nil {
          try client.interrupt(promptID: promptID)
          record["state"] = "running"
          record["action"] = "interrupted"
        }
      } else if queue.running(promptID) != nil {
        try client.interrupt(promptID: promptID)
        record["state"] = "running"
        record["action"] = "interrupted"
      } else if try client.history(promptID: promptID) != nil {
        record["state"] = "finished"
        record["action"] = "none"
      } else {
        record["state"] = "unknown"
        record["action"] = "none"
      }
      tool.emit(record)
    } catch {
      var detail = error.detail
      detail["prompt_id"] = .string(promptID)
      tool.report(
        ErrorRecord(
          code: error.isUnreachable ? "unreachable" : error.code(or: "server-error"),
          message: "cannot cancel \(promptID): \(error.message)", id: id, detail: .object(detail),
          exit: error.isUnreachable ? .temporaryFailure : .failure), at: position)
    }
  }
}
