import Foundation
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// remote-fetch against servers that act as an attacker would: it talks only to the address a
/// job names, says what went wrong, never leaves a half file under a final name and never lets
/// a server's text write raw control characters to stderr.
@Suite struct DoNoHarmTests {
  let scratch = TemporaryDirectory()

  func job(_ server: FixtureServer, id: String = "h", promptID: String = "p1") -> String {
    #"{"type":"job","id":"\#(id)","remote":"http://127.0.0.1:\#(server.port)","prompt_id":"\#(promptID)","client_id":"c"}"#
      + "\n"
  }

  func fetch(_ arguments: [String], input: String) throws -> CapturedRun {
    try Products.run("remote-fetch", arguments, input: input, timeout: 60)
  }

  /// Every file under `dir`, relative to it, hidden ones included.
  func tree(_ dir: String) -> [String] {
    var found: [String] = []
    for name in listDirectoryNames(dir) ?? [] {
      let inner = tree(dir + "/" + name)
      found += inner.isEmpty ? [name] : inner.map { name + "/" + $0 }
    }
    return found
  }

  @Test func aRedirectToAnotherServerIsAnErrorAndNothingIsFetchedThere() throws {
    let elsewhere = try hostileServer("no-upgrade")
    let redirector = try hostileServer("redirect", redirectTo: elsewhere.baseURL)
    let out = try scratch.directory("redirect")
    let run = try fetch(["-o", out, "--retries", "0"], input: job(redirector))
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.records.filter { $0.type == "file" }.isEmpty, "nothing downloaded from \(elsewhere.baseURL)")
    let error = try #require(run.records.first { $0.type == "error" })
    #expect(error["code"] == "redirected")
    #expect(error["detail"]?["location"]?.stringValue?.hasPrefix(elsewhere.baseURL) == true)
    #expect(error["message"]?.stringValue?.contains(elsewhere.baseURL) == true)
    #expect(tree(out).isEmpty, "\(tree(out))")
  }

  @Test func retriesZeroStillPollsAfterAFailedUpgrade() throws {
    let server = try hostileServer("no-upgrade")
    let out = try scratch.directory("retries0")
    let run = try fetch(["-o", out, "--retries", "0"], input: job(server))
    #expect(run.exit == .exited(0), "\(run.stdoutText)\(run.stderrText)")
    #expect(run.records.first { $0.type == "done" }?["files"] == 1)
    #expect(run.stderrText.contains("polling"))
  }

  @Test func aHistoryOverTheCapIsNamedNotUnreachable() throws {
    let server = try hostileServer("huge-history")
    let run = try fetch(["-o", try scratch.directory("huge")], input: job(server))
    #expect(run.exit == .exited(1), "not 75: the server answered; \(run.stderrText)")
    let error = try #require(run.records.first { $0.type == "error" })
    #expect(error["code"] == "answer-too-large")
    #expect(error["detail"]?["limit_bytes"] == .int(256 << 20))
    let message = error["message"]?.stringValue ?? ""
    #expect(message.contains("\(server.baseURL)/history/p1") && message.contains("\(256 << 20) bytes"))
  }

  @Test func aKilledRunLeavesNoFinalNameAndTheNextRunCleansUp() throws {
    let slow = try hostileServer("slow-view")
    let out = try scratch.directory("killed")
    let input = try scratch.write("killed.ndjson", job(slow))
    let null = try FileDescriptor.open("/dev/null", O_RDWR)
    let stdin = try FileDescriptor.open(input, O_RDONLY)
    let child = try ChildProcess.spawn(
      Products.path("remote-fetch"), arguments: ["-o", out], redirect: [0: stdin, 1: null, 2: null])
    null.close()
    stdin.close()
    let deadline = monotonicSeconds() + 20
    while monotonicSeconds() < deadline && !tree(out).contains(where: { $0.hasSuffix(".part") }) { usleep(20_000) }
    usleep(100_000)
    child.signal(SIGKILL)
    _ = try child.wait()
    let left = tree(out)
    #expect(left.count == 1 && left.allSatisfy { $0.hasPrefix("h/.") && $0.hasSuffix(".part") }, "\(left)")

    let honest = try hostileServer("no-upgrade")
    let run = try fetch(["-o", out, "--poll"], input: job(honest))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.first { $0.type == "file" }?["path"] == .string("\(out)/h/out_00001_.png"))
    #expect(tree(out) == ["h/out_00001_.png"], "the dead run's .part is gone, no -1 beside the file")
  }

  @Test func serverTextCannotWriteControlCharactersToStderr() throws {
    let server = try hostileServer("control-names")
    let run = try fetch(["-o", try scratch.directory("ctl"), "--poll"], input: job(server))
    #expect(run.exit == .exited(1))
    #expect(run.records.contains { $0["code"] == "unsafe-name" })
    #expect(run.records.contains { $0["code"] == "execution-error" })
    let bad = run.stderr.filter { $0 < 0x20 && $0 != 0x0A || $0 == 0x7F }
    #expect(bad.isEmpty, "raw control bytes \(bad) in: \(run.stderrText)")
    let lines = run.stderrText.split(separator: "\n")
    #expect(!lines.isEmpty && lines.allSatisfy { $0.hasPrefix("remote-fetch: ") }, "\(lines)")
    #expect(run.stderrText.contains("\\x1b"), "the escape is shown, escaped")
  }
}
