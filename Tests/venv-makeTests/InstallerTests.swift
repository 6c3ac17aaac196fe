import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The pip fallback, and no installer at all.
@Suite(.serialized) struct InstallerTests {
  let scratch = TemporaryDirectory()

  @Test func withoutUVTheEnvIsMadeWithVenvAndPip() throws {
    // A python3 without the uv module, and a PATH without uv.
    let plain = "\(scratch.path)/plain"
    let made = try runCapturing("python3", ["-m", "venv", plain], timeout: 120)
    #expect(made.exit.succeeded, "\(made.stderrText)")
    let path = "\(plain)/bin:/usr/bin:/bin"
    try #require(findExecutable("uv", path: path) == nil, "uv is hidden")
    let wheels = try scratch.directory("wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let target = "\(scratch.path)/pip-env"
    let input = VenvFixtures.wheelRecord(one, version: "1.0")
    let run = try VenvFixtures.venvMake(["-v", "--dir", target], input: input, environment: ["PATH": path])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.stderrText.contains("-m venv"), "-v shows each installer command")
    #expect(run.record("venv")?["changed"] == true)
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p; print(p.VERSION)") == "1.0")
    let pip = readTextFileIfPresent("\(target)/bin/pip") ?? ""
    #expect(!pip.contains(".venv-make-build."), "scripts name the env's own path")
    #expect(try runCapturing("\(target)/bin/pip", ["--version"]).exit.succeeded)
    let again = try VenvFixtures.venvMake(["--dir", target], input: input, environment: ["PATH": path])
    #expect(again.record("venv")?["changed"] == false)
  }

  @Test func noInstallerAtAllExits69WithTheFix() throws {
    let empty = try scratch.directory("empty-path")
    let run = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/none"], input: "", environment: ["PATH": empty])
    #expect(run.exit == .exited(69))
    #expect(run.record("error")?["message"]?.stringValue?.contains("python3 -m pip install uv") == true)
    let asked = try VenvFixtures.venvMake(
      ["--dir", "\(scratch.path)/none", "--installer", "uv"], input: "", environment: ["PATH": empty])
    #expect(asked.exit == .exited(69))
  }
}
