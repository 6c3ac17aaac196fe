import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `bin/comfy-pipes-install` on the node packs of `Tests/Fixtures/packs`, one per config shape
/// comfy-env reads: each builds the env comfy-env would build (real uv venvs, offline: six and
/// numpy from uv's cache, the demo pack's helper wheel, stand-in torch wheels in a local PyTorch
/// mirror) or stops with the error that says why.
@Suite(.serialized) struct PackShapeTests {
  let scratch = TemporaryDirectory()

  /// Whether what the packs ask PyPI for (six, numpy<2) is in the shared uv cache, so that the
  /// `--offline` runs find it on a fresh clone too: one online install into a scratch venv.
  static let pypiPackagesAreCached: Bool = {
    let scratch = TemporaryDirectory()
    guard let uv = findExecutable("uv") else { return false }
    var environment = Environment.current
    for (key, value) in VenvFixtures.environment { environment[key] = value }
    let venv = "\(scratch.path)/venv"
    let made = try? runCapturing(uv, ["venv", "-q", venv], environment: environment, timeout: 120)
    guard made?.exit == .exited(0) else { return false }
    let install = try? runCapturing(
      uv, ["pip", "install", "-q", "--python", "\(venv)/bin/python", "six", "numpy<2"], environment: environment,
      timeout: 300)
    return install?.exit == .exited(0)
  }()

  /// A copy of `Tests/Fixtures/packs/NAME`, with the demo pack's wheels in its `wheels/`.
  func pack(_ name: String) throws -> String {
    #expect(Self.pypiPackagesAreCached, "six and numpy<2 from PyPI into the test uv cache")
    let pack = "\(scratch.path)/\(name)"
    for (from, to) in [("packs/\(name)", pack), ("demo_pack/wheels", "\(pack)/wheels")] {
      let copy = try runCapturing("/bin/cp", ["-R", "\(Products.root)/Tests/Fixtures/\(from)", to])
      #expect(copy.exit == .exited(0), "\(copy.stderrText)")
    }
    return pack
  }

  /// A local PyTorch mirror (`$COMFY_PIPES_TORCH_INDEX`): `BACKEND/` with stand-in torch 2.8.1
  /// and 2.9.0 wheels, so that the pin (2.8.*) shows in which one is installed.
  func mirror(backend: String) throws -> String {
    let mirror = try scratch.directory("mirror")
    let wheels = try scratch.directory("mirror/\(backend)")
    for version in ["2.8.1", "2.9.0"] { _ = try VenvFixtures.probeWheel(version: version, in: wheels, name: "torch") }
    return mirror
  }

  /// A Python X.Y other than python3's that uv can find, and the directory to put on PATH for
  /// it (pyenv keeps its versions off PATH), or `nil`.
  static let otherPython: (version: String, directory: String)? = {
    let home = Environment.current["HOME"] ?? "/root"
    for version in ["3.12", "3.13", "3.10"] where version != VenvFixtures.python {
      var candidates = (Environment.current["PATH"] ?? "").split(separator: ":").map(String.init)
      candidates += (listDirectoryNames("\(home)/.pyenv/versions") ?? []).filter { $0.hasPrefix(version + ".") }
        .map { "\(home)/.pyenv/versions/\($0)/bin" }
      for directory in candidates where access("\(directory)/python\(version)", X_OK) == 0 {
        if let run = try? runCapturing("\(directory)/python\(version)", ["-c", "print(1)"]), run.exit.succeeded {
          return (version, directory)
        }
      }
    }
    return nil
  }()

  func hook(_ arguments: [String], environment extra: [String: String] = [:], path: String? = nil) throws
    -> CapturedRun
  {
    var environment = Environment.current
    for (key, value) in VenvFixtures.environment { environment[key] = value }
    environment["PATH"] = (path.map { $0 + ":" } ?? "") + InstallHookTests.callerPath
    environment["SWIFT_BACKTRACE"] = "enable=no"
    environment["COMFY_PIPES_TORCH_INDEX"] = nil
    for (key, value) in extra { environment[key] = value }
    return try runCapturing(
      "\(InstallHookTests.kit)/comfy-pipes-install", arguments, environment: environment, timeout: 300)
  }

  func says(_ python: String, _ code: String) throws -> String { try VenvFixtures.pythonSays(python, code) }

