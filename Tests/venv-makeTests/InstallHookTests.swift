import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `bin/comfy-pipes-install`, the node-pack install hook, on the demo pack of
/// `Tests/Fixtures/demo_pack` (numpy<2 from PyPI, a helper wheel from the pack's wheels/).
@Suite(.serialized) struct InstallHookTests {
  let scratch = TemporaryDirectory()

  /// The hook with the built tools beside it, as in `bin/` or `PREFIX/bin`.
  static let kit: String = {
    let kit = TemporaryDirectory.shared.path + "/hook-kit"
    try? makeDirectories(kit)
    symlink("\(Products.root)/bin/comfy-pipes-install", "\(kit)/comfy-pipes-install")
    for tool in ["cuda-detect", "wheel-url", "venv-make"] { symlink(Products.path(tool), "\(kit)/\(tool)") }
    return kit
  }()

  /// The caller's python: the test venv's (numpy 2) first on PATH when `make test` names it.
  static let callerPath: String = {
    let path = Environment.current["PATH"] ?? "/usr/bin:/bin"
    guard let python = Environment.current["PIPES_TEST_PYTHON"], !python.isEmpty else { return path }
    return "\(python[..<python.lastIndex(of: "/")!]):\(path)"
  }()

  /// A copy of the demo pack in the scratch directory (the hook builds `_env` inside it).
  func demoPack(_ name: String) throws -> String {
    let pack = "\(scratch.path)/\(name)"
    let copy = try runCapturing("/bin/cp", ["-R", "\(Products.root)/Tests/Fixtures/demo_pack", pack])
    #expect(copy.exit == .exited(0), "\(copy.stderrText)")
    return pack
  }

  func hook(_ arguments: [String], in directory: String? = nil) throws -> CapturedRun {
    var environment = Environment.current
    for (key, value) in VenvFixtures.environment { environment[key] = value }
    environment["PATH"] = Self.callerPath
    environment["SWIFT_BACKTRACE"] = "enable=no"
    let command = (directory.map { "cd '\($0)' && " } ?? "") + "exec \"$0\" \"$@\""
    return try runCapturing(
      "/bin/sh", ["-c", command, "\(Self.kit)/comfy-pipes-install"] + arguments, environment: environment,
      timeout: 300)
  }

  @Test func buildsThePackEnvThenTheSecondRunIsANoOp() throws {
    if Environment.current["PIPES_TEST_PYTHON"] != nil {
      // The system's python3 has numpy 2 or none (Debian's own python3 has none); the pack's env has 1.26.
      let system = try VenvFixtures.pythonSays("python3", "import numpy; print(numpy.__version__)")
      #expect(system.hasPrefix("2.") || system.contains("No module named 'numpy'"), "\(system)")
    }
    let pack = try demoPack("pack")
    let first = try hook(["--records"], in: pack)
    #expect(first.exit == .exited(0), "\(first.stderrText)")
    #expect(first.records.map(\.type) == ["env", "venv"])
    #expect(first.record("venv")?["changed"] == true)
    #expect(first.record("venv")?["path"]?.stringValue == "\(pack)/_env")
    #expect(first.stderrText.contains("comfy-pipes-install: built \(pack)/_env"))
    #expect(access("\(pack)/._env.venv-make.lock", F_OK) != 0, "no lock file left in the pack")
    let node = """
      import sys; sys.path.insert(0, sys.argv[1])
      import numpy, demo_nodes
      image, version = demo_nodes.Invert().invert(numpy.zeros((1, 2, 2, 3), dtype=numpy.float32))
      print(version, image.dtype, image.min(), image.max())
      """
    let says = try runCapturing("\(pack)/_env/bin/python", ["-c", node, pack])
    #expect(says.exit == .exited(0), "\(says.stderrText)")
    #expect(says.stdoutText.hasPrefix("1."), "the env's numpy is 1.x")
    #expect(says.stdoutText.hasSuffix(" float32 1.0 1.0\n"), "\(says.stdoutText)")

    let before = VenvFixtures.modificationTime("\(pack)/_env/.venv-make.json")
    let second = try hook(["--dir", pack, "-q", "--records"])
    #expect(second.exit == .exited(0), "\(second.stderrText)")
    #expect(second.record("venv")?["changed"] == false)
    #expect(second.stderrText.isEmpty, "quiet: \(second.stderrText)")
    #expect(VenvFixtures.modificationTime("\(pack)/_env/.venv-make.json") == before, "nothing rewritten")
    let loud = try hook(["--dir", pack])
    #expect(loud.stderrText.contains("is up to date"), "\(loud.stderrText)")
    #expect(loud.stdoutText.isEmpty, "without --records, stdout stays empty (an install.py's log): \(loud.stdoutText)")
  }

