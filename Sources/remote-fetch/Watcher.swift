import ComfyRemote
import PipeHTTP
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Settings every watcher shares, from the command line.
struct Settings: Sendable {
  var poll = false
  /// Seconds a job may take from the moment its record is read; `nil` for no limit.
  var jobTimeout: Double?
  /// Seconds between safety-net `/history` and `/queue` checks while a WebSocket is open.
  var checkInterval: Double = 5
  /// Every request's limits and retries (`--request-timeout`, `--retries`).
  var http = HTTPClient.Options()
  var headers: [String] = []
  var outputDirectory = "."
  var maxFileBytes = 64 << 30
  /// `--requeue`: send lost jobs again to one of these servers.
  var requeue = false
  var servers: [ServerAddress] = []
}

/// Waits for the jobs of one `client_id` on one server, on a thread of its own, so that jobs on
/// different servers finish independently. With a WebSocket (`/ws?clientId=…`), `executing`
/// with `node: null` for a job's prompt is the moment its history is complete; because events
/// are not replayed, `/history/{id}` is also checked on every (re)connect, when a job arrives,
/// and every `checkInterval` seconds. Without one (`--poll`, `https`, no `client_id`) it polls
/// `/history/{id}` with backoff. A job in neither history nor `/queue` is lost; with
/// `--requeue`, it (like every job of a server that stopped answering) goes to `requeuer`.
final class Watcher: @unchecked Sendable {
  let server: ComfyClient
  let clientID: String?
  let settings: Settings
  let reporter: Reporter
  let downloader: Downloader
  let requeuer: Requeuer?
  private var usesWebSocket: Bool
  private let lock = Lock()
  private var incoming: [Job] = []
  private var inputEnded = false
  private var stopped = false
  private var jobs: [String: Job] = [:]
  private var socket: WebSocket?
  /// Prompts whose `executing`/`null` came before their job record (a pipeline whose record
  /// arrives after a short job finished), oldest first, at most `rememberedLimit`.
  private var finishedEarly: [String] = []
  static let rememberedLimit = 256
  /// The node now running for this `client_id` (the last `executing` message): a binary image
  /// frame, which names neither, belongs to it.
  private var runningNode: (promptID: String, node: String)?
  /// Images that came as binary frames (`SaveImageWebsocket`), by prompt, in order; those of
  /// prompts not yet known are kept too (at most `rememberedLimit / 4` prompts).
  private var frameImages: [String: [FrameImage]] = [:]
  private var frameOrder: [String] = []

  struct FrameImage {
    var node: String
    var bytes: [UInt8]
    var ext: String
  }

  init(server address: ServerAddress, clientID: String?, settings: Settings, reporter: Reporter, requeuer: Requeuer?) {
    server = ComfyClient(server: address, headers: settings.headers, options: settings.http)
    self.clientID = clientID
    self.settings = settings
    self.reporter = reporter
    self.requeuer = requeuer
    downloader = Downloader(outputDirectory: settings.outputDirectory, maxFileBytes: settings.maxFileBytes)
    usesWebSocket = !settings.poll && clientID != nil && address.scheme == "http"
  }

  var remote: String { server.server.baseURL }

  /// Hands the watcher a job; false when its thread has already finished (start another).
  func add(_ job: Job) -> Bool {
    lock.withLock {
      guard !stopped else { return false }
      incoming.append(job)
      return true
    }
  }

  func endInput() { lock.withLock { inputEnded = true } }

