import PipeHTTP
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The command line of venv-make.
enum VenvMake {
  static let spec = CommandSpec(
    name: "venv-make", version: pipeKitVersion,
    overview: "Build or refresh an isolated Python venv from wheel and requirement records, atomically.",
    usage: [
      "(--dir DIR | --name NAME) [--python-version X.Y] [--config FILE] [-r FILE] [--installer uv|pip] [options]",
      "--into PYTHON [--allow-torch] [--config FILE] [-r FILE] [options]",
    ],
    options: [
      OptionSpec(["--dir"], value: "DIR", help: "The env to build or refresh."),
      OptionSpec(
        ["--name"], value: "NAME",
        help: "The env NAME under $VENV_MAKE_ROOT (default ${XDG_DATA_HOME:-~/.local/share}/comfy-pipes/venvs)."),
      OptionSpec(
        ["--into"], value: "PYTHON",
        help: "Install into the existing environment of PYTHON instead, every package with --no-deps."),
      OptionSpec(
        ["--config"], value: "FILE",
        help: "Also install what a comfy-env.toml (E1 or E3) or comfyui_env.toml asks for; repeatable."),
      OptionSpec(
        ["--requirements", "-r"], value: "FILE", help: "Also install a requirements file's lines; repeatable."),
      OptionSpec(
        ["--python-version", "--python"], value: "X.Y",
        help: "The env's Python (default: the config's, else the env record's; --python: the older spelling)."),
      OptionSpec(
        ["--installer"], value: "NAME", help: "uv or pip (default: uv when found, else python3 -m venv and pip)."),
      OptionSpec(["--allow-torch"], help: "With --into: allow installing torch, torchvision and torchaudio."),
      OptionSpec(["--no-wait"], help: "Exit 75 at once when another venv-make holds the env's lock."),
      OptionSpec(["--offline"], help: "With --config: resolve wheels without touching the network."),
      OptionSpec(["--dry-run", "-n"], help: "Print the plan (fingerprint, installer commands) and change nothing."),
      OptionSpec(
        ["--verbose", "-v"],
        help: "Show each installer command and its output (default: a summary line; the output on failure)."),
      OptionSpec(["--quiet", "-q"], help: "No notes on stderr, and the installer's quiet mode."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let targets = ["--dir", "--name", "--into"].filter { arguments.value($0) != nil }
    guard targets.count == 1 else {
      throw UsageError(
        targets.isEmpty
          ? "give --dir DIR, --name NAME or --into PYTHON" : "\(targets[0]) and \(targets[1]) exclude each other")
    }
    let choice = arguments.value("--installer")
    if let choice, InstallerKind(rawValue: choice) == nil { throw UsageError("--installer must be uv or pip") }
    if let python = arguments.value("--python-version"), !isPythonVersion(python) {
      throw UsageError("--python-version '\(python)' is not a version like 3.11")
    }
    if arguments.flag("--allow-torch") && arguments.value("--into") == nil {
      throw UsageError("--allow-torch goes with --into")
    }
    let configs = arguments.values("--config")
    let requirementFiles = arguments.values("--requirements")
    let into = arguments.value("--into")

    // The target is checked before stdin is read: a refused one consumes no record.
    let target = try into == nil ? Self.target(arguments) : nil
    do {
      try target?.checkReplaceable()
    } catch {
      // A usage error (64) with a record: the pointer to --help follows, as after every usage error.
      tool.report(error)
      try? FileDescriptor.standardError.writeAll("See '\(tool.name) --help' for more information.\n")
      return
    }
    var inputs = Inputs()
    if (configs.isEmpty && requirementFiles.isEmpty) || !FileDescriptor.standardInput.isTerminal {
      inputs.read(tool: tool)
    }
    tool.output.flush()
    for path in requirementFiles { try inputs.addRequirementsFile(path, tool: tool) }
    for path in configs { inputs.addConfig(path, offline: arguments.flag("--offline"), tool: tool) }
    if inputs.failed {
      tool.diagnostics.error("nothing was built: fix the input errors above first")
      tool.note(.failure)
      return
    }
    let quiet = arguments.flag("--quiet")
    let verbose = arguments.flag("--verbose") && !quiet
    var plan = Plan(requirements: inputs.requirements, wheels: inputs.wheels, inPlace: into != nil)
    plan.indexes = inputs.indexes
    plan.constraints = inputs.constraints
    if into == nil {
      let fromEnv = inputs.env?["python"]?["version"]?.stringValue.map {
        $0.split(separator: ".").prefix(2).joined(separator: ".")
      }
      plan.python = arguments.value("--python-version") ?? inputs.configPython ?? inputs.recordPython ?? fromEnv
    }
    plan.installer =
      try Installer.cheapKind(choice: choice)
      ?? Installer.locate(choice: choice, python: plan.python, quiet: quiet).kind
    let wait = !arguments.flag("--no-wait")

    if let into {
      // A directory passes `access(X_OK)`; the interpreter (or the file a link names) must be a file.
      var info = stat()
      guard let python = findExecutable(into), stat(python, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
        throw ErrorRecord(
          code: "no-python", message: "--into \(into): no such executable; give the environment's python",
          exit: .unavailable)
      }
      let job = InPlaceInstall(
        tool: tool, python: URLText.absolutePath(python), plan: plan, installerChoice: choice, quiet: quiet,
        wait: wait, allowTorch: arguments.flag("--allow-torch"), verbose: verbose)
      try arguments.flag("--dry-run") ? job.dryRun() : job.run()
      return
    }
    let builder = EnvBuilder(
      tool: tool, target: target!, plan: plan, installerChoice: choice, quiet: quiet, wait: wait, verbose: verbose)
    try arguments.flag("--dry-run") ? builder.dryRun() : builder.run()
  }

  /// The env `--dir` or `--name` names.
  static func target(_ arguments: Arguments) throws -> Target {
    if let dir = arguments.value("--dir") { return Target(path: dir) }
    let name = arguments.value("--name")!
    guard !name.isEmpty, !name.contains("/"), !name.hasPrefix(".") else {
      throw UsageError("--name '\(name)' must be a plain name, without '/' or a leading '.'")
    }
    let root = Target.defaultRoot(Environment.current)
    do {
      try makeDirectories(root)
    } catch {
      throw ErrorRecord(code: "io-error", message: "cannot make \(root): \(error)", exit: .ioError)
    }
    return Target(path: "\(root)/\(name)")
  }

  static func isPythonVersion(_ text: String) -> Bool {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    return (2...3).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }
  }
}
