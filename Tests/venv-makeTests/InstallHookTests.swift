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
      #expect(try VenvFixtures.pythonSays("python3", "import numpy; print(numpy.__version__)").hasPrefix("2."))
    }
    let pack = try demoPack("pack")
    let first = try hook([], in: pack)
    #expect(first.exit == .exited(0), "\(first.stderrText)")
    #expect(first.records.map(\.type) == ["env", "venv"])
    #expect(first.record("venv")?["changed"] == true)
    #expect(first.record("venv")?["path"]?.stringValue == "\(pack)/_env")
    #expect(first.stderrText.contains("comfy-pipes-install: built \(pack)/_env"))
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
    let second = try hook(["--dir", pack, "-q"])
    #expect(second.exit == .exited(0), "\(second.stderrText)")
    #expect(second.record("venv")?["changed"] == false)
    #expect(second.stderrText.isEmpty, "quiet: \(second.stderrText)")
    #expect(VenvFixtures.modificationTime("\(pack)/_env/.venv-make.json") == before, "nothing rewritten")
    let loud = try hook(["--dir", pack])
    #expect(loud.stderrText.contains("is up to date"), "\(loud.stderrText)")
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
    let run = try hook(["--dir", pack, "--dry-run", "--offline"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let plan = try #require(run.record("plan"))
    #expect(plan["path"]?.stringValue == "\(pack)/_env" && plan["changed"] == true)
    #expect(plan["plan"]?["requirements"] == ["numpy<2"])
    #expect(run.stderrText.contains("would build \(pack)/_env"))
    #expect(access("\(pack)/_env", F_OK) != 0)

    // An E1 [env] name and python choose the env's directory and Python; --env-dir overrides.
    try scratch.write(
      "named/comfy-env.toml", "[env]\nname = \"demo\"\npython = \"3.9\"  # old\n[packages]\nrequirements = [\"six\"]\n")
    let named = try hook(["--dir", "\(scratch.path)/named", "-n", "--offline"])
    #expect(named.record("plan")?["path"]?.stringValue == "\(scratch.path)/named/_env_demo", "\(named.stderrText)")
    #expect(named.record("plan")?["plan"]?["python"]?.stringValue == "3.9")
    let moved = try hook([
      "--dir", "\(scratch.path)/named", "-n", "--offline", "--env-dir", "\(scratch.path)/elsewhere",
    ])
    #expect(moved.record("plan")?["path"]?.stringValue == "\(scratch.path)/elsewhere")
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
