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
