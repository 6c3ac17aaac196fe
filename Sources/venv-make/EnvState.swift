import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What venv-make stores in an env it built (`.venv-make.json`), or beside a python it installed
/// into (`.venv-make-into.json`): the fingerprint and what the `venv` record reports, so that
/// the same plan again is answered from this file alone, without starting python.
struct EnvState: Sendable {
  static let fileName = ".venv-make.json"
  static let intoFileName = ".venv-make-into.json"

  var fingerprint: String
  var pythonVersion: String
  var packages: [JSON]
  /// site-packages, for `--into`'s check that what it installed is still there.
  var purelib: String
  var plan: JSON

  init(fingerprint: String, pythonVersion: String, packages: [JSON], purelib: String, plan: JSON) {
    self.fingerprint = fingerprint
    self.pythonVersion = pythonVersion
    self.packages = packages
    self.purelib = purelib
    self.plan = plan
  }

  /// Reads a state file; `nil` when there is none or it is not one.
  init?(path: String) {
    guard let bytes = readFileIfPresent(path, limit: 16 << 20), let object = try? JSON.parse(bytes).objectValue,
      let fingerprint = object["fingerprint"]?.stringValue
    else { return nil }
    self.fingerprint = fingerprint
    pythonVersion = object["python_version"]?.stringValue ?? ""
    packages = object["packages"]?.arrayValue ?? []
    purelib = object["purelib"]?.stringValue ?? ""
    plan = object["plan"] ?? .null
  }

  func write(to path: String) throws(ErrorRecord) {
    let object: JSONObject = [
      "fingerprint": .string(fingerprint), "made_by": .string("venv-make \(pipeKitVersion)"),
      "packages": .array(packages), "plan": plan, "purelib": .string(purelib),
      "python_version": .string(pythonVersion),
    ]
    let temporary = "\(path).tmp.\(getpid())"
    do {
      // Not through a link planted at the temporary name (`--into` writes in the python's prefix).
      try FileDescriptor.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW).closeAfter {
        try $0.writeAll(JSON.object(object).serialized + "\n")
      }
    } catch {
      throw ErrorRecord(code: "io-error", message: "cannot write \(temporary): \(error)", exit: .ioError)
    }
    guard rename(temporary, path) == 0 else {
      throw ErrorRecord(code: "io-error", message: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }

  /// The one line venv-make writes to stderr when it is done (what the hook says too):
  /// `built DIR in 0.7s: Python 3.11.7; numpy 1.26.4` or `DIR is up to date (…)`.
  func summary(path: String, changed: Bool, since start: Double) -> String {
    let names = packages.compactMap { package -> String? in
      guard let name = package["name"]?.stringValue else { return nil }
      return name + (package["version"]?.stringValue.map { " " + $0 } ?? "")
    }
    let what = "Python \(pythonVersion); \(names.isEmpty ? "no packages" : names.joined(separator: ", "))"
    guard changed else { return "\(path) is up to date (\(what)); nothing to do" }
    let tenths = Int(((monotonicSeconds() - start) * 10).rounded())
    return "built \(path) in \(tenths / 10).\(tenths % 10)s: \(what)"
  }

  /// The `venv` record for an env at `path` with interpreter `python`.
  func record(name: String, path: String, python: String, changed: Bool) -> JSONObject {
    [
      "type": "venv", "name": .string(name), "path": .string(path), "python": .string(python),
      "python_version": .string(pythonVersion), "fingerprint": .string(fingerprint), "changed": .bool(changed),
      "packages": .array(packages),
    ]
  }
}
