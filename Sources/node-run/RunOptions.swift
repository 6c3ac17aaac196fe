import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What node-run was asked to do, checked once from the command line.
struct RunOptions: Sendable {
  /// What a call runs: a node class's method or a plain function, as `module:name`.
  enum Target: Sendable, Equatable {
    case node(String)
    case function(String)
  }

  var venvFlag: String?
  var pythonFlag: String?
  var paths: [String] = []
  var target: Target?
  var method: String?
  var inputName: String?
  /// `--arg` values, added to every call whose arguments are an object.
  var constants: JSONObject = [:]
  var torch = false
  var allowPickle = false
  /// Keep outputs that are not tensors or JSON values in the worker, answering with handles.
  var keepObjects = false
  var timeout: Double?
  var workers = 1
  var progressRecords = false
  /// folder_paths' directories for the stand-in: models, output, input, temp.
  var folders: JSONObject = [:]

  init(_ arguments: Arguments) throws {
    venvFlag = arguments.value("--venv")
    pythonFlag = arguments.value("--python")
    if venvFlag != nil && pythonFlag != nil { throw UsageError("--venv and --python exclude each other") }
    paths = arguments.values("--path").map(RunOptions.absolute)
    let node = arguments.value("--node")
    let function = arguments.value("--call")
    switch (node, function) {
    case (let node?, nil): target = .node(try RunOptions.checkTarget(node, "--node"))
    case (nil, let function?): target = .function(try RunOptions.checkTarget(function, "--call"))
    case (nil, nil): target = nil
    default: throw UsageError("--node and --call exclude each other")
    }
    method = arguments.value("--method")
    if method != nil && function != nil { throw UsageError("--method goes with --node") }
    inputName = arguments.value("--input")
    if inputName?.isEmpty == true { throw UsageError("--input needs an argument name") }
    for text in arguments.values("--arg") {
      guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
        throw UsageError("--arg takes NAME=JSON, not '\(text)'")
      }
      let json = String(text[text.index(after: eq)...])
      do {
        constants[String(text[..<eq])] = try JSON.parse(json)
      } catch {
        throw UsageError("--arg \(text[..<eq]): the value is not JSON (\(error)); quote strings: NAME='\"text\"'")
      }
    }
    switch arguments.value("--tensors") ?? "numpy" {
    case "numpy": torch = false
    case "torch": torch = true
    case let other: throw UsageError("--tensors must be numpy or torch, not '\(other)'")
    }
    allowPickle = arguments.flag("--allow-pickle")
    keepObjects = arguments.flag("--keep-objects")
    if let seconds = try arguments.seconds("--call-timeout") { timeout = seconds }
    if let text = arguments.value("--workers") {
      guard let n = Int(text), (1...256).contains(n) else {
        throw UsageError("--workers must be a whole number from 1 to 256, not '\(text)'")
      }
      workers = n
    }
    progressRecords = arguments.flag("--progress-records")
    if let text = arguments.value("--folders") {
      guard case .object(let given)? = try? JSON.parse(text) else {
        throw UsageError("--folders takes a JSON object (e.g. {\"output\":\"/srv/comfy/output\"}), not '\(text)'")
      }
      folders = given
    }
    for (flag, key) in [("--models-dir", "models"), ("--output-dir", "output"), ("--input-dir", "input")]
      + [("--temp-dir", "temp")]
    {
      if let dir = arguments.value(flag) { folders[key] = .string(RunOptions.absolute(dir)) }
    }
  }

  static func checkTarget(_ text: String, _ flag: String) throws -> String {
    let parts = text.split(separator: ":", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
      throw UsageError("\(flag) takes MODULE:NAME (e.g. my_pack.nodes:Blur), not '\(text)'")
    }
    return text
  }

  /// `path` made absolute against the current directory.
  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    guard getcwd(&buffer, buffer.count) != nil else { return path }
    let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return path == "." ? cwd : "\(cwd)/\(path.hasPrefix("./") ? String(path.dropFirst(2)) : path)"
  }

  /// The interpreter named by `--venv` or `--python`, or `nil` when a `venv` record must name it.
  func interpreterFromFlags() throws -> String? {
    if let venv = venvFlag { return try Interpreter.inVenv(RunOptions.absolute(venv)).get() }
    if let python = pythonFlag { return try Interpreter.named(python).get() }
    return nil
  }

  /// The worker's config frame: paths, tensor kind, pickle, folder_paths directories.
  var workerConfig: JSON {
    [
      "paths": .array(paths.map { .string($0) }), "tensors": torch ? "torch" : "numpy",
      "allow_pickle": .bool(allowPickle), "keep_objects": .bool(keepObjects), "folders": .object(folders),
    ]
  }
}
