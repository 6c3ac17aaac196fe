import ComfyRemote
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// remote-queue against servers that act as an attacker would: it talks only to the addresses
/// given and writes a `job` record only for a prompt a server really accepted.
@Suite struct DoNoHarmTests {
  @Test func aRedirectToAnotherServerQueuesNothingAnywhere() throws {
    let elsewhere = try FakeComfy()
    let redirector = try hostileComfy("redirect", redirectTo: elsewhere.remote)
    let input = line(["type": "workflow", "id": "r", "prompt": noiseWorkflow(prefix: "rq_test/redirect")])
    let run = try remoteQueue(["--to", "127.0.0.1:\(redirector.port)", "--retries", "0"], input: input)
    #expect(run.exit == .exited(1), "a redirect is an error, not 'retry later': \(run.stderrText)")
    #expect(!run.records.contains { $0.type == "job" }, "\(run.stdoutText)")
    let error = try #require(run.records.first)
    #expect(error["code"] == "redirected" && error["id"] == "r")
    #expect(error["message"]?.stringValue?.contains(elsewhere.remote) == true, "names the Location")
    usleep(200_000)
    #expect(try elsewhere.client.queue().promptIDs.isEmpty)
    let history = try elsewhere.client.send(.get, "\(elsewhere.remote)/history")
    #expect(try JSON.parse(history.body) == .object([:]), "the prompt never reached \(elsewhere.remote)")
  }

  @Test(arguments: ["bad-prompt-id", "bad-number"])
  func anUncheckableAcceptanceIsNoJob(mode: String) throws {
    let server = try hostileComfy(mode)
    let input = line(["type": "workflow", "id": "x", "prompt": noiseWorkflow(prefix: "rq_test/bad")])
    let run = try remoteQueue(["--to", "127.0.0.1:\(server.port)", "--retries", "0"], input: input)
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.records.map { $0.type } == ["error"], "\(run.stdoutText)")
    #expect(run.records.first?["code"] == "bad-answer")
    #expect(!run.stderr.contains(0x1B), "\(run.stderrText)")
  }
}
