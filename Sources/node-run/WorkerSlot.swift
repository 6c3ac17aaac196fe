import PipeKit

/// One place in the pool: a worker started on first use, replaced after a crash or a timeout.
final class WorkerSlot: @unchecked Sendable {
  let tool: Tool
  let options: RunOptions
  var python: String?
  private var worker: WorkerProcess?

  init(tool: Tool, options: RunOptions, python: String?) {
    self.tool = tool
    self.options = options
    self.python = python
  }

  /// Runs one call to its end and writes what it gave: a result or an error (and progress).
  func perform(_ call: CallRequest) {
    defer { call.releaseInputs() }
    guard let worker = try? ensureWorker(call) else { return }
    guard worker.send(call.frame) else { return crashed(worker, call) }
    let deadline = options.timeout.map { monotonicSeconds() + $0 }
    var drewProgress = false
    defer { if drewProgress { tool.diagnostics.clearProgress() } }
    var first = true
    while true {
      defer { first = false }
      switch worker.replies.next(deadline: deadline, spin: first) {
      case .frame(let reply):
        switch reply["kind"]?.stringValue {
        case "progress":
          let record = Replies.progress(reply, for: call)
          if options.progressRecords {
            tool.emit(record.record)
            tool.output.flush()  // progress is worth something only while the call runs
          }
          if tool.diagnostics.showsProgress, let value = record.value.intValue {
            tool.diagnostics.progress(call.label, value: value, of: record.max.intValue)
            drewProgress = true
          }
          continue
        case "message":
          // A node's message for ComfyUI's WebSocket clients (PromptServer.send_sync in the
          // worker): a record for the caller, while the call runs.
          tool.emit(Replies.message(reply, for: call))
          tool.output.flush()
          continue
        case "result":
          switch Replies.result(reply, for: call) {
          case .success(let record):
            if let error = Replies.tooLarge(
              record, reply: reply, frameBytes: worker.replies.lastFrameBytes, for: call)
            {
              tool.report(error)
            } else {
              tool.emit(record)
            }
          case .failure(let error): tool.report(error)
          }
        case "error":
          tool.report(Replies.error(reply, for: call, pid: worker.pid))
        default:
          tool.report(
            ErrorRecord(code: "internal", message: "the worker sent an unknown reply", id: call.id, exit: .software))
        }
        return
      case .end, .malformed:
        return crashed(worker, call)
      case .timedOut:
        let pid = worker.pid
        worker.kill()
        self.worker = nil
        tool.report(Replies.timedOut(call, pid: pid, seconds: options.timeout ?? 0))
        return
      }
    }
  }

  private func crashed(_ worker: WorkerProcess, _ call: CallRequest) {
    let (exit, stderr) = worker.reap()
    self.worker = nil
    tool.report(Replies.crashed(call, pid: worker.pid, exit: exit, stderr: stderr))
  }

  private func ensureWorker(_ call: CallRequest) throws -> WorkerProcess {
    if let worker { return worker }
    guard let python else {
      let error = ErrorRecord(
        code: "no-python", message: "no interpreter: give --venv DIR or --python PATH, or a venv record first",
        id: call.id, exit: .unavailable)
      tool.report(error)
      throw error
    }
    do {
      let started = try WorkerProcess.start(
        python: python, config: options.workerConfig, readyTimeout: max(60, options.timeout ?? 0))
      tool.diagnostics.note("worker \(started.pid) ready: \(started.versions)")
      worker = started
      return started
    } catch {
      let record = ErrorRecord(
        code: "worker-start-failed", message: "\(error.message) (\(python))", id: call.id,
        detail: ["python": .string(python), "stderr_tail": .string(error.stderr)])
      tool.report(record)
      throw record
    }
  }

  /// Stops the worker, if one runs.
  func stop() {
    worker?.stop()
    worker = nil
  }
}
