import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Builds the plan's env at the target: beside it, verified, then swapped in whole.
///
/// Under the target's lock: leftovers of killed runs are removed; the target is checked to be
/// one venv-make may replace (`Target.checkReplaceable`), here and again just before the swap,
/// since what is swapped out is deleted; an env whose stored fingerprint is the plan's is
/// answered as it is (`changed: false`, nothing started, nothing written); otherwise a new env
/// is built in `.NAME.venv-make-build.tmp`, what it holds is read from its dist-info
/// directories, its python starts and imports the wheels' modules, and it replaces the old one
/// with one `renameat2` exchange. The old env is removed only after that (and after the `venv`
/// record is out); a failure at any point removes the build alone.
struct EnvBuilder {
  let tool: Tool
  let target: Target
  let plan: Plan
  let installerChoice: String?
  let quiet: Bool
  let wait: Bool
  /// `--verbose`: each installer command and its output on stderr.
  var verbose = false

  /// The stored state, when it matches the plan and the env's python is still there.
  var upToDate: EnvState? {
    guard let state = EnvState(path: target.statePath), state.fingerprint == plan.fingerprint,
      access(target.python, X_OK) == 0
    else { return nil }
    return state
  }

  func run() throws {
    let start = monotonicSeconds()
    // As `uv venv` and `python -m venv` do, the directories the env goes in are made when missing.
    do {
      try makeDirectories(target.parent)
      var info = stat()
      guard stat(target.parent, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
        throw SystemError("mkdir \(target.parent)", errno: EEXIST)
      }
    } catch {
      throw ErrorRecord(
        code: "io-error", message: "cannot make \(target.parent), the directory the env goes in: \(error)",
        exit: .ioError)
    }
    let lock = try TargetLock.acquire(target.lockPath, wait: wait, waiting: tool.diagnostics.note)
    defer { lock.release() }
    target.cleanLeftovers(note: tool.diagnostics.note)
    try target.checkReplaceable()
    if let state = upToDate {
      tool.emit(state.record(name: target.name, path: target.path, python: target.python, changed: false))
      tool.diagnostics.note(state.summary(path: target.path, changed: false, since: start))
      return
    }
    try WheelSource.checkLocalHashes(plan.wheels)
    let installer = try Installer.locate(choice: installerChoice, python: plan.python, quiet: quiet)
    let build = target.buildPath
    removeTree(build)
    let token = Termination.onStop { removeTree(build) }
    defer { Termination.cancel(token) }
    do {
      let state = try make(build, installer: installer, lock: lock)
      // Checked again: the build took a while, and what is swapped out is deleted.
      try target.checkReplaceable()
      try target.swapIn(build)
      // The record goes out before the previous env (now at `build`) is removed, so that the
      // next tool in the pipe starts at once; a kill before the removal ends leaves it to the
      // next run's clean-up.
      tool.emit(state.record(name: target.name, path: target.path, python: target.python, changed: true))
      tool.output.flush()
      removeTree(build)
      tool.diagnostics.note(state.summary(path: target.path, changed: true, since: start))
    } catch {
      removeTree(build)
      throw error
    }
  }