  /// The thread's body: returns when input has ended and every job has its outcome.
  func run() {
    var fullCheckDue = true
    var nextCheck = 0.0
    var pollInterval = 0.05
    var failures = 0
    while true {
      let (arrived, stop) = lock.withLock { () -> ([Job], Bool) in
        defer { incoming = [] }
        stopped = incoming.isEmpty && jobs.isEmpty && inputEnded
        return (incoming, stopped)
      }
      if stop { break }
      for job in arrived { jobs[job.promptID] = job }
      // A job whose prompt already finished is looked up below, before anything else.
      let early = arrived.filter { finishedEarly.contains($0.promptID) }.map(\.promptID)
      if !early.isEmpty {
        finishedEarly.removeAll { early.contains($0) }
        _ = check(early, withQueue: false)
      }
      if jobs.isEmpty {
        idle(0.05)
        continue
      }
      expireTimedOut()
      if usesWebSocket && socket == nil {
        if connect() {
          failures = 0
          fullCheckDue = true
        } else if usesWebSocket {
          // Only a connection that failed counts against --retries; a server that answered
          // without a WebSocket (`connect` turned `usesWebSocket` off) is polled from now on.
          failures += 1
          if failures > settings.http.retries {
            giveUp(reason: "its WebSocket could not be opened")
            failures = 0
          } else {
            sleepSeconds(settings.http.backoff * Double(1 << min(failures - 1, 10)))
          }
          continue
        }
      }
      let now = monotonicSeconds()
      let periodic = now >= nextCheck
      if fullCheckDue || periodic || !arrived.isEmpty || !usesWebSocket {
        let everything = fullCheckDue || periodic || !usesWebSocket
        let names = everything ? Array(jobs.keys) : arrived.map(\.promptID)
        let before = jobs.count
        if !check(names, withQueue: fullCheckDue || periodic) {
          giveUp(reason: "it does not answer")
          continue
        }
        fullCheckDue = false
        if periodic { nextCheck = now + settings.checkInterval }
        if jobs.count < before { pollInterval = 0.05 }
      }
      guard !jobs.isEmpty else { continue }
      if let socket {
        if !listen(socket, until: min(nextCheck, nearestDeadline(), monotonicSeconds() + slice)) {
          self.socket = nil
          fullCheckDue = true
        }
      } else {
        sleepSeconds(min(pollInterval, max(0, nearestDeadline() - monotonicSeconds())))
        pollInterval = min(pollInterval * 1.5, 2)
      }
    }
    socket?.close()
  }

  // MARK: the WebSocket

  private func connect() -> Bool {
    var options = WebSocket.Options()
    options.connectTimeout = settings.http.connectTimeout
    options.writeTimeout = settings.http.totalTimeout
    do {
      let url = server.server.webSocketURL(clientID: clientID ?? "") ?? ""
      socket = try WebSocket.connect(url, headers: settings.headers, options: options)
      reporter.mark(remote, reached: true)
      return true
    } catch {
      if error.kind != .connection && error.kind != .timeout { fallBackToPolling(error) }
      return false
    }
  }

  /// A server that breaks the protocol will not mend: say so once and poll from now on.
  private func fallBackToPolling(_ error: WebSocketError) {
    guard usesWebSocket else { return }
    usesWebSocket = false
    reporter.note("\(remote): WebSocket: \(error.message); polling /history instead")
  }

  /// How long one wait on the socket lasts: short while job records may still come, so that a
  /// job added by `add` is looked at within 5 ms (the socket cannot be woken from another
  /// thread), 50 ms once input has ended.
  private var slice: Double { lock.withLock { inputEnded } ? 0.05 : 0.005 }

  private var hasIncoming: Bool { lock.withLock { !incoming.isEmpty } }

  /// Reads messages until `deadline`, or until a job has been added; false when the connection
  /// is gone.
  private func listen(_ socket: WebSocket, until deadline: Double) -> Bool {
    while true {
      let left = min(deadline, monotonicSeconds() + slice) - monotonicSeconds()
      guard left > 0, !hasIncoming else { return true }
      let message: WebSocketMessage?
      do {
        message = try socket.receive(timeout: left)
      } catch {
        if error.kind != .connection && error.kind != .timeout { fallBackToPolling(error) }
        return false
      }
      switch message {
      case nil: continue
      case .close?: return false
      case .text(let text)?: handle(text)
      case .binary(let bytes)?: handle(binary: bytes)
      default: break
      }
    }
  }

  private func handle(_ text: String) {
    guard case .object(let message)? = try? JSON.parse(text), let data = message["data"]?.objectValue,
      let promptID = data["prompt_id"]?.stringValue
    else { return }
    if message.type == "executing" { runningNode = data["node"]?.stringValue.map { (promptID, $0) } }
    guard let job = jobs[promptID] else {
      if message.type == "executing" && data["node"] == .null { remember(promptID) }
      return
    }
    switch message.type {
    case "executing" where data["node"] == .null:
      _ = check([promptID], withQueue: false)
    case "progress":
      if let value = data["value"]?.intValue, let max = data["max"]?.intValue {
        reporter.progress(job, value: value, max: max, node: data["node"]?.stringValue)
      }
    default: break
    }
  }

