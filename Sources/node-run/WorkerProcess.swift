import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Why a worker could not be started or stopped answering.
struct WorkerFailure: Error {
  var message: String
  var stderr: String
}

/// One Python worker: the venv's interpreter in isolated mode, running the embedded worker, with
/// requests on its fd 3, replies on its fd 4, and its fd 1 and 2 on node-run's stderr. It leads a
/// process group of its own: a timeout or a stop kills the whole group, so processes a node
/// started (a `subprocess` left running) do not outlive their worker.
final class WorkerProcess: @unchecked Sendable {
  /// Reads the worker source from fd 3 (one frame) and runs it; nothing else on the command line.
  static let bootstrap = """
    import os
    def r(n):
     b=b''
     while len(b)<n:
      c=os.read(3,n-len(b))
      if not c:raise SystemExit(0)
      b+=c
     return b
    s=r(int.from_bytes(r(4),'little'))
    del r
    exec(compile(s,'node_run_worker.py','exec'),{'__name__':'node_run_worker','__file__':'node_run_worker.py'})
    """

  /// Variables that would carry the caller's Python into the worker's own subprocesses.
  static let droppedEnvironment = ["PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONSAFEPATH"]

  let child: ChildProcess
  let requests: FileDescriptor
  let replies: FrameReader
  let stderr: StderrPump
  private(set) var ready: JSONObject = [:]
  private var ended: (ProcessExit, String)?

  var pid: Int32 { child.pid }

  private init(child: ChildProcess, requests: FileDescriptor, replies: FrameReader, stderr: StderrPump) {
    self.child = child
    self.requests = requests
    self.replies = replies
    self.stderr = stderr
  }

  /// Starts a worker and waits for its ready message (at most `readyTimeout` seconds).
  static func start(python: String, config: JSON, readyTimeout: Double) throws(WorkerFailure) -> WorkerProcess {
    let worker: WorkerProcess
    do {
      worker = try spawn(python: python)
    } catch {
      throw WorkerFailure(message: "cannot start \(python): \(error)", stderr: "")
    }
    do {
      try worker.requests.writeAll(Frame.encode(PythonSources.worker))
      try worker.requests.writeAll(Frame.encode(config))
    } catch {
      // The worker died before reading; its exit and stderr say why.
    }
    switch worker.replies.next(deadline: monotonicSeconds() + readyTimeout) {
    case .frame(let message) where message["kind"] == "ready":
      worker.ready = message
      return worker
    case .timedOut:
      let tail = worker.kill()
      throw WorkerFailure(message: "the worker sent no ready message within \(readyTimeout) s", stderr: tail.1)
    default:
      let (exit, tail) = worker.reap()
      throw WorkerFailure(message: "the worker ended before it was ready (\(exit))", stderr: tail)
    }
  }

  private static func spawn(python: String) throws -> WorkerProcess {
    let requestPipe = try FileDescriptor.pipe()
    let replyPipe = try FileDescriptor.pipe()
    let outputPipe = try FileDescriptor.pipe()
    let null = try FileDescriptor.open("/dev/null", O_RDONLY)
    // Above the numbers they are dup2'd to, so that no mapping overwrites another's source.
    let childEnds = try [requestPipe.read, replyPipe.write, outputPipe.write, null].map {
      try $0.duplicate(atLeast: 10)
    }
    for fd in [requestPipe.read, replyPipe.write, outputPipe.write, null] { fd.close() }
    defer { for fd in childEnds { fd.close() } }
    var environment = Environment.current
    for name in droppedEnvironment { environment[name] = nil }
    let child: ChildProcess
    do {
      child = try ChildProcess.spawn(
        python, arguments: ["-I", "-X", "faulthandler", "-c", bootstrap], environment: environment,
        redirect: [0: childEnds[3], 1: childEnds[2], 2: childEnds[2], 3: childEnds[0], 4: childEnds[1]],
        newProcessGroup: true)
    } catch {
      for fd in [requestPipe.write, replyPipe.read, outputPipe.read] { fd.close() }
      throw error
    }
    return WorkerProcess(
      child: child, requests: requestPipe.write, replies: FrameReader(fd: replyPipe.read),
      stderr: StderrPump(reading: outputPipe.read))
  }

  /// Sends one request frame; `false` when the worker is gone.
  func send(_ frame: [UInt8]) -> Bool {
    (try? requests.writeAll(frame)) != nil
  }

  /// After the reply pipe ended: waits (briefly) for the worker to exit, killing it if it does
  /// not, and returns how it ended and its last stderr lines.
  func reap(grace: Double = 1) -> (ProcessExit, String) {
    if let ended { return ended }
    requests.close()
    replies.fd.close()
    let deadline = monotonicSeconds() + grace
    var exit: ProcessExit? = nil
    while exit == nil {
      exit = try? child.exitIfEnded()
      if exit == nil {
        if monotonicSeconds() > deadline {
          child.signalGroup(SIGKILL)
          exit = try? child.wait()
          break
        }
        usleep(2000)
      }
    }
    // What the node started and left behind goes with its worker (the group outlives its leader
    // while any member lives, so its id is still this group's).
    child.signalGroup(SIGKILL)
    stderr.waitForEnd(0.5)
    let result = (exit ?? .exited(-1), stderr.lastLines)
    ended = result
    return result
  }

  /// Kills the worker and its process group now (a timeout or a stop) and reaps it.
  @discardableResult
  func kill() -> (ProcessExit, String) {
    child.signalGroup(SIGKILL)
    return reap(grace: 5)
  }

  /// Ends a worker cleanly: closing its request pipe makes it return; `grace` seconds later it
  /// is killed.
  func stop(grace: Double = 2) { _ = reap(grace: grace) }

  /// What the ready message said, for notes.
  var versions: String {
    let python = ready["python"]?.stringValue ?? "?"
    let numpy = ready["numpy"]?.stringValue ?? "none"
    let torch = ready["torch"]?.stringValue ?? "none"
    return "python \(python), numpy \(numpy), torch \(torch)"
  }
}
