import ComfyRemote
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Reads workflows (records, bare prompts, files, or parameter records for `--template`) and
/// queues every variant of each on the least loaded server.
struct Queuer {
  let tool: Tool
  let settings: QueueSettings
  let pool: ServerPool
  let submitter: Submitter
  private var template: JSONObject?
  private var warnedSeedless = false

  init(tool: Tool, settings: QueueSettings) {
    self.tool = tool
    self.settings = settings
    let clients = settings.servers.map { ComfyClient(server: $0, headers: settings.headers, options: settings.http) }
    pool = ServerPool(clients: clients, note: { tool.diagnostics.note($0) })
    submitter = Submitter(
      tool: tool, pool: pool, clientID: settings.clientID, carry: settings.carry, retries: settings.http.retries)
  }

  mutating func run() throws {
    if let path = settings.template {
      let value = try Self.readJSONFile(path)
      do {
        template = try PromptEdits.prompt(from: value["prompt"] ?? value)
      } catch {
        throw ErrorRecord(
          code: error.code, message: "--template \(path): \(error.message)", detail: ["path": .string(path)],
          exit: .dataError)
      }
    }
    let sources = settings.files.isEmpty ? ["-"] : settings.files
    for source in sources {
      if source == "-" {
        let reader = tool.records()
        for item in reader {
          switch item {
          case .invalid(let line, let reason): tool.reportInvalid(line: line, reason: reason)
          case .record(let record, let line): handle(record, position: "<stdin>:\(line)")
          }
        }
      } else {
        do {
          guard let record = try Self.readJSONFile(source).objectValue else {
            throw ErrorRecord(
              code: "bad-workflow", message: "\(source) holds no JSON object", detail: ["path": .string(source)])
          }
          handle(record, position: source, fromFile: true)
        } catch let error as ErrorRecord {
          tool.report(error, at: source)
        }
      }
    }
  }

  /// A record from the input: consumed when it is a workflow (or, with `--template`, a record
  /// without a type), forwarded unchanged otherwise.
  mutating func handle(_ record: JSONObject, position: String, fromFile: Bool = false) {
    let type = record.type
    guard type == nil || type == "workflow" else {
      tool.emit(record)
      return
    }
    let id = record["id"]
    do throws(WorkflowProblem) {
      var prompt = try basePrompt(record, fromFile: fromFile)
      PromptEdits.stripIsChanged(&prompt)
      try PromptEdits.apply(settings.sets, to: &prompt)
      if let set = record["set"] {
        guard let members = set.objectValue else {
          throw WorkflowProblem(code: "bad-set", message: "\"set\" is \(set.kindName), not an object")
        }
        var overrides: [Override] = []
        for (key, value) in members {
          do throws(UsageError) {
            overrides.append(try Override(key: key, value: value))
          } catch {
            throw WorkflowProblem(code: "bad-set", message: "\"set\": \(error.message)")
          }
        }
        try PromptEdits.apply(overrides, to: &prompt)
      }
      let files = try LocalFiles.find(in: prompt, inputDir: settings.inputDir)
      for variant in 0..<settings.count {
        var copy = prompt
        let offset = Int64(variant).multipliedReportingOverflow(by: settings.seedStep).partialValue
        let seeds = PromptEdits.shiftSeeds(by: offset, in: &copy)
        if settings.count > 1 && seeds == 0 && !warnedSeedless {
          warnedSeedless = true
          tool.diagnostics.note(
            "\(position): no seed or noise_seed input, so the \(settings.count) variants are identical (the server serves repeats from its cache)"
          )
        }
        let work = Work(
          id: id, prompt: copy, position: position, variant: settings.count > 1 ? variant : nil)
        submitter.submit(work, files: files)
      }
    } catch {
      var detail = error.detail
      if fromFile { detail["path"] = .string(position) }
      tool.report(
        ErrorRecord(code: error.code, message: error.message, id: id, detail: detail.isEmpty ? nil : .object(detail)),
        at: position)
    }
  }

  /// The prompt a consumed record stands for.
  func basePrompt(_ record: JSONObject, fromFile: Bool) throws(WorkflowProblem) -> JSONObject {
    if let prompt = record["prompt"] { return try PromptEdits.prompt(from: prompt) }
    if PromptEdits.isUIFormat(record) { return try PromptEdits.prompt(from: .object(record)) }
    if record.type == nil, !fromFile, let template { return template }
    if record.type == nil, PromptEdits.looksLikePrompt(record) { return record }
    throw WorkflowProblem(
      code: "bad-workflow",
      message: settings.template == nil
        ? "not a workflow: expected {\"type\":\"workflow\",\"prompt\":{…}} or an API-format prompt"
        : "a workflow record without \"prompt\"")
  }

  /// Reads a whole JSON file (a workflow or a template).
  static func readJSONFile(_ path: String) throws -> JSON {
    let bytes: [UInt8]
    do {
      let fd = try FileDescriptor.open(path, O_RDONLY)
      bytes = try fd.closeAfter { try $0.readAll(limit: 256 << 20) }
    } catch {
      throw ErrorRecord(
        code: "no-input", message: "cannot read \(path): \(error)", detail: ["path": .string(path)], exit: .noInput)
    }
    do {
      return try JSON.parse(bytes)
    } catch {
      throw ErrorRecord(
        code: "bad-workflow", message: "\(path) is not JSON: \(error)", detail: ["path": .string(path)],
        exit: .dataError)
    }
  }
}
