import PipeKit

/// What an env's own python says about it (`inspect_env.py`, embedded in the binary).
struct EnvInspection: Sendable {
  var version: String
  var prefix: String
  var purelib: String
  var packages: [JSON]
  /// `{"name", "module", "error"}` for each module of the asked-for projects that failed to import.
  var importErrors: [JSON]

  static let script = String(decoding: PackageResources.inspect_env_py, as: UTF8.self)

  /// Runs `python -I -c <script>`, importing the top-level modules of `importing`.
  static func run(python: String, importing: [String]) throws(ErrorRecord) -> EnvInspection {
    let run: CapturedRun
    do {
      run = try runCapturing(
        python, ["-I", "-c", script] + (importing.isEmpty ? [] : ["--import"] + importing), timeout: 600)
    } catch {
      throw broken(python, "it cannot be started: \(error)")
    }
    guard run.exit.succeeded, let object = try? JSON.parse(run.stdoutText).objectValue,
      let version = object["version"]?.stringValue
    else {
      let said = run.stderrText.split(separator: "\n").suffix(3).joined(separator: " | ")
      throw broken(python, "it failed (\(run.exit)): \(said)")
    }
    return EnvInspection(
      version: version, prefix: object["prefix"]?.stringValue ?? "", purelib: object["purelib"]?.stringValue ?? "",
      packages: object["packages"]?.arrayValue ?? [], importErrors: object["import_errors"]?.arrayValue ?? [])
  }

  static func broken(_ python: String, _ why: String) -> ErrorRecord {
    ErrorRecord(
      code: "verify-failed", message: "the env's python \(python) does not work: \(why)",
      detail: ["python": .string(python)])
  }
}