  /// Creates, fills and checks the env at `build`, and stores its state there.
  func make(_ build: String, installer: Installer, lock: TargetLock) throws(ErrorRecord) -> EnvState {
    let runner = InstallerRun(diagnostics: tool.diagnostics, verbose: verbose, inherited: [lock.fd])
    try runner.run(installer.create(dir: build, python: plan.python), step: "create the venv")
    // The check's python starts now, beside the install, and waits for it.
    let verify = try PendingVerify.start(python: "\(build)/bin/python", scratch: build)
    do {
      for command in installer.install(plan, python: "\(build)/bin/python", scratch: build, noDeps: false) {
        try runner.run(command, step: "install")
      }
    } catch {
      verify.cancel()
      throw error
    }
    // What is installed is read from the dist-info directories here; python is started once,
    // to show that it starts and to import the wheels' modules. The wheels, prebuilt and
    // installed without their dependencies, are imported; what the installer resolved with its
    // dependencies is listed, not imported (a first import of a large package compiles its
    // bytecode, and would double the cost of a small build).
    let site = SitePackages(env: build)
    var importErrors: [JSON] = []
    var modules: [(module: String, name: String)] = []
    for wheel in plan.wheels {
      guard let dist = site.distribution(named: wheel.name) else {
        importErrors.append(["name": .string(Plan.normalized(wheel.name)), "error": "not installed"])
        continue
      }
      modules += SitePackages.topLevelModules(dist).map { ($0, Plan.normalized(wheel.name)) }
    }
    let (version, failures) = try verify.finish(importing: modules.map(\.module))
    for failure in failures {
      let module = failure["module"]?.stringValue ?? ""
      let name = modules.first { $0.module == module }?.name ?? module
      importErrors.append(["name": .string(name), "module": .string(module), "error": failure["error"] ?? .null])
    }
    if let want = plan.python, version != want, !version.hasPrefix(want + ".") {
      throw ErrorRecord(
        code: "wrong-python",
        message: "the env got Python \(version), not \(want); install python\(want) or use uv",
        detail: ["wanted": .string(want), "got": .string(version)])
    }
    if !importErrors.isEmpty {
      let first = importErrors[0]
      throw ErrorRecord(
        code: "verify-failed",
        message:
          "the new env cannot import \(first["module"]?.stringValue ?? first["name"]?.stringValue ?? "?"): \(first["error"]?.stringValue ?? "?"); the previous env was left as it was",
        detail: ["import_errors": .array(importErrors)])
    }
    relocateScripts(from: build, to: target.path)
    let state = EnvState(
      fingerprint: plan.fingerprint, pythonVersion: version, packages: site.packages, purelib: "",
      plan: plan.canonical)
    try state.write(to: "\(build)/\(EnvState.fileName)")
    return state
  }

  /// The plan as a `plan` record: the fingerprint, whether a build is due, and the exact
  /// installer commands with the files they read. Nothing is locked, written or started but
  /// the probe for `python3 -m uv` when uv is not on PATH.
  func dryRun() throws {
    let due = upToDate == nil
    var commands: [InstallerCommand] = []
    if due {
      let installer = try Installer.locate(choice: installerChoice, python: plan.python, quiet: quiet)
      let build = target.buildPath
      commands = [installer.create(dir: build, python: plan.python)]
      commands += installer.install(plan, python: "\(build)/bin/python", scratch: build, noDeps: false)
    }
    tool.emit(Self.planRecord(plan, path: target.path, changed: due, commands: commands))
  }

  static func planRecord(_ plan: Plan, path: String, changed: Bool, commands: [InstallerCommand]) -> JSONObject {
    [
      "type": "plan", "path": .string(path), "fingerprint": .string(plan.fingerprint), "changed": .bool(changed),
      "plan": plan.canonical, "commands": .array(commands.map { .array($0.argv.map(JSON.string)) }),
      "files": .array(
        commands.flatMap(\.files).map { .object(["path": .string($0.path), "text": .string($0.text)]) }),
    ]
  }
}

/// Rewrites the build directory's path to the target's in the env's scripts and pyvenv.cfg:
/// a uv `--relocatable` env has none, but pip's venv writes absolute paths there.
func relocateScripts(from build: String, to path: String) {
  let files = (listDirectoryNames("\(build)/bin") ?? []).map { "\(build)/bin/\($0)" } + ["\(build)/pyvenv.cfg"]
  for file in files {
    var info = stat()
    guard lstat(file, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size < 1 << 20,
      let text = readTextFileIfPresent(file), text.contains(build)
    else { continue }
    let fixed = text.replacing(build, with: path)
    _ = try? FileDescriptor.open(file, O_WRONLY | O_TRUNC).closeAfter { try $0.writeAll(fixed) }
  }
}
