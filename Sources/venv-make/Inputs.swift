import PipeHTTP
import PipeKit
import WheelURL

/// Everything a run is asked to install, gathered from stdin's records, `--config` files and
/// `-r` requirements files.
struct Inputs {
  var env: JSONObject?
  var configPython: String?
  /// The `python` the wheel and requirement records were answered for (a config's env).
  var recordPython: String?
  var requirements: [String] = []
  /// Indexes some requirements are installed from (their records' `index`).
  var indexes: [String] = []
  /// Requirements that only constrain (`constraint: true`).
  var constraints: [String] = []
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
          guard consumePython(record, line: line, tool: tool) else { continue }
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
          guard consumePython(record, line: line, tool: tool) else { continue }
          consumeRequirement(spec, record, line: line, tool: tool)
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

  /// A record's `python` (the config's, for its env): a version like 3.12, the same on every
  /// record. `false` after rejecting the record.
  mutating func consumePython(_ record: JSONObject, line: Int, tool: Tool) -> Bool {
    guard let value = record["python"], !value.isNull else { return true }
    guard let python = value.stringValue, VenvMake.isPythonVersion(python) else {
      reject(record, line: line, tool: tool, "\"python\" must be a version like \"3.12\"")
      return false
    }
    if let recordPython, recordPython != python {
      reject(
        record, line: line, tool: tool,
        "it is for Python \(python), an earlier record for \(recordPython): one env has one Python; build each env apart"
      )
      return false
    }
    recordPython = python
    return true
  }

  /// A requirement record's spec, with its `index` and `constraint`.
  mutating func consumeRequirement(_ spec: String, _ record: JSONObject, line: Int, tool: Tool) {
    if let value = record["index"], !value.isNull {
      let index = value.stringValue ?? ""
      if let why = Self.indexProblem(index) {
        reject(record, line: line, tool: tool, why)
        return
      }
      if !indexes.contains(index) { indexes.append(index) }
    }
    if record["constraint"] == true {
      constraints.append(spec)
    } else {
      requirements.append(spec)
    }
  }

  /// Why an `index` cannot be given to the installer, or `nil`: an http(s) or file URL, one
  /// argument, never an option.
  static func indexProblem(_ index: String) -> String? {
    guard let scheme = URLText.scheme(of: index), ["http", "https", "file"].contains(scheme),
      !index.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F })
    else { return "\"index\" '\(index)' is not an http(s) or file URL" }
    return nil
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
        consumeRequirement(spec, record, line: 0, tool: tool)
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
