import ComfyRemote
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Rejections, dead servers and hostile answers: every input gets its record.
@Suite(.serialized) struct FailureTests {
  static let server = try! FakeComfy()

  /// A port nothing listens on.
  static let deadPort: Int = {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    close(fd)
    return Int(UInt16(bigEndian: address.sin_port))
  }()

  @Test func aRejectedWorkflowKeepsTheServersErrors() throws {
    let bad: JSON = [
      "1": ["class_type": "EmptyImage", "inputs": ["width": 0, "height": 8, "batch_size": 1, "color": 0]],
      "2": ["class_type": "SaveImage", "inputs": ["images": ["1", 0], "filename_prefix": "rq_test/bad"]],
    ]
    let input = line(["type": "workflow", "id": "bad", "prompt": bad]) + line(noiseWorkflow(prefix: "rq_test/ok"))
    let run = try remoteQueue(["--to", Self.server.address], input: input)
    #expect(run.exit == .exited(1))
    let error = try #require(run.records.first)
    #expect(error["type"] == "error" && error["code"] == "rejected" && error["id"] == "bad")
    #expect(error["detail"]?["error"]?["type"] == "prompt_outputs_failed_validation")
    #expect(error["detail"]?["node_errors"]?["1"]?["errors"]?.arrayValue?.first?["type"] == "value_smaller_than_min")
    #expect(error["detail"]?["remote"]?.stringValue == Self.server.remote)
    #expect(run.records.last?.type == "job", "the next input is still queued")
  }

  @Test func aDeadServerIsSkipped() throws {
    let to = "127.0.0.1:\(Self.deadPort),\(Self.server.address)"
    let input =
      line(noiseWorkflow(seed: 1, prefix: "rq_test/dead")) + line(noiseWorkflow(seed: 2, prefix: "rq_test/dead"))
    let run = try remoteQueue(["--to", to, "--retries", "0", "--no-carry"], input: input)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.count == 2)
    #expect(run.records.allSatisfy { $0["remote"]?.stringValue == Self.server.remote })
    #expect(run.stderrText.contains("skipping http://127.0.0.1:\(Self.deadPort)"))
  }

  @Test func allServersDownIsATemporaryFailureForEveryInput() throws {
    let to = "127.0.0.1:\(Self.deadPort),[::1]:\(Self.deadPort)"
    let input =
      line(["id": 1, "prompt": noiseWorkflow()]) + line(["id": 2, "prompt": noiseWorkflow()])
      + line(noiseWorkflow())
    let run = try remoteQueue(
      ["--to", to, "--retries", "1", "--header", "Authorization: Bearer SECRET-TOKEN"], input: input)
    #expect(run.exit == .exited(75))
    #expect(run.records.map { $0["code"] ?? .null } == ["unreachable", "unreachable", "unreachable"])
    #expect(run.records.map { $0["id"] ?? .null } == [1, 2, .null])
    #expect(run.records[0]["detail"]?["servers"]?.arrayValue?.count == 2)
    #expect(!run.stdoutText.contains("SECRET") && !run.stderrText.contains("SECRET"), "headers are never printed")
  }

  @Test func a500AndANonJSONAnswerAreClearErrors() throws {
    try Self.server.fault("POST /prompt", "500")
    let first = try remoteQueue(["--to", Self.server.address], input: line(noiseWorkflow(seed: 5)))
    #expect(first.exit == .exited(1))
    #expect(first.records.first?["code"] == "server-error")
    #expect(first.records.first?["detail"]?["body_text"]?.stringValue?.contains("Server got itself in trouble") == true)

    try Self.server.fault("POST /prompt", "garbage")
    let second = try remoteQueue(["--to", Self.server.address], input: line(noiseWorkflow(seed: 6)))
    #expect(second.exit == .exited(1))
    #expect(second.records.first?["code"] == "bad-answer")
    #expect(second.records.first?["message"]?.stringValue?.contains("not a JSON object (text/html)") == true)

    try Self.server.fault("GET /prompt", "garbage")
    let probe = try remoteQueue(["--to", Self.server.address, "--retries", "0"], input: line(noiseWorkflow(seed: 7)))
    #expect(probe.exit == .exited(75))
    #expect(probe.stderrText.contains("not a JSON object"))
  }

  @Test func aLostAnswerIsFoundInTheQueueAndNotSentAgain() throws {
    try Self.server.fault("POST /prompt", "drop-after")
    let run = try remoteQueue(["--to", Self.server.address, "--no-carry"], input: line(noiseWorkflow(seed: 8)))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let job = try #require(run.records.first)
    #expect(job.type == "job")
    let number = try #require(job["number"]?.intValue)
    // The server numbers every POST: the next one is number + 1 only if nothing was sent again.
    let next = try Self.server.client.postPrompt(["prompt": noiseWorkflow(seed: 9)])
    #expect(next.number.intValue == number + 1)

    try Self.server.fault("POST /prompt", "drop")
    let dropped = try remoteQueue(["--to", Self.server.address, "--no-carry"], input: line(noiseWorkflow(seed: 10)))
    #expect(dropped.exit == .exited(0), "\(dropped.stderrText)")
    let id = try #require(dropped.records.first?["prompt_id"]?.stringValue)
    #expect(try Self.server.waitHistory(id) != nil, "sent again after the server said it did not have it")
  }
}
