import PipeHTTP
import PipeKit
import WheelURL

/// Everything a run is asked to install, gathered from stdin's records, `--config` files and
/// `-r` requirements files.
struct Inputs {
  var env: JSONObject?
  var configPython: String?
  var requirements: [String] = []
  var wheels: [Plan.Wheel] = []
  /// Records that could not be used, or an upstream tool's error: nothing is built then.
  var failed = false

  /// Reads stdin, forwarding `env` records and every record venv-make does not consume.
  mutating func read(tool: Tool) {
    for item in tool.records() {
      switch item {
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
        failed = true
      case .record(let record, let line):
        switch record.type {
        case "env":
          tool.emit(record)
          env = record
        case "wheel":
          consumeWheel(record, line: line, tool: tool)
        case "requirement":
          guard let spec = record["spec"]?.stringValue?.trimmingASCIIWhitespace(), !spec.isEmpty else {
            reject(
              record, line: line, tool: tool, "a requirement record needs a \"spec\" string such as \"numpy>=1.26\"")
            continue
          }
          if let why = RequirementSpec.problem(spec) {
            reject(record, line: line, tool: tool, why, code: "bad-requirement")
            continue
          }
          requirements.append(spec)
        case "error":
          tool.emit(record)
          failed = true
          tool.diagnostics.error("an earlier tool reported an error (line \(line)); nothing will be built")
          tool.note(.failure)
        default:
          tool.emit(record)
        }
      }
    }
  }

  mutating func consumeWheel(_ record: JSONObject, line: Int, tool: Tool) {
    guard let url = record["url"]?.stringValue, !url.isEmpty else {
      reject(record, line: line, tool: tool, "a wheel record needs a \"url\"")
      return
    }
    if let why = Self.urlProblem(url) {
      reject(record, line: line, tool: tool, why)
      return
    }
    let filename = record["filename"]?.stringValue ?? String(url.split(separator: "/").last ?? "")
    if filename.hasPrefix("-") || filename.contains("/") || filename.unicodeScalars.contains(where: { $0.value < 0x20 })
    {
      reject(record, line: line, tool: tool, "\"filename\" '\(filename)' is not a wheel's file name")
      return
    }
    guard let name = record["name"]?.stringValue ?? filename.split(separator: "-").first.map(String.init) else {
      reject(record, line: line, tool: tool, "a wheel record needs a \"name\"")
      return
    }
    // The name starts a line of the wheel list the installer reads (`name @ url --hash=…`).
    guard RequirementSpec.isProjectName(name) else {
      reject(record, line: line, tool: tool, "'\(name)' is not a project name (letters, digits, '.', '_', '-' inside)")
      return
    }
    var sha256: String?
    if let value = record["sha256"], !value.isNull {
      guard let hex = value.stringValue?.lowercased(), hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
        reject(record, line: line, tool: tool, "\"sha256\" must be 64 hex digits")
        return
      }
      sha256 = hex
    }
    wheels.append(Plan.Wheel(name: name, version: record["version"]?.stringValue, url: url, sha256: sha256))
  }

  /// Why a wheel record's `url` cannot go into the wheel list, or `nil`: it is one line of that
  /// file, so it may hold no line break, and a URL (unlike a path) no space.
  static func urlProblem(_ url: String) -> String? {
    if url.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "a wheel's \"url\" cannot contain a line break or another control character"
    }
    if URLText.scheme(of: url) != nil ? url.contains(" ") : url.hasPrefix("-") {
      return "'\(url)' is not a URL or a path to a wheel"
    }
    return nil
  }

  mutating func reject(_ record: JSONObject, line: Int, tool: Tool, _ why: String, code: String = "bad-record") {
    failed = true
    tool.report(
      ErrorRecord(
        code: code, message: "\(record.type ?? "record") at line \(line): \(why)", id: record["id"],
        detail: ["line": .int(line)]),
      at: "<stdin>:\(line)")
  }

  /// Adds a config file's requests, resolved by the WheelURL library for the env read so far.
  mutating func addConfig(_ path: String, offline: Bool, tool: Tool) {
    let answers = ConfigAnswers.resolve(config: path, env: env, offline: offline)
    for warning in answers.warnings { tool.diagnostics.note(warning) }
    for error in answers.errors {
      tool.report(error, at: path)
      failed = true
    }
    if configPython == nil { configPython = answers.python }
    for record in answers.records {
      if record.type == "wheel" {
        consumeWheel(record, line: 0, tool: tool)
      } else if let spec = record["spec"]?.stringValue?.trimmingASCIIWhitespace() {
        if let why = RequirementSpec.problem(spec) {
          failed = true
          tool.report(
            ErrorRecord(
              code: "bad-requirement", message: "\(path): \(why)", id: record["id"],
              detail: ["file": .string(path), "spec": .string(spec)]),
            at: path)
          continue
        }
        requirements.append(spec)
      }
    }
  }

  /// Adds the requirement lines of a requirements file: comments and blank lines are skipped,
  /// `-r OTHER` is followed; other pip options are refused, as they would escape the fingerprint.
  mutating func addRequirementsFile(_ path: String, tool: Tool, depth: Int = 0) throws(ErrorRecord) {
    guard let text = readTextFileIfPresent(path) else {
      throw ErrorRecord(
        code: "no-input", message: "cannot read requirements file \(path); check the path",
        detail: ["file": .string(path)], exit: .noInput)
    }
    let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
    var logical = ""
    for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      var line = String(raw).replacingTabs().trimmingASCIIWhitespace()
      if let hash = line.firstRange(of: " #") { line = String(line[..<hash.lowerBound]).trimmingASCIIWhitespace() }
      if line.hasPrefix("#") { line = "" }
      if line.hasSuffix("\\") {
        logical += line.dropLast() + " "
        continue
      }
      line = (logical + line).trimmingASCIIWhitespace()
      logical = ""
      if line.isEmpty { continue }
      if line.hasPrefix("-r ") || line.hasPrefix("--requirement ") {
        let other = String(line.drop { $0 != " " }).trimmingASCIIWhitespace()
        guard depth < 8 else { throw badLine(path, number + 1, "requirements files nest too deeply") }
        try addRequirementsFile(other.hasPrefix("/") ? other : "\(directory)/\(other)", tool: tool, depth: depth + 1)
      } else if line.hasPrefix("-") {
        throw badLine(path, number + 1, "'\(line)' is a pip option venv-make does not take; list requirements only")
      } else if let why = RequirementSpec.problem(line) {
        throw badLine(path, number + 1, why)
      } else {
        requirements.append(line)
      }
    }
  }

  func badLine(_ path: String, _ line: Int, _ why: String) -> ErrorRecord {
    ErrorRecord(
      code: "bad-requirements", message: "\(path):\(line): \(why)",
      detail: ["file": .string(path), "line": .int(line)])
  }
}
