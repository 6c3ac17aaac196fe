import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Exceptions keep their shape; crashes, signals and hangs cost one call and a new worker.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct SupervisionTests {
  @Test func exceptionKeepsTypeAndTracebackAndTheWorkerStaysUp() throws {
    let run = try nodeRun(
      [],
      lines: [callLine(1, function: "stats"), callLine(2, function: "fail", args: ["message": "bad input"])]
        + [callLine(3, function: "stats")])
    #expect(run.exit == .exited(1))
    let error = try #require(run.record(2, "error"))
    #expect(error["code"] == "exception" && error["tool"] == "node-run")
    #expect(error["message"]?.stringValue?.contains("ValueError: bad input") == true)
    #expect(error["detail"]?["type"] == "ValueError")
    let traceback = error["detail"]?["traceback"]?.stringValue ?? ""
    #expect(traceback.contains("functions.py") && traceback.contains("in inner"))
    #expect(!traceback.contains("node_run_worker.py"), "the worker's own frames are left out")
    #expect(run.record(1)?["outputs"]?[0]?["pid"] == run.record(3)?["outputs"]?[0]?["pid"], "same worker")
  }

  @Test(arguments: [("exit_now", "exit_status", 3), ("segfault", "signal", 11)])
  func crashGivesAnErrorAndTheNextCallANewWorker(function: String, key: String, value: Int) throws {
    let run = try nodeRun(
      [], lines: [callLine(1, function: "stats"), callLine(2, function: function), callLine(3, function: "stats")])
    #expect(run.exit == .exited(1))
    let error = try #require(run.record(2, "error"), "\(run.stdoutText)")
    #expect(error["code"] == "worker-crashed")
    #expect(error["detail"]?[key] == .int(value))
    if function == "segfault" {
      #expect(error["detail"]?["stderr_tail"]?.stringValue?.contains("Segmentation fault") == true)
    }
    let before = run.record(1)?["outputs"]?[0]?["pid"]
    let after = run.record(3)?["outputs"]?[0]?["pid"]
    #expect(before != nil && after != nil && before != after, "a fresh worker")
  }

  /// `--call-timeout`, and its older name `--timeout`.
  @Test(arguments: ["--call-timeout", "--timeout"])
  func hangTimesOutAndTheNextCallRuns(option: String) throws {
    let started = monotonicSeconds()
    let run = try nodeRun(
      [option, "1"],
      lines: [callLine(1, function: "sleep", args: ["seconds": 60]), callLine(2, function: "stats")])
    #expect(monotonicSeconds() - started < 20)
    let error = try #require(run.record(1, "error"), "\(run.stdoutText)")
    #expect(error["code"] == "timeout")
    #expect(error["detail"]?["timeout"]?.doubleValue == 1)
    #expect(run.record(2) != nil)
  }

  @Test func aTimeoutKillsWhatTheNodeStartedToo() throws {
    let dir = try TemporaryDirectory.shared.directory("group-\(UInt32.random(in: 0...UInt32.max))")
    let pidFile = "\(dir)/sleep.pid"
    let run = try nodeRun(
      ["--timeout", "1"],
      lines: [callLine(1, function: "spawn_and_hang", args: ["pid_file": .string(pidFile)])]
        + [callLine(2, function: "empty")])
    #expect(run.record(1, "error")?["code"] == "timeout", "\(run.stdoutText)")
    #expect(run.record(2) != nil, "the next call runs on a new worker")
    let text = try #require(readTextFileIfPresent(pidFile), "the node started its child")
    let pid = try #require(Int32(text.split(separator: "\n").first ?? ""))
    let deadline = monotonicSeconds() + 5
    while Self.isRunning(pid) && monotonicSeconds() < deadline { usleep(20_000) }
    #expect(!Self.isRunning(pid), "the worker's child (sleep 1000) went with its process group")
  }

  /// Alive and not a zombie.
  static func isRunning(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0, let stat = readTextFileIfPresent("/proc/\(pid)/stat") else { return false }
    guard let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
  }

  @Test func unserializableOutputIsAClearError() throws {
    let run = try nodeRun([], lines: [callLine(1, function: "unserializable"), callLine(2, function: "empty")])
    let error = try #require(run.record(1, "error"))
    #expect(error["code"] == "unserializable")
    let message = error["message"]?.stringValue ?? ""
    #expect(message.contains("type object") && message.contains("--allow-pickle"), "\(message)")
    #expect(run.record(2)?["outputs"] == [.null])
    let pickled = try nodeRun(["--allow-pickle"], lines: [callLine(1, function: "unserializable")])
    #expect(pickled.record(1)?["outputs"]?[0]?["type"] == "pickle")
  }

  @Test func malformedCallsGetErrorsAndTheRestRuns() throws {
    let lines = [
      "not json", callLine(1, function: "empty"), #"{"type":"call","id":2,"args":"x","function":"a:b"}"#,
      #"{"type":"call","id":3,"function":5}"#, #"{"type":"call","id":4,"function":"nocolon"}"#,
      #"{"type":"call","id":5,"function":"test_pack.functions:empty","method":"m"}"#, #"{"type":"call","id":6}"#,
      #"{"type":"call","id":7,"function":"test_pack.functions:nothing"}"#,
      #"{"type":"call","id":8,"function":"no_such_module:f"}"#, #"{"type":"other","id":9}"#,
      callLine(10, function: "empty"),
    ]
    let run = try Products.run(
      "node-run", ["--venv", NodeVenv.path, "--path", NodeVenv.pack], input: lines.joined(separator: "\n") + "\n")
    #expect(run.exit == .exited(65), "a bad line makes the status 65")
    #expect(run.records.first?["code"] == "bad-record" && run.records.first?["detail"]?["line"] == 1)
    for id in [2, 3, 4, 5, 6] { #expect(run.record(id, "error")?["code"] == "bad-call", "id \(id)") }
    #expect(run.record(7, "error")?["code"] == "bad-target")
    #expect(run.record(8, "error")?["code"] == "import-failed")
    #expect(run.record(9, "other") != nil, "records of other types pass through")
    #expect(run.record(1) != nil && run.record(10) != nil)
  }
}
