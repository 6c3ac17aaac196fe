import Foundation
import PipeHTTP
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// remote-fetch run as a program against real fake_comfyui processes.
@Suite struct RemoteFetchEndToEndTests {
  let scratch = TemporaryDirectory()

  func fetch(_ arguments: [String], input: String, timeout: Double = 60) throws -> CapturedRun {
    try Products.run("remote-fetch", arguments, input: input, timeout: timeout)
  }

  func records(_ run: CapturedRun, _ type: String) -> [JSONObject] { run.records.filter { $0.type == type } }

  @Test func jobsOnTwoServersAllComeBackWithTheirFiles() throws {
    let a = try FakeComfy(in: scratch)
    let b = try FakeComfy(in: scratch)
    var jobs: [String] = []
    for k in 0..<3 {
      jobs.append(try a.queue(Workflows.noise(seed: 40 + k, prefix: "a\(k)"), id: "a\(k)"))
      jobs.append(try b.queue(Workflows.imageAndLatent(width: 16 + 8 * k, prefix: "b\(k)"), id: "b\(k)"))
    }
    jobs.append(try a.queue(Workflows.slow(0.4, prefix: "slow"), id: "late"))
    let out = scratch.path + "/two"
    let run = try fetch(["-o", out], input: jobs.joined(separator: "\n") + "\n")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let done = records(run, "done")
    #expect(Set(done.compactMap { $0["id"]?.stringValue }) == ["a0", "a1", "a2", "b0", "b1", "b2", "late"])
    #expect(done.allSatisfy { $0["status"] == "success" })
    let files = records(run, "file")
    #expect(files.count == 3 + 3 * 2 + 1, "a PNG per noise job, a PNG and a .latent per b job; never the text")
    for file in files {
      let path = try #require(file["path"]?.stringValue)
      let id = try #require(file["id"]?.stringValue)
      #expect(path.hasPrefix("\(out)/\(id)/"))
      let bytes = try #require(readFileIfPresent(path, limit: 1 << 24))
      #expect(file["sha256"]?.stringValue == SHA256.hex(bytes))
      #expect(file["bytes"]?.intValue == bytes.count)
      let server = id.hasPrefix("b") ? b : a
      let name = String(path.split(separator: "/").last!)
      #expect(server.outputFile("rf/\(name)") == bytes, "the same bytes as on the server: \(name)")
    }
    #expect(files.contains { $0["path"]?.stringValue?.hasSuffix(".latent") == true })
    #expect(Set(files.compactMap { $0["sha256"]?.stringValue }).count >= 6, "distinct seeds, distinct files")
  }

  @Test func forwardsOtherRecordsAndReportsBadOnes() throws {
    let a = try FakeComfy(in: scratch)
    let job = try a.queue(Workflows.noise(seed: 7, prefix: "fw"))
    let input =
      #"{"type":"env","os":"linux"}"# + "\n" + job + "\nnot json\n" + #"{"type":"job","remote":"\#(a.remote)"}"# + "\n"
    let run = try fetch(["-o", scratch.path + "/fw"], input: input)
    #expect(run.exit == .exited(65))
    #expect(run.records.first == ["type": "env", "os": "linux"])
    #expect(records(run, "error").compactMap { $0["code"]?.stringValue }.sorted() == ["bad-job", "bad-record"])
    #expect(records(run, "done").count == 1)
  }

  @Test func aRunTimeFailureCarriesTheNodeAndTraceback() throws {
    let a = try FakeComfy(in: scratch)
    let run = try fetch(["-o", scratch.path + "/fail"], input: try a.queue(Workflows.failing, id: "f") + "\n")
    #expect(run.exit == .exited(1))
    let error = try #require(records(run, "error").first)
    #expect(error["code"] == "execution-error")
    #expect(error["id"] == "f")
    #expect(error["detail"]?["node_id"] == "2")
    #expect(error["detail"]?["node_type"] == "FakeRaise")
    #expect(error["detail"]?["exception_type"] == "RuntimeError")
    #expect(error["detail"]?["exception_message"]?.stringValue?.hasPrefix("planned failure") == true)
    #expect((error["detail"]?["traceback"]?.arrayValue?.count ?? 0) > 0)
    #expect(records(run, "done").first?["status"] == "error")
  }

