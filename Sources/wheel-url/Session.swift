import PipeKit
import WheelURL

#if canImport(Glibc)
  import Glibc
#endif

/// One run of wheel-url over its input: the env record, `package` records and everything else
/// forwarded, with each request answered as soon as it can be.
///
/// The requests from the command line and the config files are answered once the env is known:
/// from `--env` at once, else when the first `env` record arrives on stdin (after forwarding it).
/// `package` records that arrive before any env wait for it. At the end of the input, whatever
/// is still waiting is answered without an env: plain PyPI requirements pass through, the rest
/// get `no-env` errors.
struct Session {
  let tool: Tool
  let resolver: Resolver
  let settings: CommandSettings
  /// The env from `--env`, which stdin's env records do not replace.
  var fixedEnv: WheelEnv?
  var currentEnv: WheelEnv?
  var answeredStart = false
  var waiting: [(Request, String)] = []

  init(tool: Tool, resolver: Resolver, settings: CommandSettings) {
    self.tool = tool
    self.resolver = resolver
    self.settings = settings
  }

  mutating func run() throws {
    if let path = settings.envFile {
      fixedEnv = try Self.loadEnv(path)
      currentEnv = fixedEnv
      answerStart(env: fixedEnv)
    }
    if settings.envFile == nil || !FileDescriptor.standardInput.isTerminal {
      readInput()
    }
    if !answeredStart { answerStart(env: nil) }
    for (request, position) in waiting { answer(request, env: nil, at: position) }
  }

  mutating func readInput() {
    for item in tool.records() {
      switch item {
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
      case .record(let record, let line):
        let position = "<stdin>:\(line)"
        switch record.type {
        case "env":
          tool.emit(record)
          guard fixedEnv == nil else { continue }
          do {
            currentEnv = try WheelEnv(record: record)
          } catch {
            tool.report(
              ErrorRecord(code: "bad-env", message: "env record at line \(line): \(error.message)", id: record["id"]),
              at: position)
            continue
          }
          if !answeredStart { answerStart(env: currentEnv) }
          let held = waiting
          waiting = []
          for (request, at) in held { answer(request, env: currentEnv, at: at) }
        case "package":
          guard let request = packageRequest(record, line: line) else { continue }
          if currentEnv == nil {
            waiting.append((request, position))
          } else {
            answer(request, env: currentEnv, at: position)
          }
        default:
          tool.emit(record)
        }
      }
    }
  }

  /// A `package` record as a request, or `nil` after reporting why it is not one.
  func packageRequest(_ record: JSONObject, line: Int) -> Request? {
    let id = record["id"]
    func bad(_ why: String) -> Request? {
      tool.report(
        ErrorRecord(code: "bad-package", message: "package record at line \(line): \(why)", id: id),
        at: "<stdin>:\(line)")
      return nil
    }
    guard let name = record["name"]?.stringValue, !name.isEmpty else {
      return bad("it needs a \"name\" string, e.g. {\"type\":\"package\",\"name\":\"nvdiffrast\",\"spec\":\"==0.4.0\"}")
    }
    var spec = ""
    if let value = record["spec"], !value.isNull {
      guard let text = value.stringValue else { return bad("\"spec\" must be a string such as \">=0.7.8\"") }
      spec = text.trimmingASCIIWhitespace()
      if let first = spec.first, first.isNumber { spec = "==" + spec }
    }
    do {
      return try Request(name + spec, origin: "<stdin>:\(line)", id: id)
    } catch {
      return bad(error.message)
    }
  }

  /// Answers the command line's and the config files' requests.
  mutating func answerStart(env: WheelEnv?) {
    answeredStart = true
    let platform = env.map { ($0.os, $0.arch) } ?? WheelEnv.runningPlatform
    var configRequests: [(ConfigFile, ConfigEntry)] = []
    for path in settings.configs {
      do {
        let file = try ConfigFile.load(path, platform: platform)
        for warning in file.warnings { tool.diagnostics.note("\(path): \(warning)") }
        for error in file.errors { tool.report(error.record, at: path) }
        resolver.userSources += file.sources
        configRequests += file.entries.map { (file, $0) }
        let pins = file.torchPins(env: env)
        for note in pins.notes { tool.diagnostics.note("\(path): \(note)") }
        configRequests += pins.entries.map { (file, $0) }
      } catch {
        tool.report(error, at: path)
      }
    }
    for request in settings.requests { answer(request, env: env, at: nil) }
    for (file, entry) in configRequests {
      do {
        answer(try entry.request(file: file.path, env: env), env: env, at: nil)
      } catch {
        tool.report(error, at: file.path)
      }
    }
  }

  func answer(_ request: Request, env: WheelEnv?, at position: String?) {
    var request = request
    request.settings = request.settings.overridden(by: settings.env)
    tool.output.flush()
    switch resolver.resolve(request, env: env) {
    case .wheel(let record), .requirement(let record): tool.emit(record)
    case .failure(let error): tool.report(error, at: position)
    }
  }

  /// The first `env` record of a file.
  static func loadEnv(_ path: String) throws -> WheelEnv {
    guard let bytes = readFileIfPresent(path, limit: 16 << 20) else {
      throw ErrorRecord(
        code: "no-input", message: "cannot read env file \(path); check the path", detail: ["file": .string(path)],
        exit: .noInput)
    }
    for line in bytes.split(separator: 0x0A) {
      guard case .record(let record, _)? = RecordReader.item(from: line, lineNumber: 0), record.type == "env" else {
        continue
      }
      do {
        return try WheelEnv(record: record)
      } catch {
        throw ErrorRecord(code: "bad-env", message: "\(path): \(error.message)")
      }
    }
    throw ErrorRecord(
      code: "no-env", message: "\(path) has no env record; write one with cuda-detect > \(path)",
      detail: ["file": .string(path)])
  }
}
