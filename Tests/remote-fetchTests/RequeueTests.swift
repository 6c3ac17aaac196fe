import Foundation
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// `--requeue`: a job whose server died or forgot it runs again elsewhere from its carried prompt,
/// its input files uploaded there again, and its files still come home.
@Suite struct RequeueTests {
  let scratch = TemporaryDirectory()

  func records(_ run: CapturedRun, _ type: String) -> [JSONObject] { run.records.filter { $0.type == type } }

  /// Queues `prompt` on `server` with remote-queue (so the job record is the real one).
  func queue(_ prompt: String, on server: FakeComfy, id: String, inputDir: String? = nil) throws -> String {
    var arguments = ["--to", server.remote]
    if let inputDir { arguments += ["--input-dir", inputDir] }
    let input = #"{"type":"workflow","id":"\#(id)","prompt":\#(prompt)}"# + "\n"
    let run = try Products.run("remote-queue", arguments, input: input, environment: ["COMFY_REMOTE": nil])
    let job = try #require(run.records.first, "\(run.stderrText)")
    #expect(job.type == "job", "\(run.stderrText)")
    return JSON.object(job).serialized
  }

  /// Writes a 4×4 RGB PNG (not interlaced: the fake's LoadImage reads no interlaced PNG) as
  /// `NAME.png` in `inputDir` and queues LoadImage → a 1.5 s FakeSleep → SaveImage on it; returns
  /// the job record's line and the PNG's bytes.
  func queueLoadImage(_ name: String, on server: FakeComfy, inputDir: String) throws -> (String, [UInt8]) {
    let png = try #require(
      Base64.decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAKUlEQVR4nA3HMQEAAAzCMIRVGGdFIXDLlyQSGxcTBIvjU6mt62cyOzcPp2MTQTYdST8AAAAASUVORK5CYII="
      ))
    try FileDescriptor.open("\(inputDir)/\(name).png", O_WRONLY | O_CREAT | O_TRUNC).closeAfter { try $0.writeAll(png) }
    let prompt =
      #"{"1":{"class_type":"LoadImage","inputs":{"image":"\#(name).png"}},"#
      + #""2":{"class_type":"FakeSleep","inputs":{"seconds":1.5,"image":["1",0],"progress":false}},"#
      + #""3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"rf/\#(name)"}}}"#
    return (try queue(prompt, on: server, id: name, inputDir: inputDir), png)
  }

  func kill(_ server: FakeComfy, after delay: Double) {
    later(delay) {
      server.server.kill(SIGUSR1)
    }
  }

  @Test func aJobOnAServerKilledMidJobFinishesOnAnother() throws {
    let a = try FakeComfy(in: scratch)
    let b = try FakeComfy(in: scratch)
    let job = try queue(Workflows.slow(1.5, prefix: "rq"), on: a, id: "k")
    kill(a, after: 0.4)
    let out = scratch.path + "/killed"
    let run = try Products.run(
      "remote-fetch", ["-o", out, "--requeue", "--to", "\(a.remote),\(b.remote)", "--retries", "1"],
      input: job + "\n")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["job", "file", "done"], "\(run.stdoutText)")
    let requeued = try #require(records(run, "job").first)
    #expect(requeued["id"] == "k")
    #expect(requeued["remote"]?.stringValue == b.remote)
    #expect(requeued["prompt_id"] != (try JSON.parse(job))["prompt_id"])
    #expect(requeued["requeued_from"]?.arrayValue?.first?["remote"]?.stringValue == a.remote)
    let file = try #require(records(run, "file").first)
    let path = try #require(file["path"]?.stringValue)
    #expect(path.hasPrefix(out + "/k/"))
    #expect(b.outputFile("rf/" + path.split(separator: "/").last!) == readFileIfPresent(path, limit: 1 << 24))
    #expect(records(run, "done").first?["status"] == "success")
    #expect(run.stderrText.contains("requeueing"))
  }

  @Test func aLoadImageJobIsUploadedAgainToAServerThatNeverSawTheFile() throws {
    let a = try FakeComfy(in: scratch)
    let b = try FakeComfy(in: scratch)
    let inputDir = try scratch.directory("inputs")
    let (job, png) = try queueLoadImage("cat", on: a, inputDir: inputDir)
    let uploads = try #require(try JSON.parse(job)["uploads"]?.arrayValue)
    #expect(uploads.count == 1)
    #expect(uploads.first?["sha256"]?.stringValue == SHA256.hex(png))
    #expect(uploads.first?["path"]?.stringValue == "\(inputDir)/cat.png")
    kill(a, after: 0.4)
    let run = try Products.run(
      "remote-fetch", ["-o", scratch.path + "/cat", "--requeue", "--retries", "1"], input: job + "\n",
      environment: ["COMFY_REMOTE": b.remote])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["job", "file", "done"], "\(run.stdoutText)")
    let requeued = try #require(records(run, "job").first)
    let reference = try #require(requeued["prompt"]?["1"]?["inputs"]?["image"]?.stringValue)
    #expect(reference.hasPrefix("comfy-pipes/") && reference.hasSuffix("/cat.png"))
    let stored = try #require(readFileIfPresent("\(b.outputDirectory)/../input/\(reference)", limit: 1 << 20))
    #expect(stored == png, "b got the same bytes")
  }

  /// The first server restarts (its queue and history are gone, its input folder is not) and
  /// the local input file has changed since: the requeue takes the input back from the first
  /// server's /view, checked against the carried sha256, and uploads it to the other server. A
  /// copy there that changed too is refused with a message that says so.
  @Test(arguments: [true, false])
  func anInputChangedLocallyComesBackFromTheFirstServer(intact: Bool) throws {
    let a = try FakeComfy(in: scratch)
    let b = try FakeComfy(in: scratch)
    let inputDir = try scratch.directory("view-inputs-\(intact)")
    let (job, png) = try queueLoadImage("dog", on: a, inputDir: inputDir)
    a.server.kill(SIGUSR1)
    try FileDescriptor.open("\(inputDir)/dog.png", O_WRONLY | O_TRUNC).closeAfter { try $0.writeAll("edited") }
    let stored = try #require(a.inputFiles().first { $0.hasSuffix("dog.png") })
    if !intact {
      try FileDescriptor.open("\(a.inputDir)/\(stored)", O_WRONLY | O_TRUNC).closeAfter { try $0.writeAll("x") }
    }
    let restarted = try FakeComfy(in: scratch, restarting: a)
    let run = try Products.run(
      "remote-fetch",
      [
        "-o", scratch.path + "/dog-\(intact)", "--requeue", "--to", "\(restarted.remote),\(b.remote)", "--retries", "1",
      ],
      input: job + "\n")
    guard intact else {
      #expect(run.exit != .exited(0))
      let error = try #require(records(run, "error").first, "\(run.stdoutText)")
      #expect(
        error["message"]?.stringValue?.contains("is gone or changed, and \(a.remote) cannot give it back") == true)
      return
    }
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["job", "file", "done"], "\(run.stdoutText)")
    let requeued = try #require(records(run, "job").first, "\(run.stderrText)")
    #expect(requeued["remote"]?.stringValue == b.remote)
    let reference = try #require(requeued["prompt"]?["1"]?["inputs"]?["image"]?.stringValue)
    #expect(readFileIfPresent("\(b.inputDir)/\(reference)", limit: 1 << 20) == png, "b got the first server's copy")
    #expect(run.stderrText.contains("uploaded \(a.remote)/view?filename="), "the note names where the bytes came from")
    #expect(!run.stderrText.contains("uploaded \(inputDir)"), "\(run.stderrText)")
  }

  @Test func aJobWithoutItsPromptCannotBeRequeued() throws {
    let b = try FakeComfy(in: scratch)
    let dead = #"{"type":"job","id":"n","remote":"http://127.0.0.1:1","prompt_id":"p","client_id":"c"}"#
    let run = try Products.run(
      "remote-fetch", ["-o", scratch.path + "/none", "--requeue", "--to", b.remote, "--retries", "0"],
      input: dead + "\n")
    #expect(run.exit == .exited(75))
    let error = try #require(run.records.first)
    #expect(error["code"] == "unreachable")
    #expect(error["message"]?.stringValue?.contains("carries no prompt") == true, "\(run.stdoutText)")
    let usage = try Products.run(
      "remote-fetch", ["-o", scratch.path + "/none", "--requeue"], input: "",
      environment: ["COMFY_REMOTE": nil])
    #expect(usage.exit == .exited(64))
  }

  /// A pending job that `remote-queue --cancel` deleted stays cancelled: remote-fetch finds the
  /// marker the cancel left on the server, reports `cancelled` and never posts it elsewhere.
  /// A job that vanished without the marker (the server restarted) is still requeued.
  @Test func aJobDeletedByCancelIsNotRequeued() throws {
    let a = try FakeComfy(in: scratch)
    let b = try FakeComfy(in: scratch)
    _ = try queue(Workflows.slow(2, prefix: "busy", progress: false), on: a, id: "busy")
    let pending = try queue(Workflows.slow(0.1, prefix: "gone"), on: a, id: "gone")
    let cancel = try Products.run("remote-queue", ["--cancel"], input: pending + "\n")
    #expect(cancel.records.first?["action"] == "deleted", "\(cancel.stdoutText)\(cancel.stderrText)")
    let run = try Products.run(
      "remote-fetch", ["-o", scratch.path + "/cancelled", "--requeue", "--to", "\(a.remote),\(b.remote)"],
      input: pending + "\n")
    #expect(run.records.map(\.type) == ["error", "done"], "\(run.stdoutText)\(run.stderrText)")
    #expect(records(run, "error").first?["code"] == "cancelled")
    #expect(records(run, "done").first?["status"] == "cancelled")
    #expect(!run.stderrText.contains("requeueing"))
    #expect(b.outputFile("rf/gone_00001_.png") == nil, "b never ran it")
  }
}
