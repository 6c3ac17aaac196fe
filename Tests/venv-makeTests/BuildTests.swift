import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Builds through the binary with real uv and real PyPI.
@Suite(.serialized) struct BuildTests {
  let scratch = TemporaryDirectory()
  var python: String { VenvFixtures.python }

  @Test func anEnvHoldsItsOwnNumpyAndTheSamePlanChangesNothing() throws {
    let target = "\(scratch.path)/numpy-env"
    let input = """
      {"type":"env","python":{"version":"\(python).0"}}
      {"type":"requirement","spec":"numpy==1.26.4"}
      {"type":"note","text":"passed through"}

      """
    let first = try VenvFixtures.venvMake(["--dir", target], input: input)
    #expect(first.exit == .exited(0), "\(first.stderrText)")
    #expect(first.records.map(\.type) == ["env", "note", "venv"])
    let venv = try #require(first.record("venv"))
    #expect(venv["changed"] == true)
    #expect(venv["path"]?.stringValue == target)
    #expect(venv["python"]?.stringValue == "\(target)/bin/python")
    #expect(venv["python_version"]?.stringValue?.hasPrefix(python + ".") == true)
    #expect(venv["packages"]?.arrayValue?.contains(["name": "numpy", "version": "1.26.4"]) == true)
    #expect(try VenvFixtures.pythonSays("\(target)/bin/python", "import numpy; print(numpy.__version__)") == "1.26.4")
    let caller = try VenvFixtures.pythonSays("python3", "import numpy; print(numpy.__version__)")
    if !caller.hasPrefix("FAILED") { #expect(caller != "1.26.4", "the caller's numpy is its own") }

    let watched = ["\(target)/.venv-make.json", "\(target)/bin/python", "\(target)/pyvenv.cfg", target]
    let before = watched.map(VenvFixtures.modificationTime)
    let again = try VenvFixtures.venvMake(["--dir", target], input: input)
    #expect(again.exit == .exited(0), "\(again.stderrText)")
    #expect(again.record("venv")?["changed"] == false)
    #expect(again.record("venv")?["fingerprint"] == venv["fingerprint"])
    #expect(again.record("venv")?["packages"] == venv["packages"])
    #expect(watched.map(VenvFixtures.modificationTime) == before, "nothing rewritten")

    let changed = try VenvFixtures.venvMake(
      ["--dir", target], input: input + #"{"type":"requirement","spec":"six==1.16.0"}"# + "\n")
    #expect(changed.exit == .exited(0), "\(changed.stderrText)")
    #expect(changed.record("venv")?["changed"] == true)
    #expect(changed.record("venv")?["fingerprint"] != venv["fingerprint"])
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import six, numpy; print(six.__version__)") == "1.16.0")
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
  }

  @Test func aLocalWheelIsCheckedAgainstItsSha256() throws {
    let wheels = try scratch.directory("wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let two = try VenvFixtures.probeWheel(version: "2.0", in: wheels)
    let target = "\(scratch.path)/probe-env"
    let good = try VenvFixtures.venvMake(
      ["--dir", target, "--python", python], input: VenvFixtures.wheelRecord(one, version: "1.0"))
    #expect(good.exit == .exited(0), "\(good.stderrText)")
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p; print(p.VERSION)") == "1.0")

    let wrong = String(repeating: "0", count: 64)
    let bad = try VenvFixtures.venvMake(
      ["--dir", target, "--python", python], input: VenvFixtures.wheelRecord(two, sha256: wrong, version: "2.0"))
    #expect(bad.exit == .exited(1))
    let error = try #require(bad.record("error"))
    #expect(error["code"] == "hash-mismatch")
    #expect(error["detail"]?["actual"]?.stringValue == two.sha256)
    #expect(bad.record("venv") == nil)
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p; print(p.VERSION)") == "1.0")
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
  }

  /// A remote wheel's sha256 is checked by the installer as it downloads it (local ones are
  /// checked before the build): the right one installs, a wrong one fails the build with the
  /// installer's words and leaves the previous env.
  @Test func aRemoteWheelIsCheckedAsItIsDownloaded() throws {
    let wheels = try scratch.directory("remote-wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels, name: "venvmake_remote")
    let two = try VenvFixtures.probeWheel(version: "2.0", in: wheels, name: "venvmake_remote")
    let server = try FixtureServer(
      script: "Tests/Fixtures/wheel_index/wheel_index.py", arguments: ["--serve-dir", wheels])
    func record(_ wheel: (path: String, sha256: String), version: String, sha256: String? = nil) -> String {
      let filename = String(wheel.path.split(separator: "/").last!)
      let object: JSONObject = [
        "type": "wheel", "name": "venvmake_remote", "version": .string(version),
        "url": .string("\(server.baseURL)/local/\(filename)"), "filename": .string(filename),
        "sha256": .string(sha256 ?? wheel.sha256), "source": "test",
      ]
      return JSON.object(object).serialized + "\n"
    }
    let target = "\(scratch.path)/remote-env"
    let probe = "import venvmake_remote as p; print(p.VERSION)"
    let good = try VenvFixtures.venvMake(["--dir", target, "--python", python], input: record(one, version: "1.0"))
    #expect(good.exit == .exited(0), "\(good.stderrText)")
    #expect(try VenvFixtures.pythonSays("\(target)/bin/python", probe) == "1.0")

    let wrong = String(repeating: "0", count: 64)
    let bad = try VenvFixtures.venvMake(
      ["--dir", target, "--python", python], input: record(two, version: "2.0", sha256: wrong))
    #expect(bad.exit == .exited(1))
    let error = try #require(bad.record("error"), "\(bad.stdoutText)")
    #expect(error["code"] == "install-failed")
    let message = error["message"]?.stringValue?.lowercased() ?? ""
    #expect(message.contains("hash") && message.contains(wrong), "the installer's own words: \(message)")
    #expect(bad.record("venv") == nil)
    #expect(try VenvFixtures.pythonSays("\(target)/bin/python", probe) == "1.0")
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
  }

  @Test func anUninstallableRequirementLeavesThePreviousEnv() throws {
    let target = "\(scratch.path)/kept-env"
    let first = try VenvFixtures.venvMake(["--dir", target, "--python", python], input: "")
    #expect(first.exit == .exited(0), "\(first.stderrText)")
    let fingerprint = first.record("venv")?["fingerprint"]
    let run = try VenvFixtures.venvMake(
      ["--dir", target, "--python", python],
      input: #"{"type":"requirement","spec":"venv-make-test-no-such-project==9.9.9"}"# + "\n")
    #expect(run.exit == .exited(1))
    let error = try #require(run.record("error"))
    #expect(error["code"] == "install-failed")
    let message = error["message"]?.stringValue ?? ""
    #expect(message.contains("venv-make-test-no-such-project"), "the installer's own words: \(message)")
    #expect(error["detail"]?["command"]?.arrayValue?.contains("venv-make-test-no-such-project==9.9.9") == true)
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
    #expect(try VenvFixtures.pythonSays("\(target)/bin/python", "print('ok')") == "ok")
    let state = try #require(readTextFileIfPresent("\(target)/.venv-make.json"))
    #expect(state.contains(fingerprint?.stringValue ?? "?"))
  }

  @Test func aDryRunPrintsThePlanAndChangesNothing() throws {
    let wheels = try scratch.directory("dry-wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let target = "\(scratch.path)/dry-env"
    let input = VenvFixtures.wheelRecord(one, version: "1.0") + #"{"type":"requirement","spec":"six"}"# + "\n"
    let dry = try VenvFixtures.venvMake(["--dir", target, "--python", python, "--dry-run"], input: input)
    #expect(dry.exit == .exited(0), "\(dry.stderrText)")
    let plan = try #require(dry.record("plan"))
    #expect(plan["changed"] == true)
    let commands = plan["commands"]?.arrayValue?.compactMap { $0.arrayValue?.compactMap(\.stringValue) } ?? []
    #expect(commands.count == 3)
    #expect(commands.first?.contains("--relocatable") == true)
    #expect(commands.dropFirst().first?.contains("--no-deps") == true)
    #expect(commands.last?.last == "six")
    let list = plan["files"]?.arrayValue?.first?["text"]?.stringValue ?? ""
    #expect(list.contains("--hash=sha256:\(one.sha256)"))
    #expect(access(target, F_OK) != 0)
    #expect((listDirectoryNames(scratch.path) ?? []).filter { $0.hasPrefix(".dry-env") }.isEmpty, "no lock file")

    let real = try VenvFixtures.venvMake(["--dir", target, "--python", python], input: input)
    #expect(real.record("venv")?["fingerprint"] == plan["fingerprint"])
    let after = try VenvFixtures.venvMake(["--dir", target, "--python", python, "-n"], input: input)
    #expect(after.record("plan")?["changed"] == false)
    #expect(after.record("plan")?["commands"] == [])
  }

  @Test func badRecordsBuildNothing() throws {
    let target = "\(scratch.path)/never"
    let run = try VenvFixtures.venvMake(
      ["--dir", target], input: #"{"type":"wheel","name":"x"}"# + "\nnot json\n")
    #expect(run.exit == .exited(65))
    #expect(run.records.map { $0["code"]?.stringValue } == ["bad-record", "bad-record"])
    #expect(access(target, F_OK) != 0)
  }

  @Test func usageErrors() throws {
    #expect(try VenvFixtures.venvMake([]).exit == .exited(64))
    #expect(try VenvFixtures.venvMake(["--dir", "a", "--name", "b"]).exit == .exited(64))
    #expect(try VenvFixtures.venvMake(["--dir", "a", "--installer", "conda"]).exit == .exited(64))
    #expect(try VenvFixtures.venvMake(["--dir", "a", "--python", "three"]).exit == .exited(64))
    #expect(try VenvFixtures.venvMake(["--name", "../x"]).exit == .exited(64))
  }

  @Test func nameIsUnderTheRoot() throws {
    let root = try scratch.directory("root")
    let run = try VenvFixtures.venvMake(
      ["--name", "named", "--python", python, "--dry-run"], input: "", environment: ["VENV_MAKE_ROOT": root])
    #expect(run.record("plan")?["path"]?.stringValue == "\(root)/named")
  }
}
