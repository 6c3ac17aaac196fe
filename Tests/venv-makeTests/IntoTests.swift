import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `--into PYTHON`: installing into an environment that is not venv-make's.
@Suite(.serialized) struct IntoTests {
  let scratch = TemporaryDirectory()

  func installed(_ python: String) throws -> String {
    try VenvFixtures.pythonSays(
      python,
      "import importlib.metadata as m; print(sorted((d.metadata['Name'], d.version) for d in m.distributions()))")
  }

  @Test func theWheelIsAddedAndNothingElseChanges() throws {
    let host = "\(scratch.path)/host"
    let made = try VenvFixtures.venvMake(["--dir", host, "--python", VenvFixtures.python], input: "")
    #expect(made.exit == .exited(0), "\(made.stderrText)")
    let python = "\(host)/bin/python"
    let before = try installed(python)
    let wheels = try scratch.directory("wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let input = VenvFixtures.wheelRecord(one, version: "1.0")

    let dry = try VenvFixtures.venvMake(["--into", python, "--dry-run"], input: input)
    #expect(dry.record("plan")?["changed"] == true)
    #expect(try installed(python) == before, "--dry-run changes nothing")

    let run = try VenvFixtures.venvMake(["--into", python], input: input)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let venv = try #require(run.record("venv"))
    #expect(venv["changed"] == true)
    #expect(venv["path"]?.stringValue == host)
    #expect(venv["packages"] == [["name": "venvmake_probe", "version": "1.0"]])
    let after = try installed(python)
    #expect(after != before)
    #expect(
      after.replacing(", ('venvmake_probe', '1.0')", with: "").replacing("('venvmake_probe', '1.0')", with: "")
        .replacing("[, ", with: "[") == before)

    let again = try VenvFixtures.venvMake(["--into", python], input: input)
    #expect(again.record("venv")?["changed"] == false)
    #expect(again.record("venv")?["fingerprint"] == venv["fingerprint"])

    let torch = try VenvFixtures.venvMake(
      ["--into", python], input: input + #"{"type":"requirement","spec":"torch==2.8.0"}"# + "\n")
    #expect(torch.exit == .exited(1))
    #expect(torch.record("error")?["code"] == "torch-refused")
    #expect(torch.record("venv") == nil)
    #expect(try installed(python) == after)
  }

  /// A stand-in wheel named torch (a tiny pure-Python package, not torch): refused by `--into`
  /// unless `--allow-torch`, then installed.
  @Test func allowTorchLetsATorchWheelIn() throws {
    let host = "\(scratch.path)/torch-host"
    let made = try VenvFixtures.venvMake(["--dir", host, "--python", VenvFixtures.python], input: "")
    #expect(made.exit == .exited(0), "\(made.stderrText)")
    let python = "\(host)/bin/python"
    let wheel = try VenvFixtures.probeWheel(version: "0.0.1", in: try scratch.directory("torch-wheels"), name: "torch")
    let record: JSONObject = [
      "type": "wheel", "name": "torch", "version": "0.0.1", "url": .string("file://\(wheel.path)"),
      "filename": "torch-0.0.1-py3-none-any.whl", "sha256": .string(wheel.sha256), "source": "test",
    ]
    let input = JSON.object(record).serialized + "\n"
    let refused = try VenvFixtures.venvMake(["--into", python], input: input)
    #expect(refused.record("error")?["code"] == "torch-refused")
    let allowed = try VenvFixtures.venvMake(["--into", python, "--allow-torch"], input: input)
    #expect(allowed.exit == .exited(0), "\(allowed.stderrText)")
    #expect(allowed.record("venv")?["packages"] == [["name": "torch", "version": "0.0.1"]])
    #expect(try VenvFixtures.pythonSays(python, "import torch; print(torch.VERSION)") == "0.0.1")
  }
}
