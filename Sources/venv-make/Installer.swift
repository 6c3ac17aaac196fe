import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Which program installs: uv (`uv venv`, `uv pip install`) or the standard library's venv and pip.
enum InstallerKind: String, Sendable {
  case uv, pip
}

/// One installer command, with the files it reads, written just before it runs.
struct InstallerCommand: Sendable {
  var argv: [String]
  var files: [(path: String, text: String)] = []
}

/// A located installer: how to start it, and the interpreter a pip-built venv is made from.
struct Installer: Sendable {
  var kind: InstallerKind
  /// uv's command: its path, or `python3 -m uv`.
  var uv: [String] = []
  /// The interpreter that runs `-m venv` for pip.
  var basePython = "python3"
  var quiet = false

  static let fixUV = "python3 -m pip install uv"

  /// The installer the fingerprint names, found without starting anything when it can be:
  /// `--installer`, else uv when it is on PATH; `nil` when only a probe can tell.
  static func cheapKind(choice: String?) -> InstallerKind? {
    if let choice { return InstallerKind(rawValue: choice) }
    return findExecutable("uv") != nil ? .uv : nil
  }

  /// Finds the installer: uv on PATH, else `python3 -m uv`, else (unless uv was asked for) pip.
  /// - Throws: exit 69 with the command that fixes it when there is none.
  static func locate(choice: String?, python: String?, quiet: Bool) throws(ErrorRecord) -> Installer {
    let base = python.flatMap { findExecutable("python\($0)") } ?? findExecutable("python3")
    if choice != "pip" {
      if let uv = findExecutable("uv") { return Installer(kind: .uv, uv: [uv], quiet: quiet) }
      if let python3 = findExecutable("python3"),
        let probe = try? runCapturing(python3, ["-m", "uv", "--version"], timeout: 30), probe.exit.succeeded
      {
        return Installer(kind: .uv, uv: [python3, "-m", "uv"], quiet: quiet)
      }
      if choice == "uv" {
        throw ErrorRecord(
          code: "no-installer", message: "uv is not installed; install it with: \(fixUV)",
          detail: ["fix": .string(fixUV)], exit: .unavailable)
      }
    }
    guard let base else {
      let wanted = python.map { "python\($0) or python3" } ?? "python3"
      throw ErrorRecord(
        code: "no-installer", message: "neither uv nor \(wanted) was found on PATH; install uv with: \(fixUV)",
        detail: ["fix": .string(fixUV)], exit: .unavailable)
    }
    return Installer(kind: .pip, basePython: base, quiet: quiet)
  }

  /// The command that creates an empty venv at `dir`.
  func create(dir: String, python: String?) -> InstallerCommand {
    switch kind {
    case .uv:
      var argv = uv + ["venv", "--relocatable", "--no-project"]
      if quiet { argv.append("--quiet") }
      if let python { argv += ["--python", python] }
      return InstallerCommand(argv: argv + [dir])
    case .pip:
      return InstallerCommand(argv: [basePython, "-m", "venv", dir])
    }
  }

  /// The commands that install the plan with the env's interpreter `python`: the wheels first,
  /// each with `--no-deps` and its hash, then the requirements (with their dependencies unless
  /// `noDeps`). `scratch` is where the wheel lists are written.
  func install(_ plan: Plan, python: String, scratch: String, noDeps: Bool) -> [InstallerCommand] {
    var commands: [InstallerCommand] = []
    let head: [String]
    switch kind {
    case .uv: head = uv + ["pip", "install", "--python", python] + (quiet ? ["--quiet"] : [])
    case .pip:
      head = [python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input"] + (quiet ? ["--quiet"] : [])
    }
    // pip checks hashes only when every line has one, so its hashed and bare wheels go apart.
    let groups =
      kind == .uv
      ? [plan.wheels] : [plan.wheels.filter { $0.sha256 != nil }, plan.wheels.filter { $0.sha256 == nil }]
    for (k, wheels) in groups.enumerated() where !wheels.isEmpty {
      let list = "\(scratch)/.venv-make-wheels\(k == 0 ? "" : "-\(k)").txt"
      let text = wheels.map(Self.requirementLine).joined(separator: "\n") + "\n"
      commands.append(InstallerCommand(argv: head + ["--no-deps", "-r", list], files: [(list, text)]))
    }
    // `--` ends the options: however a requirement reads, the installer takes it as one.
    if !plan.requirements.isEmpty {
      var command = InstallerCommand(argv: head + (noDeps ? ["--no-deps"] : []))
      for index in Set(plan.indexes).sorted() {
        // A local directory is a directory of wheels (find-links); anything else an index.
        if let path = WheelSource.localDirectory(index) {
          command.argv += ["--find-links", path]
        } else {
          command.argv.append("--extra-index-url=\(index)")
        }
      }
      if !plan.constraints.isEmpty {
        let list = "\(scratch)/.venv-make-constraints.txt"
        command.argv += ["--constraint", list]
        command.files.append((list, Set(plan.constraints).sorted().joined(separator: "\n") + "\n"))
      }
      command.argv += ["--"] + plan.requirements
      commands.append(command)
    }
    return commands
  }

  /// `name @ file:///…/x.whl --hash=sha256:…`, as uv and pip read it in a requirements file.
  static func requirementLine(_ wheel: Plan.Wheel) -> String {
    var line = "\(wheel.name) @ \(WheelSource.url(wheel.url))"
    if let sha256 = wheel.sha256 { line += " --hash=sha256:\(sha256)" }
    return line
  }
}