  /// E1 `[gen] python = "3.12"`: the env is PACK/_env_gen on that Python (the records carry it),
  /// with torch pinned to comfy-env's 2.8.* from the mirror, not the newer 2.9.0 beside it.
  @Test func anE1NamedEnvGetsItsOwnPythonAndTheTorchPin() throws {
    let pack = try pack("e1-named")
    // A machine with a 570 driver: comfy-env's E1 puts torch into an env where there is a CUDA.
    let gpu = ["UV_CUDA_DRIVER_VERSION": "570.86.10"]
    let plan = try hook(["--dir", pack, "-n", "--offline", "--records"], environment: gpu)
    #expect(plan.exit == .exited(0), "\(plan.stderrText)")
    let record = try #require(plan.record("plan"))
    #expect(record["path"]?.stringValue == "\(pack)/_env_gen")
    #expect(record["plan"]?["python"]?.stringValue == "3.12", "the named env's python, not the host's")
    #expect(record["plan"]?["requirements"] == ["six", "torch==2.8.*"])
    #expect(record["plan"]?["constraints"] == ["torchaudio==2.8.*", "torchvision==0.23.*"])
    let index = try #require(record["plan"]?["indexes"]?.arrayValue?.first?.stringValue)
    #expect(
      index.hasPrefix("https://download.pytorch.org/whl/cpu") || index.hasPrefix("https://download.pytorch.org/whl/cu"))
    #expect(plan.stderrText.contains("torch pinned to 2.8.*"), "\(plan.stderrText)")

