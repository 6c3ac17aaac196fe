import PipeKit
import TestSupport
import Testing

/// `--workers N`: calls overlap, results carry their ids and come back as they finish.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct PoolTests {
  @Test func twoSleepingCallsOverlap() throws {
    let run = try nodeRun(
      ["--workers", "2", "--call", "test_pack.functions:sleep"],
      lines: [callLine(1, args: ["seconds": 1.0]), callLine(2, args: ["seconds": 1.0])])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let first = (run.record(1)?["outputs"]?[0]?.arrayValue ?? []).compactMap { $0.doubleValue }
    let second = (run.record(2)?["outputs"]?[0]?.arrayValue ?? []).compactMap { $0.doubleValue }
    try #require(first.count == 2 && second.count == 2, "\(run.stdoutText)")
    let overlap = min(first[1], second[1]) - max(first[0], second[0])
    #expect(overlap > 0.5, "the two 1 s calls overlapped by \(overlap) s")
  }

  @Test func resultsComeBackAsTheyFinish() throws {
    let run = try nodeRun(
      ["--workers", "2", "--call", "test_pack.functions:sleep"],
      lines: [callLine(1, args: ["seconds": 1.0]), callLine(2, args: ["seconds": 0.05]), #"{"type":"note"}"#])
    let ids = run.records.compactMap { $0["id"]?.intValue }
    #expect(ids == [2, 1], "\(run.stdoutText)")
    #expect(run.records.first?.type == "note", "forwarded records are not held back by calls")
  }

  @Test func aCrashInOneWorkerLeavesTheOtherCallsAlone() throws {
    let lines = [callLine(1, function: "exit_now")] + (2...9).map { callLine($0, function: "empty") }
    let run = try nodeRun(["--workers", "3"], lines: lines)
    #expect(run.record(1, "error")?["code"] == "worker-crashed")
    for id in 2...9 { #expect(run.record(id) != nil, "id \(id)") }
  }
}
