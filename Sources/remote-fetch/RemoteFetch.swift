import ComfyRemote
import Dispatch
import PipeHTTP
import PipeKit

/// The command line of remote-fetch: wait for queued ComfyUI jobs and bring their outputs home.
enum RemoteFetch {
  /// Each request 30 s, connecting 10 s, 3 retries.
  static let httpDefaults: HTTPClient.Options = {
    var defaults = HTTPClient.Options()
    defaults.totalTimeout = 30
    defaults.connectTimeout = 10
    return defaults
  }()

  static let spec = CommandSpec(
    name: "remote-fetch", version: pipeKitVersion,
    overview: "Wait for queued ComfyUI jobs and download every output file they made.",
    usage: [
      "-o DIR [--poll] [--job-timeout SECONDS] [--header NAME:VALUE]... < jobs.ndjson",
      "-o DIR --requeue [--to ADDRESS]... [options] < jobs.ndjson",
    ],
    options: [
      OptionSpec(["--output", "-o"], value: "DIR", help: "Write each job's files to DIR/<job id or prompt_id>/."),
      OptionSpec(["--poll"], help: "Poll /history with backoff instead of listening on the WebSocket."),
      OptionSpec(
        ["--job-timeout", "--timeout", "-t"], value: "SECONDS",
        help: "Give up on a job that has not finished this long after its record was read (default: never)."),
      OptionSpec(
        ["--header", "-H"], value: "NAME:VALUE",
        help: "Send this header with every request, the WebSocket handshake included (repeatable; never printed)."),
    ] + RemoteFetch.httpDefaults.optionSpecs() + [
      OptionSpec(
        ["--check-interval"], value: "SECONDS",
        help: "With the WebSocket, also check /history and /queue this often (default 5)."),
      OptionSpec(["--max-file-size"], value: "BYTES", help: "Refuse output files larger than this (default 64 GiB)."),
      OptionSpec(
        ["--requeue"],
        help:
          "Send a job whose server restarted or stopped answering again, from the prompt its record carries, to a server of --to."
      ),
      OptionSpec(
        ["--to"], value: "ADDRESS",
        help: "With --requeue: the servers to choose from, as remote-queue takes them (default: $COMFY_REMOTE)."),
      OptionSpec(["--progress-records"], help: "Write 'progress' records for the servers' progress messages."),
      OptionSpec(["--quiet", "-q"], help: "Print no progress and no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let settings = try settings(from: arguments, environment: Environment.current)
    tool.output.flushesEachRecord = true
    let reporter = Reporter(tool: tool, progressRecords: arguments.flag("--progress-records"))
    let requeuer = settings.requeue ? Requeuer(tool: tool, settings: settings, reporter: reporter) : nil
    let dispatcher = Dispatcher(settings: settings, reporter: reporter, requeuer: requeuer)
    requeuer?.dispatch = dispatcher.add
    for item in tool.records() {
      switch item {
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
      case .record(let record, let line):
        guard record.type == "job" else {
          tool.emit(record)
          continue
        }
        do {
          dispatcher.add(try Job(record: record, line: line))
        } catch {
          tool.report(error, at: "<stdin>:\(line)")
        }
      }
    }
    dispatcher.endInput()
    dispatcher.wait()
    if reporter.everyRemoteUnreachable { tool.note(.temporaryFailure) }
  }

  static func settings(from arguments: Arguments, environment: [String: String]) throws(UsageError) -> Settings {
    var settings = Settings()
    guard let output = arguments.value("--output"), !output.isEmpty else {
      throw UsageError("-o DIR is required: where the files go")
    }
    settings.outputDirectory = withoutTrailingSlashes(output)
    settings.poll = arguments.flag("--poll")
    if let seconds = try arguments.seconds("--job-timeout") { settings.jobTimeout = seconds }
    if let seconds = try arguments.seconds("--check-interval") { settings.checkInterval = seconds }
    settings.http = Self.httpDefaults
    try settings.http.read(arguments)
    if let text = arguments.value("--max-file-size") {
      guard let n = Int(text), n > 0 else { throw UsageError("--max-file-size takes a positive number of bytes") }
      settings.maxFileBytes = n
    }
    settings.headers = try RemoteOptions.headers(arguments)
    settings.requeue = arguments.flag("--requeue")
    settings.servers = try RemoteOptions.servers(arguments, environment: environment)
    if settings.requeue && settings.servers.isEmpty {
      throw UsageError("--requeue needs servers to send lost jobs to: give --to ADDRESS or set COMFY_REMOTE")
    }
    if !settings.requeue && !arguments.values("--to").isEmpty { throw UsageError("--to is only for --requeue") }
    return settings
  }
}

/// One watcher thread per server and `client_id`, started when its first job arrives (from
/// standard input, or from `--requeue`); a watcher whose work is over is replaced when another
/// job for it comes later.
final class Dispatcher: @unchecked Sendable {
  let settings: Settings
  let reporter: Reporter
  let requeuer: Requeuer?
  private let lock = Lock()
  private var watchers: [String: Watcher] = [:]
  private var inputEnded = false
  private let group = DispatchGroup()

  init(settings: Settings, reporter: Reporter, requeuer: Requeuer?) {
    self.settings = settings
    self.reporter = reporter
    self.requeuer = requeuer
  }

  func add(_ job: Job) {
    lock.withLock {
      let key = job.remote + "\n" + (job.clientID ?? "")
      if let watcher = watchers[key], watcher.add(job) { return }
      let watcher = Watcher(
        server: job.server, clientID: job.clientID, settings: settings, reporter: reporter, requeuer: requeuer)
      watchers[key] = watcher
      _ = watcher.add(job)
      if inputEnded { watcher.endInput() }
      group.enter()
      startThread { [group] in
        watcher.run()
        group.leave()
      }
    }
  }

  /// Standard input has ended: each watcher stops once its jobs are done.
  func endInput() {
    lock.withLock {
      inputEnded = true
      for watcher in watchers.values { watcher.endInput() }
    }
  }

  /// Returns when every watcher, those started by requeued jobs included, has finished.
  func wait() { group.wait() }
}