  /// A binary frame: `PREVIEW_IMAGE` (int32 1, big-endian), the image type (int32: 1 JPEG,
  /// 2 PNG), the image's bytes (ComfyUI's `server.py` `send_image`). Kept for the running node.
  private func handle(binary bytes: [UInt8]) {
    func int32(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    guard bytes.count > 8, let running = runningNode, int32(0) == 1 else { return }
    let ext: String
    switch int32(4) {
    case 1: ext = "jpg"
    case 2: ext = "png"
    default: return
    }
    if frameImages[running.promptID] == nil {
      frameOrder.append(running.promptID)
      if frameOrder.count > Self.rememberedLimit / 4, let old = frameOrder.firstIndex(where: { jobs[$0] == nil }) {
        frameImages[frameOrder.remove(at: old)] = nil
      }
    }
    frameImages[running.promptID, default: []].append(
      FrameImage(node: running.node, bytes: Array(bytes[8...]), ext: ext))
  }

  /// The frames of `job` that are images a `SaveImageWebsocket` node sent (every PNG frame when
  /// its record carries no prompt: previews of samplers are JPEG), and the nodes of that class
  /// its prompt has.
  private func takeFrames(of job: Job) -> (frames: [FrameImage], nodes: [String]) {
    let frames = frameImages.removeValue(forKey: job.promptID) ?? []
    frameOrder.removeAll { $0 == job.promptID }
    guard let prompt = job.record.prompt else { return (frames.filter { $0.ext == "png" }, []) }
    let nodes = prompt.keys.filter { prompt[$0]?["class_type"]?.stringValue == "SaveImageWebsocket" }.sorted()
    return (frames.filter { nodes.contains($0.node) }, nodes)
  }

  /// Notes a prompt that finished before its job record came; `run` checks its history at once
  /// when the record comes.
  private func remember(_ promptID: String) {
    finishedEarly.append(promptID)
    if finishedEarly.count > Self.rememberedLimit { finishedEarly.removeFirst() }
  }

  private func idle(_ seconds: Double) {
    guard let socket else { return sleepSeconds(seconds) }
    if !listen(socket, until: monotonicSeconds() + seconds) { self.socket = nil }
  }

  // MARK: history and queue

  /// Looks up `names` in `/history`; with `withQueue`, those still pending and absent from
  /// `/queue` are lost. False when the server could not be reached.
  private func check(_ names: [String], withQueue: Bool) -> Bool {
    var pending: [String] = []
    for name in names {
      guard let job = jobs[name] else { continue }
      do {
        if let entry = try server.history(promptID: name) {
          finish(job, entry)
        } else {
          pending.append(name)
        }
        reporter.mark(remote, reached: true)
      } catch {
        if error.isUnreachable { return false }
        fail(
          job, error.code(or: "bad-answer"), "the server's history for \(name) is unusable: \(error.message)",
          error.detail)
      }
    }
    guard withQueue, !pending.isEmpty else { return true }
    let queued: Set<String>
    do {
      queued = try server.queue().promptIDs
    } catch {
      if error.isUnreachable { return false }
      for name in pending {
        if let job = jobs[name] {
          fail(job, error.code(or: "bad-answer"), "the server's /queue is unusable: \(error.message)", error.detail)
        }
      }
      return true
    }
    for name in pending where !queued.contains(name) {
      guard let job = jobs[name] else { continue }
      // It may have finished between the two requests.
      if let entry = try? server.history(promptID: name) {
        finish(job, entry)
      } else if (try? server.isMarkedCancelled(promptID: name)) == true {
        cancelled(job)
      } else {
        lost(job, "prompt \(name) is in neither the history nor the queue of \(remote) (the server restarted?)")
      }
    }
    return true
  }

  /// A pending job that `remote-queue --cancel` deleted (its marker is on the server): never
  /// requeued; an error `cancelled` and a `done` record with that status.
  private func cancelled(_ job: Job) {
    jobs[job.promptID] = nil
    reporter.error(
      job.error(
        "cancelled", "prompt \(job.promptID) was deleted from the queue of \(remote) by remote-queue --cancel"))
    reporter.done(job, status: .cancelled, files: 0)
  }

  /// A job the server no longer knows: requeued elsewhere with `--requeue`, else an error.
  private func lost(_ job: Job, _ message: String, code: String = "lost") {
    jobs[job.promptID] = nil
    if let requeuer {
      requeuer.requeue(job, because: message, code: code)
    } else {
      reporter.error(job.error(code, message))
    }
  }

  /// Downloads a finished job's files and writes its records.
  private func finish(_ job: Job, _ entry: JSONObject) {
    jobs[job.promptID] = nil
    let outcome = Outcome(entry: entry)
    var files = 0
    // A file that could not be fetched or written makes a successful prompt's job an `error`.
    var fileErrors = 0
    func failed(_ record: ErrorRecord) {
      fileErrors += 1
      reporter.error(record)
    }
    var safe: [Outcome.Item] = []
    for item in outcome.items {
      do {
        try Downloader.check(item)
        safe.append(item)
      } catch {
        failed(job.error(error.code, error.message, detail: Self.detail(of: item, error.detail)))
      }
    }
    let (frames, frameNodes) = takeFrames(of: job)
    if !safe.isEmpty || !frames.isEmpty {
      do {
        let folder = try downloader.folder(for: job)
        for item in safe {
          do {
            let written = try downloader.fetch(item, from: server, into: folder)
            reporter.file(written, item: item, job: job)
            files += 1
          } catch {
            failed(job.error(error.code, error.message, detail: Self.detail(of: item, error.detail)))
          }
        }
        var counts: [String: Int] = [:]
        for frame in frames {
          counts[frame.node, default: 0] += 1
          let n = String(counts[frame.node]!)
          let name = "websocket_\(frame.node)_\(String(repeating: "0", count: max(0, 5 - n.count)))\(n)_.\(frame.ext)"
          let item = Outcome.Item(node: frame.node, filename: name, subfolder: "", type: "websocket")
          do {
            reporter.file(try downloader.save(frame.bytes, as: name, into: folder), item: item, job: job)
            files += 1
          } catch {
            failed(job.error(error.code, error.message, detail: Self.detail(of: item, error.detail)))
          }
        }
      } catch {
        failed(job.error(error.code, error.message))
      }
    }
    if outcome.status == .success, let node = frameNodes.first(where: { n in !frames.contains { $0.node == n } }) {
      failed(
        job.error(
          "missed-frames",
          "node \(node) (SaveImageWebsocket) of prompt \(job.promptID) sent no image while the WebSocket was open; "
            + "its images are lost (start remote-fetch before the job runs)", detail: ["node": .string(node)]))
    }
    if let failure = outcome.errorRecord(for: job) { reporter.error(failure) }
    reporter.done(job, status: outcome.status == .success && fileErrors > 0 ? .error : outcome.status, files: files)
  }

  private static func detail(of item: Outcome.Item, _ extra: JSONObject) -> JSONObject {
    var detail = extra
    detail["node"] = .string(item.node)
    detail["filename"] = .string(item.filename)
    detail["subfolder"] = .string(item.subfolder)
    detail["file_type"] = .string(item.type)
    return detail
  }

  private func fail(_ job: Job, _ code: String, _ message: String, _ detail: JSONObject) {
    jobs[job.promptID] = nil
    reporter.error(job.error(code, message, detail: detail))
  }

  /// Every job still waiting gets an `unreachable` error, or with `--requeue` goes elsewhere.
  private func giveUp(reason: String) {
    reporter.mark(remote, reached: false)
    socket?.close()
    socket = nil
    for job in jobs.values.sorted(by: { $0.line < $1.line }) {
      lost(job, "cannot reach \(remote): \(reason); retry later", code: "unreachable")
    }
  }

  private func expireTimedOut() {
    guard let limit = settings.jobTimeout else { return }
    for job in jobs.values.sorted(by: { $0.line < $1.line }) where job.elapsed > limit {
      fail(
        job, "timeout", "prompt \(job.promptID) did not finish within --timeout \(limit) s", ["seconds": .double(limit)]
      )
    }
  }

  private func nearestDeadline() -> Double {
    guard let limit = settings.jobTimeout else { return .infinity }
    return (jobs.values.map(\.started).min() ?? monotonicSeconds()) + limit
  }
}