    guard let other = Self.otherPython, other.version == "3.12" else { return }
    let backend = String(index.split(separator: "/").last!)
    let mirror = try mirror(backend: backend)
    let run = try hook(
      ["--dir", pack, "--offline"], environment: gpu.merging(["COMFY_PIPES_TORCH_INDEX": mirror]) { $1 },
      path: other.directory)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let python = "\(pack)/_env_gen/bin/python"
    #expect(
      try says(python, "import sys, six, torch; print('%d.%d' % sys.version_info[:2], torch.VERSION)") == "3.12 2.8.1")
    #expect(run.stderrText.contains("built \(pack)/_env_gen"), "\(run.stderrText)")
    #expect(access("\(pack)/_env", F_OK) != 0, "no main env: the config has none")
  }

  /// E1 `[local.cuda]` and `[local.packages]` go into the host's environment with venv-make
  /// --into: no PACK/_env is made.
  @Test func anE1LocalTableInstallsIntoTheHost() throws {
    let pack = try pack("e1-local")
    let host = "\(scratch.path)/host"
    let venv = try runCapturing("uv", ["venv", "-q", host])
    #expect(venv.exit == .exited(0), "\(venv.stderrText)")
    let run = try hook(["--dir", pack, "--offline", "--records", "--host-python", "\(host)/bin/python"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let record = try #require(run.record("venv"))
    #expect(record["path"]?.stringValue == host)
    #expect(try says("\(host)/bin/python", "import six, demo_pack_helpers; print('ok')") == "ok")
    #expect(access("\(pack)/_env", F_OK) != 0, "nothing built in the pack")
    #expect(run.stderrText.contains("built the host's environment"), "\(run.stderrText)")
  }

  /// --into installs with --no-deps: a wheel whose dependency the host lacks is reported
  /// (code missing-dependency, exit 1), though what was installed stays.
  @Test func intoReportsADependencyTheHostLacks() throws {
    let wheels = try scratch.directory("needy/wheels")
    let script = """
      import sys, zipfile
      n, v = "needy", "1.0"
      files = {f"{n}/__init__.py": "", f"{n}-{v}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {n}\\nVersion: {v}\\nRequires-Dist: venvmake-absent>=1\\n",
               f"{n}-{v}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n", f"{n}-{v}.dist-info/RECORD": ""}
      with zipfile.ZipFile(sys.argv[1] + f"/{n}-{v}-py3-none-any.whl", "w") as z:
          for p, t in files.items(): z.writestr(p, t)
      """
    #expect(try runCapturing("python3", ["-c", script, wheels]).exit == .exited(0))
    try scratch.write(
      "needy/comfy-env.toml", "[local.cuda]\nneedy = \"1.0\"\n[sources]\nwheel_sources = [\"wheels/\"]\n")
    let host = "\(scratch.path)/needy-host"
    #expect(try runCapturing("uv", ["venv", "-q", host]).exit == .exited(0))
    let run = try hook(["--dir", "\(scratch.path)/needy", "--offline", "--host-python", "\(host)/bin/python"])
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.stderrText.contains("needy was installed without its dependencies"), "\(run.stderrText)")
    #expect(run.stderrText.contains("venvmake-absent"), "\(run.stderrText)")
  }

  /// E3: comfy-env-root.toml's [node_reqs] is named, nodes/comfy-env.toml and
  /// nodes/mesh/comfy-env.toml each get an env beside them, nodes/_old is skipped unread.
  @Test func anE3PackWithARootFileAndNodesEnvFiles() throws {
    let pack = try pack("e3-nodes")
    let run = try hook(["--dir", pack, "--offline"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(try says("\(pack)/nodes/_env/bin/python", "import six; print('ok')") == "ok")
    #expect(try says("\(pack)/nodes/mesh/_env/bin/python", "import numpy; print(numpy.__version__[:2])") == "1.")
    #expect(run.stderrText.contains("ComfyUI_essentials (github.com/cubiq/ComfyUI_essentials)"), "\(run.stderrText)")
    #expect(run.stderrText.contains("[env_vars] (OMP_NUM_THREADS=4)"), "\(run.stderrText)")
    #expect(access("\(pack)/nodes/_old/_env", F_OK) != 0 && access("\(pack)/_env", F_OK) != 0)
    let again = try hook(["--dir", pack, "--offline", "--env-dir", "\(scratch.path)/one"])
    #expect(again.exit == .exited(64), "one --env-dir for two env files: \(again.stderrText)")

    let rootOnly = try scratch.directory("root-only")
    try scratch.write("root-only/comfy-env-root.toml", "[settings]\nisolate = true\n")
    let none = try hook(["--dir", rootOnly])
    #expect(none.exit == .exited(66))
    #expect(none.stderrText.contains("no env file: comfy-env reads the env from nodes/comfy-env.toml"))
  }

  /// comfyui_env.toml (January 2026's name) with an [env] name: PACK/_env_legacy, torch pinned.
  @Test func aComfyuiEnvTomlPack() throws {
    let pack = try pack("comfyui-env")
    let gpu = ["UV_CUDA_DRIVER_VERSION": "570.86.10"]
    let plan = try hook(["--dir", pack, "-n", "--offline", "--records"], environment: gpu)
    #expect(plan.exit == .exited(0), "\(plan.stderrText)")
    let record = try #require(plan.record("plan"))
    #expect(record["path"]?.stringValue == "\(pack)/_env_legacy")
    let backend = String(
      record["plan"]?["indexes"]?.arrayValue?.first?.stringValue?.split(separator: "/").last ?? "cpu")
    let run = try hook(
      ["--dir", pack, "--offline"],
      environment: gpu.merging(["COMFY_PIPES_TORCH_INDEX": try mirror(backend: backend)]) { $1 })
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(try says("\(pack)/_env_legacy/bin/python", "import six, torch; print(torch.VERSION)") == "2.8.1")
    // The same pack on a CPU-only machine without a host torch: comfy-env's E1 installs no torch.
    let cpu = try hook(["--dir", pack, "-n", "--offline", "--records"])
    #expect(cpu.exit == .exited(0), "\(cpu.stderrText)")
    #expect(try #require(cpu.record("plan"))["plan"]?["requirements"] == ["six"], "no torch pin without a CUDA")
  }

  /// A per-package `index =` is where that package comes from (here a local directory, given
  /// to the installer as find-links); the rest comes from PyPI (uv's cache).
  @Test func aPerPackageIndexIsHonoured() throws {
    let pack = try pack("index")
    let run = try hook(["--dir", pack, "--offline", "--records"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.record("venv")?["path"]?.stringValue == "\(pack)/nodes/_env")
    #expect(try says("\(pack)/nodes/_env/bin/python", "import six, demo_pack_helpers; print('ok')") == "ok")
    let plan = try hook(["--dir", pack, "-n", "--offline", "--records"])
    #expect(plan.record("plan")?["plan"]?["indexes"] == [.string("file://\(pack)/wheels/")])
  }

  /// Conda [dependencies] cannot be built with uv: the hook stops before anything is built and
  /// says which packages and what to do.
  @Test func condaDependenciesStopWithWhatToDo() throws {
    let pack = try pack("conda")
    let run = try hook(["--dir", pack, "--offline"])
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.stderrText.contains("[dependencies] are conda packages (numpy, py-opencv)"), "\(run.stderrText)")
    #expect(run.stderrText.contains("list their PyPI names under [pypi-dependencies]"))
    #expect(!run.stderrText.contains("python,"), "the env's python is not a package")
    #expect(VenvFixtures.leftovers("\(pack)/nodes").isEmpty && access("\(pack)/nodes/_env", F_OK) != 0)
  }

  /// [system] apt packages are not installed (that needs root), but the command is printed and
  /// the env is built.
  @Test func systemPackagesAreNamedWithTheCommand() throws {
    let pack = try pack("system")
    let run = try hook(["--dir", pack, "--offline"])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.stderrText.contains("sudo apt-get install -y libgl1 libopengl0"), "\(run.stderrText)")
    #expect(try says("\(pack)/_env/bin/python", "import six; print('ok')") == "ok")
  }
}
