import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// 10,000 calls with a tensor in and out: open fds, segments and the worker's memory stay flat.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct EnduranceTests {
  @Test func tenThousandCallsLeaveNothingBehind() throws {
    let calls = 10_000
    var lines: [String] = []
    var inputs: [JSONObject] = []
    lines.reserveCapacity(calls + 2)
    for k in 1...calls {
      let tensor = try shmTensor("x", .float32, [4], bytes: floatBytes([Float(k), 1, 2, 3]))
      inputs.append(tensor)
      lines.append(callLine(k, function: "double", args: ["x": .object(tensor)]))
      if k == 1_000 || k == calls { lines.append(callLine(-k, function: "stats")) }
    }
    let input = try TemporaryDirectory.shared.write(
      "calls-\(UInt32.random(in: 0...UInt32.max))", lines.joined(separator: "\n") + "\n")
    let out = try TemporaryDirectory.shared.directory("endurance-\(UInt32.random(in: 0...UInt32.max))")
    let run = try Products.shell(
      "node-run -q --venv '\(NodeVenv.path)' --path '\(NodeVenv.pack)' < '\(input)' "
        + "| tensor-pack --unpack -o '\(out)' --format npy --force")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let records = run.records
    #expect(records.filter { $0.type == "file" }.count == calls)
    let early = try #require(records.first { $0["id"] == .int(-1_000) }?["outputs"]?[0])
    let late = try #require(records.first { $0["id"] == .int(-calls) }?["outputs"]?[0])
    #expect(early["pid"] == late["pid"], "one worker served every call")
    #expect(early["fds"] == late["fds"], "the worker's open fds do not grow")
    #expect(early["parent_fds"] == late["parent_fds"], "node-run's open fds do not grow")
    let growth = (late["rss"]?.intValue ?? 0) - (early["rss"]?.intValue ?? 0)
    #expect(growth < 4 << 20, "the worker's memory grew by \(growth) bytes over 9,000 calls")
    #expect(inputs.allSatisfy { !segmentExists($0) }, "every input segment was consumed")
    let pid = late["pid"]?.intValue ?? 0
    let left = (listDirectoryNames("/dev/shm") ?? []).filter { $0.hasPrefix("cpipes-\(pid)-") }
    #expect(left.isEmpty, "output segments left: \(left.count)")
  }
}
