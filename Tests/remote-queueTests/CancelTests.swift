import ComfyRemote
import PipeKit
import TestSupport
import Testing

/// `--cancel` stops exactly the jobs it reads.
@Suite(.serialized) struct CancelTests {
  @Test func pendingAndRunningJobsAreCancelledAndNoOneElses() throws {
    let server = try FakeComfy()
    let input =
      line(["id": "a", "prompt": sleepWorkflow(seconds: 20)]) + line(["id": "b", "prompt": sleepWorkflow(seconds: 21)])
    let queued = try remoteQueue(["--to", server.address], input: input)
    #expect(queued.exit == .exited(0), "\(queued.stderrText)")
    let jobs = queued.records
    let running = try #require(jobs.first?["prompt_id"]?.stringValue)
    let pending = try #require(jobs.last?["prompt_id"]?.stringValue)
    let other = try server.client.postPrompt(["prompt": sleepWorkflow(seconds: 22), "client_id": "someone-else"])
    #expect(try server.waitRunning(running))

    var stolen = jobs[0]
    stolen["id"] = "stolen"
    stolen["prompt_id"] = .string(other.promptID)
    // The pending job first: cancelled after the running one, it could start in between.
    let cancelInput =
      [jobs[1], jobs[0], stolen].map { line(.object($0)) }.joined() + "{\"type\":\"file\",\"path\":\"x\"}\n"
    let run = try remoteQueue(["--cancel"], input: cancelInput)
    #expect(run.exit == .exited(1))
    let records = run.records
    #expect(records.count == 4)
    #expect(
      records[1] == [
        "type": "cancel", "id": "a", "remote": .string(server.remote), "prompt_id": .string(running),
        "state": "running", "action": "interrupted",
      ])
    #expect(records[0]["state"] == "pending" && records[0]["action"] == "deleted" && records[0]["id"] == "b")
    #expect(records[2]["code"] == "not-ours" && records[2]["id"] == "stolen")
    #expect(records[3]["type"] == "file")

    let entry = try #require(try server.waitHistory(running))
    let messages = entry["status"]?["messages"]?.arrayValue ?? []
    #expect(messages.contains { $0.arrayValue?.first == "execution_interrupted" })
    let queue = try server.client.queue()
    let deleted = try server.client.history(promptID: pending)
    #expect(queue.pending(pending) == nil && deleted == nil)
    #expect(queue.pending(other.promptID) != nil || queue.running(other.promptID) != nil, "another client's job stays")

    let again = try remoteQueue(["--cancel"], input: line(.object(jobs[0])) + line(.object(jobs[1])))
    #expect(again.records.map { $0["state"] ?? .null } == ["finished", "unknown"])
    try server.client.deletePending([other.promptID])
    try server.client.interrupt(promptID: other.promptID)
  }
}