  /// The env is described for the interpreter that will load the pack (`--host-python`, or
  /// `$COMFY_PIPES_PYTHON` as `python -m comfy_pipes.install` sets it), not python3 on PATH.
  @Test func describesTheHostPythonItIsGiven() throws {
    let pack = try demoPack("host-python")
    let host = Environment.current["PIPES_TEST_PYTHON"] ?? "/usr/bin/python3"
    let given = try hook(["--dir", pack, "--dry-run", "--records", "--host-python", host])
    #expect(given.exit == .exited(0), "\(given.stderrText)")
    #expect(given.record("env")?["python"]?.objectValue?["executable"]?.stringValue == host)
    var environment = Environment.current
    for (key, value) in VenvFixtures.environment { environment[key] = value }
    environment["PATH"] = Self.callerPath
    environment["COMFY_PIPES_PYTHON"] = host
    let fromEnvironment = try runCapturing(
      "\(Self.kit)/comfy-pipes-install", ["--dir", pack, "--dry-run", "--records"], environment: environment,
      timeout: 300)
    #expect(fromEnvironment.record("env")?["python"]?.objectValue?["executable"]?.stringValue == host)
  }

  @Test func aBrokenConfigSaysWhatFailedAndBuildsNothing() throws {
    let pack = try scratch.directory("broken")
    try scratch.write("broken/comfy-env.toml", "[packages]\nrequirements = [\"numpy<2\"\n")
    let run = try hook(["--dir", pack])
    #expect(run.exit == .exited(1))
    #expect(run.stderrText.contains("wheel-url could not resolve"), "\(run.stderrText)")
    #expect(run.stderrText.contains("comfy-env.toml:2:"), "the message names the file and line")
    #expect(run.stderrText.contains("nothing was built; fix \(pack)/comfy-env.toml"))
    #expect(access("\(pack)/_env", F_OK) != 0)
  }

  @Test func aFailedInstallSaysSoAndKeepsNoEnv() throws {
    let pack = try scratch.directory("uninstallable")
    try scratch.write(
      "uninstallable/comfyui_env.toml", "[packages]\nrequirements = [\"venvmake-no-such-project==0\"]\n")
    let run = try hook(["--dir", pack, "--offline"])
    #expect(run.exit == .exited(1))
    #expect(run.stderrText.contains("venv-make could not build \(pack)/_env"), "\(run.stderrText)")
    #expect(run.stderrText.contains("no env was made; fix the cause above"))
    #expect(VenvFixtures.leftovers(pack).isEmpty && access("\(pack)/_env", F_OK) != 0)
  }

