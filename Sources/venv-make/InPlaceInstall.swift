import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// `--into PYTHON`: the plan installed into an existing environment, which cannot be swapped:
/// every wheel and requirement with `--no-deps`, torch and its family refused unless allowed,
/// under a lock in the environment's prefix, with what was installed stored there for the next
/// run's fingerprint check.
struct InPlaceInstall {
  static let torchFamily: Set<String> = ["torch", "torchvision", "torchaudio"]

  let tool: Tool
  /// The interpreter as given (a venv's `bin/python` is not resolved to its base).
  let python: String
  let plan: Plan
  let installerChoice: String?
  let quiet: Bool
  let wait: Bool
  let allowTorch: Bool
  /// `--verbose`: each installer command and its output on stderr.
  var verbose = false

  /// `PREFIX` of `PREFIX/bin/python`.
  var prefix: String {
    var parts = python.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(min(2, parts.count))
    let joined = parts.joined(separator: "/")
    return joined.isEmpty ? "/" : joined
  }
  var statePath: String { "\(prefix)/\(EnvState.intoFileName)" }
  var name: String { String(prefix.split(separator: "/").last ?? "") }

  /// Reports each torch-family project the plan names; `true` when there was one.
  func refuseTorch() -> Bool {
    guard !allowTorch else { return false }
    let refused = plan.projectNames.filter(Self.torchFamily.contains)
    for name in refused {
      tool.report(
        ErrorRecord(
          code: "torch-refused",
          message:
            "--into does not touch \(name), which the environment's owner chose; give --allow-torch to install it anyway. Nothing was installed",
          detail: ["name": .string(name), "python": .string(python)]))
    }
    return !refused.isEmpty
  }

  /// The stored state, when it matches the plan and what it installed is still installed.
  var upToDate: EnvState? {
    guard let state = EnvState(path: statePath), state.fingerprint == plan.fingerprint,
      let names = listDirectoryNames(state.purelib)
    else { return nil }
    var present: Set<String> = []
    for entry in names where entry.hasSuffix(".dist-info") {
      let stem = entry.dropLast(".dist-info".count)
      guard let dash = stem.firstIndex(of: "-") else { continue }
      present.insert(Plan.normalized(String(stem[..<dash])) + "==" + stem[stem.index(after: dash)...])
    }
    let installed = state.packages.allSatisfy { package in
      guard let name = package["name"]?.stringValue, let version = package["version"]?.stringValue else { return false }
      return present.contains(Plan.normalized(name) + "==" + version)
    }
    return installed ? state : nil
  }

  func run() throws {
    let start = monotonicSeconds()
    if refuseTorch() { return }
    let lock = try TargetLock.acquire("\(prefix)/.venv-make.lock", wait: wait, waiting: tool.diagnostics.note)
    defer { lock.release() }
    if let state = upToDate {
      tool.emit(state.record(name: name, path: prefix, python: python, changed: false))
      tool.diagnostics.note(state.summary(path: prefix, changed: false, since: start))
      return
    }
    try WheelSource.checkLocalHashes(plan.wheels)
    let installer = try Installer.locate(choice: installerChoice, python: nil, quiet: quiet)
    var template = Array("\(Environment.current["TMPDIR"] ?? "/tmp")/venv-make.XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
      throw ErrorRecord(code: "io-error", message: "cannot make a temporary directory", exit: .ioError)
    }
    let scratch = String(cString: made)
    let token = Termination.onStop { removeTree(scratch) }
    defer {
      removeTree(scratch)
      Termination.cancel(token)
    }
    let runner = InstallerRun(diagnostics: tool.diagnostics, verbose: verbose, inherited: [lock.fd])
    for command in installer.install(plan, python: python, scratch: scratch, noDeps: true) {
      try runner.run(command, step: "install into \(prefix)")
    }
    let inspection = try EnvInspection.run(python: python, importing: plan.wheels.map { Plan.normalized($0.name) })
    let wanted = Set(plan.projectNames)
    let packages = inspection.packages.filter { wanted.contains(Plan.normalized($0["name"]?.stringValue ?? "")) }
    let state = EnvState(
      fingerprint: plan.fingerprint, pythonVersion: inspection.version, packages: packages,
      purelib: inspection.purelib, plan: plan.canonical)
    do {
      try state.write(to: statePath)
    } catch {
      tool.diagnostics.note("\(error.message); the next run cannot tell it is up to date")
    }
    for problem in dependencyProblems(installer) {
      tool.report(
        ErrorRecord(
          code: "missing-dependency",
          message:
            "\(problem.name) was installed without its dependencies (--into installs with --no-deps), and the environment does not satisfy them: \(problem.said); install what it needs into \(prefix), or add it to the requirements",
          detail: ["name": .string(problem.name), "problem": .string(problem.said), "python": .string(python)]))
    }
    for failure in inspection.importErrors {
      tool.report(
        ErrorRecord(
          code: "verify-failed",
          message:
            "\(failure["name"]?.stringValue ?? "?") was installed but does not import: \(failure["error"]?.stringValue ?? "?")",
          detail: failure))
    }
    tool.emit(state.record(name: name, path: prefix, python: python, changed: true))
    tool.diagnostics.note(state.summary(path: prefix, changed: true, since: start))
  }

  /// What the installer's check (`uv pip check`, `pip check`) says is wrong with the
  /// dependencies of the projects the plan installed; problems of other projects (the
  /// environment's own) are not this run's.
  func dependencyProblems(_ installer: Installer) -> [(name: String, said: String)] {
    let argv =
      installer.kind == .uv
      ? installer.uv + ["pip", "check", "--python", python]
      : [python, "-m", "pip", "check", "--disable-pip-version-check"]
    guard let run = try? runCapturing(argv[0], Array(argv.dropFirst()), timeout: 300) else {
      tool.diagnostics.note("could not run \(argv.joined(separator: " ")); the dependencies were not checked")
      return []
    }
    if run.exit.succeeded { return [] }
    let wanted = Set(plan.projectNames)
    var problems: [(name: String, said: String)] = []
    for line in (run.stdoutText + "\n" + run.stderrText).split(separator: "\n") {
      let said = String(line).trimmingASCIIWhitespace()
      guard let name = Self.requirer(said), wanted.contains(Plan.normalized(name)) else { continue }
      problems.append((Plan.normalized(name), said))
    }
    return problems
  }

  /// The project a check line is about: uv's "The package `a` requires `b>=1`, but it's not
  /// installed", pip's "a 1.0 requires b, which is not installed." / "a 1.0 has requirement …".
  static func requirer(_ line: String) -> String? {
    if line.hasPrefix("The package `") {
      let rest = line.dropFirst("The package `".count)
      guard let end = rest.firstIndex(of: "`"), rest[end...].contains(" requires ") else { return nil }
      return String(rest[..<end])
    }
    let words = line.split(separator: " ")
    guard words.count > 3, words[2] == "requires" || words[2] == "has" else { return nil }
    return String(words[0])
  }

  func dryRun() throws {
    if refuseTorch() { return }
    let due = upToDate == nil
    var commands: [InstallerCommand] = []
    if due {
      let installer = try Installer.locate(choice: installerChoice, python: nil, quiet: quiet)
      commands = installer.install(plan, python: python, scratch: "\(prefix)/.venv-make-scratch", noDeps: true)
    }
    tool.emit(EnvBuilder.planRecord(plan, path: prefix, changed: due, commands: commands))
  }
}
