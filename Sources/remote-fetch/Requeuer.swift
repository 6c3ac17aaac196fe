import ComfyRemote
import PipeKit

/// `--requeue`: sends a lost job (its server restarted or stopped answering) again from the
/// prompt its record carries, to the least loaded server of `--to`, with remote-queue's own
/// `Submitter`, and hands the new job to the dispatcher so that its files come home.
///
/// The carried prompt names its input files by where they landed on the first server, so every
/// item of the record's `uploads` is uploaded again: from the local file when it still has the
/// same sha256, else from the first server's `/view` (a restarted server still has its input
/// folder), checked against the same digest. Jobs are requeued one at a time.
final class Requeuer: @unchecked Sendable {
  let reporter: Reporter
  let settings: Settings
  let submitter: Submitter
  /// Where a new job goes; set once, before any job is read.
  var dispatch: ((Job) -> Void)?
  private let lock = Lock()
  /// The largest input file fetched back from a first server.
  static let maxInputBytes = 256 << 20

  init(tool: Tool, settings: Settings, reporter: Reporter) {
    self.reporter = reporter
    self.settings = settings
    let clients = settings.servers.map { ComfyClient(server: $0, headers: settings.headers, options: settings.http) }
    let pool = ServerPool(clients: clients, note: { reporter.note($0) })
    submitter = Submitter(
      tool: tool, pool: pool, clientID: UUID4.make(), carry: true, retries: settings.http.retries)
  }

  /// Sends `job` elsewhere, or writes the error that says why it cannot be.
  func requeue(_ job: Job, because reason: String, code: String) {
    lock.withLock {
      guard let prompt = job.record.prompt else {
        return reporter.error(
          job.error(
            code,
            "\(reason); it cannot be requeued: its job record carries no prompt (remote-queue --no-carry)"))
      }
      guard job.requeuedFrom.count < max(1, settings.servers.count) else {
        return reporter.error(
          job.error(code, "\(reason); not requeued again: it was requeued \(job.requeuedFrom.count) times"))
      }
      let files: [LocalFile]
      do throws(Problem) {
        files = try inputFiles(of: job)
      } catch {
        return reporter.error(
          job.error(code, "\(reason); it cannot be requeued: \(error.message)", detail: error.detail))
      }
      reporter.note("\(reason); requeueing \(job.id.map { "job \($0.serialized)" } ?? "it")")
      let from: JSON = ["remote": .string(job.remote), "prompt_id": .string(job.promptID)]
      let work = Work(
        id: job.id, prompt: prompt, position: "<stdin>:\(job.line)", variant: job.record.variant,
        requeuedFrom: job.requeuedFrom + [from])
      guard let record = submitter.submit(work, files: files, avoiding: job.remote) else { return }
      do throws(ErrorRecord) {
        dispatch?(try Job(job: record, line: job.line, started: job.started))
      } catch {
        reporter.error(error)
      }
    }
  }

  struct Problem: Error {
    var message: String
    var detail: JSONObject
  }

  /// The record's `uploads`, read back: the local file when its digest still matches, else the
  /// copy on the job's first server.
  func inputFiles(of job: Job) throws(Problem) -> [LocalFile] {
    if job.record.unreadableUploads {
      throw Problem(message: "an item of its \"uploads\" lacks node, input, path or sha256", detail: [:])
    }
    var files: [LocalFile] = []
    for upload in job.record.uploads {
      let (node, input, path, sha256) = (upload.node, upload.input, upload.path, upload.sha256)
      if let bytes = readFileIfPresent(path, limit: Self.maxInputBytes), SHA256.hex(bytes) == sha256 {
        files.append(LocalFile(node: node, input: input, path: path, bytes: bytes, sha256: sha256))
        continue
      }
      let first = ComfyClient(server: job.server, headers: settings.headers, options: settings.http)
      let (name, subfolder) = (upload.name, upload.subfolder)
      let copy = try? first.view(name: name, subfolder: subfolder, type: "input", maxBytes: Self.maxInputBytes)
      guard let copy, SHA256.hex(copy) == sha256 else {
        throw Problem(
          message: "its input file \(path) is gone or changed, and \(job.remote) cannot give it back",
          detail: ["path": .string(path), "sha256": .string(sha256)])
      }
      var file = LocalFile(node: node, input: input, path: path, bytes: copy, sha256: sha256)
      file.source = first.viewURL(name: name, subfolder: subfolder, type: "input")
      files.append(file)
    }
    return files
  }
}
