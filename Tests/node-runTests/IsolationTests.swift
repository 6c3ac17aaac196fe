import PipeKit
import TestSupport
import Testing

/// The worker sees its venv, the --path dirs and the standard library: never the caller's
/// site-packages, PYTHONPATH or numpy.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct IsolationTests {
  /// The site-packages of the test's own python, which holds numpy 2.
  static func hostSitePackages() throws -> String {
    let run = try runCapturing(
      NodeVenv.hostPython,
      ["-c", "import numpy, os; print(numpy.__version__); print(os.path.dirname(os.path.dirname(numpy.__file__)))"])
    let lines = run.stdoutText.split(separator: "\n").map(String.init)
    try #require(run.exit.succeeded && lines.count == 2, "the host python needs numpy: \(run.stderrText)")
    #expect(lines[0].hasPrefix("2."), "the host's numpy is 2.x")
    return lines[1]
  }

  @Test func workerGetsTheVenvsNumpyNotTheHosts() throws {
    let host = try Self.hostSitePackages()
    let run = try nodeRun(
      ["--call", "test_pack.functions:versions"], lines: [callLine(1)],
      environment: ["PYTHONPATH": host, "PYTHONHOME": nil, "PYTHONNOUSERSITE": nil])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let answer = try #require(run.record(1)?["outputs"]?.arrayValue?.first)
    #expect(answer["numpy"] == "1.26.4")
    #expect(answer["pythonpath"] == .null, "PYTHONPATH is not passed to the worker")
    let path = answer["path"]?.arrayValue?.compactMap(\.stringValue) ?? []
    #expect(!path.contains(host))
    #expect(path.first == NodeVenv.pack, "--path dirs come first")
    #expect(path.contains { $0.hasPrefix(NodeVenv.path) && $0.hasSuffix("site-packages") })
    #expect(run.stderrText.contains("numpy 1.26.4"), "the ready note names the worker's numpy")
  }

  @Test func pythonFlagAndVenvRecordWorkToo() throws {
    let viaFlag = try Products.run(
      "node-run",
      ["--python", "\(NodeVenv.path)/bin/python", "--path", NodeVenv.pack, "--call", "test_pack.functions:versions"],
      input: callLine(1) + "\n")
    #expect(viaFlag.record(1)?["outputs"]?[0]?["numpy"] == "1.26.4", "\(viaFlag.stderrText)")
    let venv: JSON = ["type": "venv", "name": "test", "path": .string(NodeVenv.path)]
    let viaRecord = try Products.run(
      "node-run", ["--path", NodeVenv.pack, "--call", "test_pack.functions:versions"],
      input: venv.serialized + "\n" + callLine(2) + "\n")
    #expect(viaRecord.exit == .exited(0), "\(viaRecord.stderrText)")
    #expect(viaRecord.records.first?.type == "venv", "the venv record is forwarded")
    #expect(viaRecord.record(2)?["outputs"]?[0]?["numpy"] == "1.26.4")
  }

  @Test func aSecondVenvRecordSwitchesTheInterpreter() throws {
    let host = try runCapturing(NodeVenv.hostPython, ["-c", "import sys; print(sys.executable)"])
    let hostPython = host.stdoutText.split(separator: "\n").first.map(String.init) ?? ""
    #expect(host.exit.succeeded && hostPython.hasPrefix("/"))
    let first: JSON = ["type": "venv", "name": "node", "path": .string(NodeVenv.path)]
    let second: JSON = ["type": "venv", "name": "host", "python": .string(hostPython)]
    let run = try Products.run(
      "node-run", ["--path", NodeVenv.pack, "--call", "test_pack.functions:versions"],
      input: [first.serialized, callLine(1), second.serialized, callLine(2), first.serialized, callLine(3)]
        .joined(separator: "\n") + "\n")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.filter { $0.type == "venv" }.count == 3, "venv records are forwarded")
    #expect(run.record(1)?["outputs"]?[0]?["numpy"] == "1.26.4")
    let switched = run.record(2)?["outputs"]?[0]?["numpy"]?.stringValue ?? ""
    #expect(switched.hasPrefix("2."), "the second record's interpreter runs call 2: \(switched)")
    #expect(run.record(3)?["outputs"]?[0]?["numpy"] == "1.26.4", "and back")
  }

  @Test func folderPathsStandInGetsTheDirectoriesGiven() throws {
    let run = try nodeRun(
      ["--call", "test_pack.functions:folders", "--output-dir", "/tmp/out-x", "--models-dir", "/tmp/models-y"]
        + ["--input-dir", "/tmp/in-z", "--temp-dir", "/tmp/temp-w"],
      lines: [callLine(1)])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let answer = try #require(run.record(1)?["outputs"]?[0])
    #expect(answer["output"] == "/tmp/out-x")
    #expect(answer["models"] == "/tmp/models-y")
    #expect(answer["checkpoints"] == ["/tmp/models-y/checkpoints"])
    #expect(answer["input"] == "/tmp/in-z" && answer["temp"] == "/tmp/temp-w")
    #expect(answer["module"]?.stringValue?.contains("stand-in") == true)
  }

  /// `--folders` (what the host module passes from ComfyUI) sets them too; a directory option
  /// given beside it wins; a value that is not a JSON object is a usage error.
  @Test func foldersGivenAsJSON() throws {
    let folders = #"{"output":"/srv/comfy/output","models":"/srv/comfy/models","input":"/srv/comfy/input"}"#
    let run = try nodeRun(
      ["--call", "test_pack.functions:folders", "--folders", folders, "--input-dir", "/tmp/in-given"],
      lines: [callLine(1)])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let answer = try #require(run.record(1)?["outputs"]?[0])
    #expect(answer["output"] == "/srv/comfy/output")
    #expect(answer["checkpoints"] == ["/srv/comfy/models/checkpoints"])
    #expect(answer["input"] == "/tmp/in-given")
    let bad = try Products.run("node-run", ["--call", "a:b", "--folders", "[1]"])
    #expect(bad.exit == .exited(64))
    #expect(bad.stderrText.contains("--folders takes a JSON object"))
  }

  @Test func noInterpreterIsExit69() throws {
    let missing = try Products.run("node-run", ["--venv", "/nonexistent", "--call", "a:b"], input: callLine(1) + "\n")
    #expect(missing.exit == .exited(69))
    #expect(missing.records.first?["code"] == "no-python")
    let none = try Products.run("node-run", ["--call", "a:b"], input: callLine(1) + "\n")
    #expect(none.exit == .exited(69))
    #expect(none.record(1, "error")?["code"] == "no-python")
  }

  @Test func noiseOnFd1AndFromCNeverReachesTheRecords() throws {
    let lines = (1...20).map { callLine($0, args: ["text": .string("call \($0)")]) }
    let run = try nodeRun(["--node", "test_pack.nodes:Noisy"], lines: lines)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.count == 20)
    #expect(run.stdoutText.split(separator: "\n").count == 20, "stdout holds only the records")
    for k in 1...20 {
      #expect(run.record(k)?["outputs"] == .array([.string("CALL \(k)")]))
    }
    #expect(!run.records.contains { $0["id"] == "fake" })
    #expect(run.stderrText.contains("printf noise from C 42"))
    #expect(run.stderrText.contains("print noise {call 20"))
  }
}
