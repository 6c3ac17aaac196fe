import ComfyRemote
import PipeKit

/// One `job` record: a prompt queued on a server, as remote-queue writes it.
struct Job: Sendable {
  var id: JSON?
  var server: ServerAddress
  var promptID: String
  var clientID: String?
  var line: Int
  /// When remote-fetch read the record (monotonic seconds); a requeued job keeps its first time.
  var started: Double
  /// The whole record, for `--requeue` (its `prompt`, `uploads`, `variant`, `requeued_from`).
  var record: JobRecord

  /// The server's base URL, `scheme://host:port[/prefix]`, as records carry it.
  var remote: String { server.baseURL }

  /// Reads a `job` record; the error says which field is missing or wrong.
  init(record: JSONObject, line: Int, started: Double = monotonicSeconds()) throws(ErrorRecord) {
    try self.init(job: JobRecord(record: record), line: line, started: started)
  }

  /// A job from its typed record (a requeued one, straight from the `Submitter`).
  init(job record: JobRecord, line: Int, started: Double) throws(ErrorRecord) {
    id = record.id
    self.line = line
    self.started = started
    self.record = record
    func fail(_ message: String) -> ErrorRecord {
      ErrorRecord(
        code: "bad-job", message: "input line \(line): \(message)", id: record.id,
        detail: ["line": .int(line)], exit: .dataError)
    }
    guard let remote = record.remote, !remote.isEmpty else {
      throw fail("a job needs \"remote\", the server's base URL")
    }
    let scheme = remote.split(separator: ":", maxSplits: 1).first?.lowercased()
    guard remote.contains("://"), scheme == "http" || scheme == "https" else {
      throw fail("\"remote\" must be an http:// or https:// URL (found '\(remote)')")
    }
    do {
      server = try ServerAddress.parseOne(remote)
    } catch {
      throw fail("\"remote\": \(error.message)")
    }
    guard let promptID = record.promptID, !promptID.isEmpty else {
      throw fail("a job needs \"prompt_id\", a string")
    }
    self.promptID = promptID
    clientID = record.clientID.flatMap { $0.isEmpty ? nil : $0 }
  }

  /// The folder under `-o` for this job's files: its `id`, else its `prompt_id`.
  var folderName: String {
    switch id {
    case .string(let text)?: SafeFileName.make(text, fallback: promptID)
    case .number(let text)?: SafeFileName.make(text, fallback: promptID)
    default: SafeFileName.make(promptID, fallback: "job")
    }
  }

  var elapsed: Double { monotonicSeconds() - started }

  /// The servers this job already ran on before it was requeued.
  var requeuedFrom: [JSON] { record.requeuedFrom }

  /// An error record about this job, with its `prompt_id` and `remote` in `detail`.
  func error(_ code: String, _ message: String, detail: JSONObject = [:]) -> ErrorRecord {
    var full: JSONObject = ["prompt_id": .string(promptID), "remote": .string(remote)]
    for (key, value) in detail { full[key] = value }
    return ErrorRecord(code: code, message: message, id: id, detail: .object(full))
  }
}
