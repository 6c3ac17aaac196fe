import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Finding the Python that runs the worker: a venv's own `bin/python` (never `python3` from
/// `PATH`), an interpreter named outright, or the one a `venv` record names.
enum Interpreter {
  static func missing(_ message: String, _ path: String) -> ErrorRecord {
    ErrorRecord(code: "no-python", message: message, detail: ["path": .string(path)], exit: .unavailable)
  }

  /// `DIR/bin/python` (or `python3`) of a venv.
  static func inVenv(_ dir: String) -> Result<String, ErrorRecord> {
    for name in ["python", "python3"] where access("\(dir)/bin/\(name)", X_OK) == 0 {
      return .success("\(dir)/bin/\(name)")
    }
    return .failure(
      missing(
        "no Python in the venv \(dir) (looked for bin/python); build it with venv-make or comfy-pipes-install", dir))
  }

  /// An interpreter given by path or name. A script in front of Python (a pyenv shim, which
  /// costs ~75 ms a start and may pick another Python by directory) is resolved once to the
  /// interpreter it runs.
  static func named(_ name: String) -> Result<String, ErrorRecord> {
    guard let path = findExecutable(name) else {
      return .failure(missing("no Python at \(name); give an interpreter's path", name))
    }
    guard let head = readFileIfPresent(path, limit: 2), head.prefix(2) == ArraySlice("#!".utf8) else {
      return .success(path)
    }
    guard let run = try? runCapturing(path, ["-c", "import sys; print(sys.executable)"], timeout: 30),
      run.exit.succeeded
    else {
      return .failure(missing("\(path) is a script that did not start Python", path))
    }
    let real = run.stdoutText.split(separator: "\n").last.map(String.init) ?? ""
    return real.hasPrefix("/") && access(real, X_OK) == 0
      ? .success(real) : .failure(missing("\(path) ran no Python", path))
  }

  /// The interpreter of a `venv` record: its `python`, else `path/bin/python`.
  static func fromVenvRecord(_ record: JSONObject) -> Result<String, ErrorRecord> {
    var result: Result<String, ErrorRecord>
    if let python = record["python"]?.stringValue, python.hasPrefix("/") {
      result = named(python)
    } else if let dir = record["path"]?.stringValue {
      result = inVenv(RunOptions.absolute(dir))
    } else {
      result = .failure(missing("the venv record names neither python nor path", ""))
    }
    return result.mapError { error in
      var error = error
      error.id = record["id"]
      return error
    }
  }
}