  @Test func anInterruptedJobSaysSo() throws {
    let a = try FakeComfy(in: scratch)
    let job = try a.queue(Workflows.slow(5, prefix: "int"), id: "i")
    let promptID = try #require(try JSON.parse(job).objectValue?["prompt_id"]?.stringValue)
    later(0.5) { try? a.client.interrupt(promptID: promptID) }
    let run = try fetch(["-o", scratch.path + "/int"], input: job + "\n")
    #expect(run.exit == .exited(1))
    #expect(records(run, "error").first?["code"] == "interrupted")
    #expect(records(run, "done").first?["status"] == "interrupted")
  }

  @Test func aJobWhoseServerRestartedIsLost() throws {
    let first = try FakeComfy(in: scratch)
    let port = first.port
    let job = try first.queue(Workflows.slow(5, prefix: "lost"), id: "l")
    let restarted = Lock()
    nonisolated(unsafe) var second: FakeComfy?
    later(0.5) {
      first.server.kill(SIGUSR1)
      let fresh = try? FakeComfy(port: port, in: self.scratch)
      restarted.withLock { second = fresh }
    }
    let run = try fetch(["-o", scratch.path + "/lost", "--retries", "4"], input: job + "\n")
    #expect(restarted.withLock { second != nil }, "the server came back on port \(port)")
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["error"])
    #expect(run.records.first?["code"] == "lost")
  }

  @Test func aServerDownFromTheStartIsUnreachable() throws {
    let a = try FakeComfy(in: scratch)
    let dead = #"{"type":"job","id":"d","remote":"http://127.0.0.1:1","prompt_id":"p","client_id":"c"}"#
    let alone = try fetch(["-o", scratch.path + "/down", "--retries", "0"], input: dead + "\n")
    #expect(alone.exit == .exited(75))
    #expect(alone.records.map { $0["code"] } == ["unreachable"])
    let live = try a.queue(Workflows.noise(seed: 3, prefix: "up"), id: "u")
    let mixed = try fetch(["-o", scratch.path + "/down", "--retries", "0"], input: dead + "\n" + live + "\n")
    #expect(mixed.exit == .exited(1))
    #expect(records(mixed, "done").map { $0["id"] } == ["u"])
    #expect(records(mixed, "error").map { $0["id"] } == ["d"])
  }

  @Test func pollingWorksWithoutTheWebSocket() throws {
    let a = try FakeComfy(in: scratch)
    let jobs = [
      try a.queue(Workflows.slow(0.3, prefix: "p1"), id: "p1"),
      try a.queue(Workflows.noise(seed: 9, prefix: "p2"), id: "p2"),
    ]
    let run = try fetch(["-o", scratch.path + "/poll", "--poll"], input: jobs.joined(separator: "\n"))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(records(run, "done").count == 2)
    #expect(records(run, "file").count == 2)
  }

  /// ComfyUI's two-sockets bug (reference §2.1) starves remote-fetch's WebSocket of every event:
  /// a socket on the same clientId that closes after remote-fetch connected takes remote-fetch's
  /// entry with it. Only the periodic /history check then sees the job finish.
  @Test func theCheckIntervalFindsAJobWhoseEventsAreLost() throws {
    let a = try FakeComfy(in: scratch)
    let thief = try WebSocket.connect("ws://127.0.0.1:\(a.port)/ws?clientId=starved")
    let job = try a.queue(Workflows.slow(1.5, prefix: "starved"), clientID: "starved", id: "s")
    later(0.8) { thief.close(code: 1000) }
    let started = monotonicSeconds()
    let run = try fetch(["-o", scratch.path + "/starved", "--check-interval", "0.25"], input: job + "\n")
    let took = monotonicSeconds() - started
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(records(run, "done").map { $0["id"] } == ["s"])
    #expect(took < 4, "found by the 0.25 s check, not the default 5 s one (took \(took) s)")
    #expect(try fetch(["--check-interval", "soon", "-o", scratch.path], input: "").exit == .exited(64))
  }

  @Test func theRequestTimeoutBoundsAStalledServer() throws {
    let a = try FakeComfy(in: scratch)
    let job = try a.queue(Workflows.noise(seed: 11, prefix: "stall"), id: "t")
    let parsed = try JSON.parse(job)
    let promptID = try #require(parsed["prompt_id"]?.stringValue)
    _ = try a.waitHistory(promptID)
    try a.fault("GET /history/\(promptID)", "stall", times: 10)
    let started = monotonicSeconds()
    let run = try fetch(
      ["-o", scratch.path + "/stall", "--poll", "--request-timeout", "0.3", "--retries", "0"], input: job + "\n")
    #expect(monotonicSeconds() - started < 4, "the fake stalls each answer for 5 s")
    #expect(run.exit != .exited(0))
    #expect(records(run, "error").map { $0["id"] } == ["t"], "\(run.stdoutText)")
  }

  /// `--job-timeout`, and its older names `--timeout` and `-t`.
  @Test(arguments: ["--job-timeout", "--timeout", "-t"])
  func timeoutBoundsAJob(option: String) throws {
    let a = try FakeComfy(in: scratch)
    let job = try a.queue(Workflows.slow(5, prefix: "to"), id: "t")
    let start = monotonicSeconds()
    let run = try fetch(["-o", scratch.path + "/to\(option)", option, "0.5"], input: job + "\n")
    #expect(monotonicSeconds() - start < 3)
    #expect(run.exit == .exited(1))
    #expect(run.records.map { $0["code"] } == ["timeout"])
  }

  @Test func progressRecordsAndHeadersThatAreNeverPrinted() throws {
    let a = try FakeComfy(in: scratch)
    let job = try a.queue(Workflows.slow(0.4, prefix: "pr"), id: "p")
    let run = try fetch(
      ["-o", scratch.path + "/pr", "--progress-records", "-H", "Authorization: Bearer s3cret-token"], input: job + "\n")
    #expect(run.exit == .exited(0))
    let progress = records(run, "progress")
    #expect(!progress.isEmpty && progress.allSatisfy { $0["id"] == "p" && $0["max"] != nil })
    #expect(!run.stdoutText.contains("s3cret") && !run.stderrText.contains("s3cret"))
    let bad = try fetch(["-o", scratch.path + "/pr", "-H", "no colon"], input: "")
    #expect(bad.exit == .exited(64))
  }

  // MARK: hostile servers: clear errors, nothing written outside -o

  func hostileRun(_ mode: String) throws -> (CapturedRun, String) {
    let hostile = try hostileServer(mode)
    let base = try scratch.directory("hostile-\(mode)")
    let job = #"{"type":"job","id":"h","remote":"http://127.0.0.1:\#(hostile.port)","prompt_id":"p1","client_id":"c"}"#
    let run = try fetch(["-o", base + "/out", "--retries", "1", "--max-file-size", "1000000"], input: job + "\n")
    #expect(listDirectoryNames(base) == ["out"] || listDirectoryNames(base) == [], "nothing beside -o")
    return (run, base + "/out")
  }

  @Test func pathsInHistoryAreRefused() throws {
    let (run, out) = try hostileRun("traversal")
    #expect(records(run, "error").map { $0["code"] } == ["unsafe-name", "unsafe-name", "unsafe-name"])
    #expect(records(run, "done").first?["files"] == 0)
    #expect(records(run, "done").first?["status"] == "error")
    #expect(listDirectoryNames(out) ?? [] == [], "no folder for a job with nothing safe to fetch")
  }

  @Test func anAbsurdContentLengthIsRefused() throws {
    let (run, out) = try hostileRun("content-length")
    let error = try #require(records(run, "error").first)
    #expect(error["code"] == "download-failed")
    #expect(error["message"]?.stringValue?.contains("larger than") == true)
    #expect(listDirectoryNames(out + "/h") ?? [] == [], "no partial file left")
  }

  @Test func aShortBodyIsNotKept() throws {
    let (run, out) = try hostileRun("short-body")
    #expect(records(run, "error").first?["code"] == "download-failed")
    #expect(records(run, "done").first?["status"] == "error", "a job whose file did not come is no success")
    #expect(listDirectoryNames(out + "/h") ?? [] == [])
  }

  @Test func nonJSONAnswersAreBadAnswers() throws {
    let (run, _) = try hostileRun("not-json")
    let error = try #require(records(run, "error").first)
    #expect(error["code"] == "bad-answer")
    #expect(error["detail"]?["body_text"]?.stringValue?.contains("502") == true)
  }

  @Test(arguments: ["bad-frame", "no-upgrade"])
  func aBrokenWebSocketFallsBackToPolling(mode: String) throws {
    let (run, _) = try hostileRun(mode)
    #expect(run.exit == .exited(0))
    #expect(run.stderrText.contains("WebSocket") && run.stderrText.contains("polling"))
    #expect(records(run, "done").first?["files"] == 1)
  }

  /// SaveImageWebsocket's images come only as binary WebSocket frames (PREVIEW_IMAGE, PNG) while
  /// the node runs; they are saved under the job's folder, in order, with `file` records naming
  /// the node, the PNG bytes exactly as sent. A job that ran before the socket was open says
  /// its images are lost instead of ending a silent success.
  @Test func saveImageWebsocketImagesComeHome() throws {
    let a = try FakeComfy(in: scratch)
    let prompt =
      #"{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":4,"batch_size":2,"color":255}},"#
      + #""2":{"class_type":"FakeSleep","inputs":{"seconds":0.8,"image":["1",0],"progress":false}},"#
      + #""5":{"class_type":"SaveImageWebsocket","inputs":{"images":["2",0]}}}"#
    let job = try a.queue(prompt, id: "ws")
    let out = scratch.path + "/ws"
    let run = try fetch(["-o", out], input: job + "\n")
    #expect(run.exit == .exited(0), "\(run.stdoutText)\(run.stderrText)")
    let files = records(run, "file")
    #expect(files.count == 2, "\(run.stdoutText)")
    #expect(files.map { $0["node"] } == ["5", "5"])
    #expect(
      files.compactMap { $0["path"]?.stringValue } == [
        "\(out)/ws/websocket_5_00001_.png", "\(out)/ws/websocket_5_00002_.png",
      ])
    for file in files {
      let bytes = try #require(readFileIfPresent(file["path"]?.stringValue ?? "", limit: 1 << 20))
      #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG, header stripped")
      #expect(file["sha256"]?.stringValue == SHA256.hex(bytes))
    }
    #expect(records(run, "done").first?["files"] == 2)
    #expect(records(run, "done").first?["status"] == "success")
    let early = try a.queue(prompt.replacingOccurrences(of: "0.8", with: "0"), id: "early")
    let earlyID = try #require(try JSON.parse(early)["prompt_id"]?.stringValue)
    _ = try a.waitHistory(earlyID)
    var carried = try #require(try JSON.parse(early).objectValue)
    carried["prompt"] = try JSON.parse(prompt)  // as remote-queue's records carry it
    let missed = try fetch(["-o", out], input: JSON.object(carried).serialized + "\n")
    #expect(records(missed, "error").first?["code"] == "missed-frames", "\(missed.stdoutText)")
    #expect(records(missed, "done").first?["status"] == "error")
  }

  /// The pipeline case: a trivial job has finished on the server before its record reaches a
  /// remote-fetch whose WebSocket is already open. Its `done` record comes within a few ms of
  /// the record, not after the watcher's 50 ms tick (the median was ~50 ms before).
  @Test func aJobThatFinishedBeforeItsRecordCameIsDoneAtOnce() throws {
    let a = try FakeComfy(in: scratch)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Products.path("remote-fetch"))
    process.arguments = ["-o", scratch.path + "/pipeline", "-q"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    defer {
      try? input.fileHandleForWriting.close()
      process.waitUntilExit()
    }
    var pending = Data()
    func nextRecord() throws -> JSONObject {
      while true {
        if let newline = pending.firstIndex(of: 10) {
          let line = String(decoding: pending[..<newline], as: UTF8.self)
          pending = Data(pending[(newline + 1)...])
          return try #require(try JSON.parse(line).objectValue)
        }
        let chunk = output.fileHandleForReading.availableData
        try #require(!chunk.isEmpty, "remote-fetch ended early")
        pending += chunk
      }
    }
    var delays: [Double] = []
    for k in 0..<16 {
      let job = try a.queue(Workflows.noise(seed: 500 + k, prefix: "pipe\(k)"), id: "p\(k)")
      let promptID = try #require(try JSON.parse(job)["prompt_id"]?.stringValue)
      _ = try a.waitHistory(promptID)
      let handed = monotonicSeconds()
      input.fileHandleForWriting.write(Data((job + "\n").utf8))
      while true {
        let record = try nextRecord()
        if record.type == "done" && record["prompt_id"]?.stringValue == promptID { break }
      }
      if k > 0 { delays.append((monotonicSeconds() - handed) * 1000) }  // the first opens the socket
    }
    let median = delays.sorted()[delays.count / 2]
    #expect(median < 12, "ms from the record to its done record: \(delays)")
  }
}
