import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// venv-make at the end of the kit's pipe, and reading a config through the WheelURL library.
@Suite(.serialized) struct PipelineTests {
  let scratch = TemporaryDirectory()

  @Test func cudaDetectWheelURLVenvMakeInOnePipe() throws {
    let wheels = try scratch.directory("links")
    _ = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    _ = try VenvFixtures.probeWheel(version: "2.0", in: wheels)
    let target = "\(scratch.path)/piped"
    let run = try Products.shell(
      "cuda-detect | wheel-url --offline --no-registry --find-links '\(wheels)' 'venvmake-probe<2' | venv-make --dir '\(target)'",
      environment: VenvFixtures.environment)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["env", "venv"])
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p; print(p.VERSION)") == "1.0")
  }

  @Test func aConfigIsReadLikeWheelURLReadsIt() throws {
    let wheels = try scratch.directory("config-links")
    _ = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let config = try scratch.write(
      "comfy-env.toml",
      """
      [env]
      python = "\(VenvFixtures.python)"
      [cuda]
      venvmake-probe = "1.0"
      [packages]
      requirements = ["six"]
      [sources]
      wheel_sources = ["\(wheels)"]
      """)
    let target = "\(scratch.path)/configured"
    let env = #"{"type":"env","os":"linux","arch":"x86_64","glibc":"2.36","python":{"version":"3.11.7"}}"#
    let dry = try VenvFixtures.venvMake(
      ["--dir", target, "--config", config, "--offline", "--dry-run"], input: env + "\n")
    #expect(dry.exit == .exited(0), "\(dry.stderrText)")
    let plan = try #require(dry.record("plan")?["plan"])
    #expect(plan["python"]?.stringValue == VenvFixtures.python)
    // An isolated E1 env ([env] python) on a machine without CUDA and without a host torch: no
    // torch, as comfy-env's E1 puts none there (the pin with a CUDA: PackShapeTests).
    #expect(plan["requirements"] == ["six"])
    #expect(plan["indexes"] == nil)
    #expect(
      plan["wheels"]?.arrayValue?.first?["url"]?.stringValue?.hasSuffix("venvmake_probe-1.0-py3-none-any.whl") == true)
  }

  @Test func aRequirementsFileIsRead() throws {
    let file = try scratch.write("requirements.txt", "# pins\nsix==1.16.0  # six\n\nnumpy==1.26.4\n")
    let dry = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/r", "-r", file, "--dry-run"])
    #expect(dry.record("plan")?["plan"]?["requirements"] == ["numpy==1.26.4", "six==1.16.0"])
    let bad = try scratch.write("bad.txt", "--index-url https://example.org/simple\n")
    #expect(try VenvFixtures.venvMake(["--dir", "\(scratch.path)/r", "-r", bad, "--dry-run"]).exit == .exited(1))
  }
}
