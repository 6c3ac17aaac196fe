import Foundation
import PipeKit

/// The command line of remote-fetch: wait for queued ComfyUI jobs and bring their outputs home.
enum RemoteFetch {
  static let spec = CommandSpec(
    name: "remote-fetch", version: pipeKitVersion,
    overview: "Wait for queued ComfyUI jobs and download every output file they made.",
    usage: ["-o DIR [--poll] [--timeout SECONDS] [--header NAME:VALUE]... < jobs.ndjson"],
    options: [
      OptionSpec(["--output", "-o"], value: "DIR", help: "Write each job's files to DIR/<job id or prompt_id>/."),
      OptionSpec(["--poll"], help: "Poll /history with backoff instead of listening on the WebSocket."),
      OptionSpec(
        ["--timeout", "-t"], value: "SECONDS",
        help: "Give up on a job that has not finished this long after its record was read (default: never)."),
      OptionSpec(
        ["--header", "-H"], value: "NAME:VALUE",
        help: "Send this header with every request, the WebSocket handshake included (repeatable; never printed)."),
      OptionSpec(
        ["--request-timeout"], value: "SECONDS", help: "Bound every HTTP request and connection (default 30)."),
      OptionSpec(
        ["--retries"], value: "N",
        help: "Retry a connection that fails N times, with backoff, before giving up (default 3)."),
      OptionSpec(
        ["--check-interval"], value: "SECONDS",
        help: "With the WebSocket, also check /history and /queue this often (default 5)."),
      OptionSpec(["--max-file-size"], value: "BYTES", help: "Refuse output files larger than this (default 64 GiB)."),
      OptionSpec(["--progress-records"], help: "Write 'progress' records for the servers' progress messages."),
      OptionSpec(["--quiet", "-q"], help: "Print no progress and no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let settings = try settings(from: arguments)
    tool.output.flushesEachRecord = true
    let reporter = Reporter(tool: tool, progressRecords: arguments.flag("--progress-records"))
    var watchers: [String: Watcher] = [:]
    var order: [Watcher] = []
    let group = DispatchGroup()
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
          let job = try Job(record: record, line: line)
          let key = job.remote + "\n" + (job.clientID ?? "")
          if watchers[key] == nil {
            let watcher = Watcher(remote: job.remote, clientID: job.clientID, settings: settings, reporter: reporter)
            watchers[key] = watcher
            order.append(watcher)
            group.enter()
            let thread = Thread {
              watcher.run()
              group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
          }
          watchers[key]!.add(job)
        } catch {
          tool.report(error, at: "<stdin>:\(line)")
        }
      }
    }
    for watcher in order { watcher.endInput() }
    group.wait()
    if reporter.everyRemoteUnreachable { tool.note(.temporaryFailure) }
  }

  static func settings(from arguments: Arguments) throws -> Settings {
    var settings = Settings()
    guard let output = arguments.value("--output"), !output.isEmpty else {
      throw UsageError("-o DIR is required: where the files go")
    }
    settings.outputDirectory = output.count > 1 && output.hasSuffix("/") ? String(output.dropLast()) : output
    settings.poll = arguments.flag("--poll")
    settings.jobTimeout = try arguments.value("--timeout").map { try seconds($0, "--timeout") }
    if let text = arguments.value("--request-timeout") {
      settings.requestTimeout = try seconds(text, "--request-timeout")
    }
    if let text = arguments.value("--check-interval") { settings.checkInterval = try seconds(text, "--check-interval") }
    if let text = arguments.value("--retries") {
      guard let n = Int(text), (0...20).contains(n) else { throw UsageError("--retries takes a count from 0 to 20") }
      settings.retries = n
    }
    if let text = arguments.value("--max-file-size") {
      guard let n = Int(text), n > 0 else { throw UsageError("--max-file-size takes a positive number of bytes") }
      settings.maxFileBytes = n
    }
    settings.headers = try arguments.values("--header").map(header)
    return settings
  }

  static func seconds(_ text: String, _ option: String) throws -> Double {
    guard let value = Double(text), value > 0, value.isFinite else {
      throw UsageError("\(option) takes a positive number of seconds (found '\(text)')")
    }
    return value
  }

  /// `NAME:VALUE` as a request line `NAME: VALUE`. The value is never echoed in messages.
  static func header(_ text: String) throws -> String {
    guard let colon = text.firstIndex(of: ":") else { throw UsageError("--header takes NAME:VALUE") }
    let name = text[..<colon].trimmingCharacters(in: .whitespaces)
    let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    let token = CharacterSet(charactersIn: "!#$%&'*+-.^_`|~").union(.alphanumerics)
    guard !name.isEmpty, name.unicodeScalars.allSatisfy(token.contains) else {
      throw UsageError("--header: '\(name)' is not a header name")
    }
    guard !value.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
      throw UsageError("--header \(name): the value holds a line break")
    }
    return "\(name): \(value)"
  }
}