  @Test func dryRunPlansTheConfigsEnvAndChangesNothing() throws {
    let pack = try demoPack("dry")
    let run = try hook(["--dir", pack, "--dry-run", "--offline", "--records"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let plan = try #require(run.record("plan"))
    #expect(plan["path"]?.stringValue == "\(pack)/_env" && plan["changed"] == true)
    #expect(plan["plan"]?["requirements"] == ["numpy<2"])
    #expect(run.stderrText.contains("would build \(pack)/_env"))
    #expect(access("\(pack)/_env", F_OK) != 0)

    // An E1 [env] name and python choose the env's directory and Python; --env-dir overrides.
    try scratch.write(
      "named/comfy-env.toml", "[env]\nname = \"demo\"\npython = \"3.9\"  # old\n[packages]\nrequirements = [\"six\"]\n")
    let named = try hook(["--dir", "\(scratch.path)/named", "-n", "--offline", "--records"])
    #expect(named.record("plan")?["path"]?.stringValue == "\(scratch.path)/named/_env_demo", "\(named.stderrText)")
    #expect(named.record("plan")?["plan"]?["python"]?.stringValue == "3.9")
    let moved = try hook([
      "--dir", "\(scratch.path)/named", "-n", "--offline", "--records", "--env-dir", "\(scratch.path)/elsewhere",
    ])
    #expect(moved.record("plan")?["path"]?.stringValue == "\(scratch.path)/elsewhere")
  }

  /// A directory of someone's files beside the pack, which no config may reach.
  func victim(_ name: String) throws -> String {
    try scratch.write("\(name)/notes.txt", "mine\n")
    return "\(scratch.path)/\(name)"
  }

  func intact(_ victim: String) -> Bool {
    readTextFileIfPresent("\(victim)/notes.txt") == "mine\n" && listDirectoryNames(victim) == ["notes.txt"]
  }

  /// An `[env] name` is a plain name: one that would put the env outside the pack (or is not
  /// a name at all) fails with exit 65 before anything runs.
  @Test func anEnvNameCannotLeaveThePack() throws {
    let victim = try victim("victim")
    for (k, name) in ["x/../../victim", "../victim", "..", ".", "a b", "/tmp/x"].enumerated() {
      try scratch.write("traversal-\(k)/comfy-env.toml", "[env]\nname = \"\(name)\"\n")
      let run = try hook(["--dir", "\(scratch.path)/traversal-\(k)", "--offline"])
      #expect(run.exit == .exited(65), "\(name): \(run.stderrText)")
      #expect(run.stderrText.contains("is not a plain name"), "\(name): \(run.stderrText)")
      #expect(run.records.isEmpty)
      #expect(intact(victim), "\(name)")
    }
    try scratch.write("badpython/comfy-env.toml", "[env]\npython = \"3.11 --index-url=http://127.0.0.1:9\"\n")
    let python = try hook(["--dir", "\(scratch.path)/badpython", "--offline"])
    #expect(python.exit == .exited(65), "\(python.stderrText)")
    #expect(python.stderrText.contains("is not a version like 3.11"))
  }

  /// `PACK/_env` as a link out of the pack is refused, and link and target stay; `--env-dir`
  /// is the user's own choice and may be anywhere.
  @Test func aLinkedEnvDirOutOfThePackIsRefused() throws {
    let victim = try victim("linked-victim")
    try scratch.write("linked/comfy-env.toml", "[packages]\nrequirements = []\n")
    let pack = "\(scratch.path)/linked"
    #expect(symlink(victim, "\(pack)/_env") == 0)
    let run = try hook(["--dir", pack, "--offline"])
    #expect(run.exit == .exited(65), "\(run.stderrText)")
    #expect(run.stderrText.contains("\(pack)/_env is a symbolic link"), "\(run.stderrText)")
    #expect(intact(victim))
    var info = stat()
    #expect(lstat("\(pack)/_env", &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK)
    let chosen = try hook(["--dir", pack, "--offline", "--records", "--env-dir", "\(scratch.path)/chosen-env"])
    #expect(chosen.exit == .exited(0), "\(chosen.stderrText)")
    #expect(chosen.record("venv")?["path"]?.stringValue == "\(scratch.path)/chosen-env")
    let refused = try hook(["--dir", pack, "--offline", "--env-dir", victim])
    #expect(refused.exit == .exited(64), "venv-make still protects a chosen directory: \(refused.stderrText)")
    #expect(refused.stderrText.contains("refusing to replace"))
    #expect(refused.stderrText.contains("nothing was changed; give --env-dir a new directory"))
    #expect(intact(victim))
  }

  @Test func usageAndAMissingConfig() throws {
    #expect(try hook(["--help"]).stdoutText.hasPrefix("OVERVIEW: "))
    let bad = try hook(["--bogus"])
    #expect(bad.exit == .exited(64) && bad.stderrText.contains("See 'comfy-pipes-install --help'"))
    #expect(try hook(["--dir"]).exit == .exited(64))
    let empty = try scratch.directory("empty")
    let none = try hook([], in: empty)
    #expect(none.exit == .exited(66))
    #expect(none.stderrText.contains("has no comfy-env.toml"), "\(none.stderrText)")
    let version = try hook(["--version"])
    #expect(version.exit == .exited(0) && version.stdoutText.hasPrefix("comfy-pipes-install "))
  }
}
