import ComfyRemote
import PipeKit
import TestSupport
import Testing

/// remote-queue run as a program against fake ComfyUI servers on loopback.
@Suite(.serialized) struct QueueingTests {
  static let trio: [FakeComfy] = try! FakeComfy.range(3)
  static let windows = try! FakeComfy(arguments: ["--os", "nt"])
  let scratch = TemporaryDirectory()

  @Test func seededVariantsFanOutOverAPortRange() throws {
    let servers = Self.trio
    let file = try scratch.write("w3.json", noiseWorkflow(prefix: "rq_test/fan").serialized)
    let range = "127.0.0.1:\(servers[0].port)-\(servers[2].port)"
    let run = try remoteQueue(["--to", range, "--count", "6", "--seed-step", "10", file])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let jobs = run.records
    #expect(jobs.count == 6 && jobs.allSatisfy { $0.type == "job" })
    #expect(Set(jobs.compactMap { $0["remote"]?.stringValue }) == Set(servers.map(\.remote)))
    #expect(jobs.compactMap { $0.input("2", "seed")?.intValue } == [42, 52, 62, 72, 82, 92])
    #expect(jobs.map { $0["variant"]?.intValue ?? -1 } == Array(0..<6))
    #expect(Set(jobs.compactMap { $0["prompt_id"]?.stringValue }).count == 6)
    #expect(Set(jobs.compactMap { $0["client_id"]?.stringValue }).count == 1)
    for job in jobs {
      let server = try #require(servers.first { $0.remote == job["remote"]?.stringValue })
      let id = try #require(job["prompt_id"]?.stringValue)
      #expect(id == id.lowercased() && id.count == 36)
      let entry = try #require(try server.waitHistory(id))
      #expect(entry["status"]?["status_str"] == "success")
      let extra = entry["prompt"]?.arrayValue?[3]
      #expect(extra?["client_id"] == job["client_id"])
      #expect(extra?["comfy_pipes"]?["tool"] == "remote-queue")
      #expect(entry["prompt"]?.arrayValue?[0] == job["number"])
    }
  }

  @Test func theClientIDCanBeChosen() throws {
    let server = Self.trio[0]
    let file = try scratch.write("cid.json", noiseWorkflow(prefix: "rq_test/cid").serialized)
    let run = try remoteQueue(["--to", server.address, "--client-id", "my-client-7", file])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let job = try #require(run.records.first)
    #expect(job["client_id"] == "my-client-7")
    let promptID = try #require(job["prompt_id"]?.stringValue)
    let entry = try #require(try server.waitHistory(promptID))
    #expect(entry["prompt"]?.arrayValue?[3]["client_id"] == "my-client-7", "the server got it too")
  }

  @Test func aTemplateAndAParameterFileGiveOneJobPerLine() throws {
    let template = try scratch.write("template.json", line(["prompt": noiseWorkflow(prefix: "rq_test/sweep")]))
    let params = [
      line(["id": "a", "set": ["Noise.seed": 1, "3.filename_prefix": "rq_test/a"]]),
      line(["id": "b", "set": ["Noise.seed": 2]]),
      line(["id": ["n": 3], "set": ["2.strength": 0.75]]),
    ].joined()
    let run = try remoteQueue(
      ["--to", Self.trio[0].address, "--template", template, "--set", "Noise.strength=0.25"], input: params)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let jobs = run.records
    #expect(jobs.map { $0["id"] ?? .null } == ["a", "b", ["n": 3]])
    #expect(jobs.map { $0.input("2", "seed") ?? .null } == [1, 2, 42])
    #expect(jobs.map { $0.input("2", "strength") ?? .null } == [0.25, 0.25, 0.75])
    #expect(jobs[0].input("3", "filename_prefix") == "rq_test/a")
    let queued = try #require(try Self.trio[0].waitHistory(jobs[2]["prompt_id"]?.stringValue ?? ""))
    #expect(queued["prompt"]?.arrayValue?[2]["2"]?["inputs"]?["strength"] == 0.75)
  }

  @Test func setByTitleAndByIdOnWorkflowRecords() throws {
    let input = line(["type": "workflow", "id": 7, "prompt": noiseWorkflow(prefix: "rq_test/title")])
    let run = try remoteQueue(
      ["--to", Self.trio[1].address, "--set", "Noise.seed=1234", "--set", "1.width=24", "--no-carry"], input: input)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let job = try #require(run.records.first)
    #expect(job["id"] == 7 && job["prompt"] == nil)
    let entry = try #require(try Self.trio[1].waitHistory(job["prompt_id"]?.stringValue ?? ""))
    let prompt = entry["prompt"]?.arrayValue?[2]
    #expect(prompt?["2"]?["inputs"]?["seed"] == 1234)
    #expect(prompt?["1"]?["inputs"]?["width"] == 24)

    let missing = try remoteQueue(["--to", Self.trio[1].address, "--set", "Nope.seed=1"], input: input)
    #expect(missing.exit == .exited(1))
    #expect(missing.records.first?["code"] == "no-such-node" && missing.records.first?["id"] == 7)
  }

  @Test func modelNamesGetTheServersSeparators() throws {
    var workflow = noiseWorkflow(prefix: "rq_test/sep").objectValue!
    var node = workflow["1"]!.objectValue!
    var inputs = node["inputs"]!.objectValue!
    inputs["ckpt_name"] = "sd15/v1-5.safetensors"
    inputs["lora_name"] = "style\\ink.safetensors"
    inputs["text"] = "a/b"
    node["inputs"] = .object(inputs)
    workflow["1"] = .object(node)
    let input = line(.object(workflow))
    let nt = try remoteQueue(["--to", Self.windows.address], input: input)
    #expect(nt.exit == .exited(0), "\(nt.stderrText)")
    let job = try #require(nt.records.first)
    #expect(job.input("1", "ckpt_name") == "sd15\\v1-5.safetensors")
    #expect(job.input("1", "lora_name") == "style\\ink.safetensors")
    #expect(job.input("1", "text") == "a/b", "only *_name inputs are model names")
    let entry = try #require(try Self.windows.waitHistory(job["prompt_id"]?.stringValue ?? ""))
    #expect(entry["prompt"]?.arrayValue?[2]["1"]?["inputs"]?["ckpt_name"] == "sd15\\v1-5.safetensors")
    let posix = try remoteQueue(["--to", Self.trio[2].address], input: input)
    #expect(posix.records.first?.input("1", "lora_name") == "style/ink.safetensors")
    #expect(posix.records.first?.input("1", "ckpt_name") == "sd15/v1-5.safetensors")
  }

  @Test func otherRecordsAreForwardedAndBadLinesReported() throws {
    let input = "{\"type\":\"env\",\"os\":\"linux\"}\nnot json\n" + line(noiseWorkflow(prefix: "rq_test/fw"))
    let run = try remoteQueue(["--to", Self.trio[0].address, "--no-carry"], input: input)
    #expect(run.exit == .exited(65))
    #expect(run.records.map { $0.type ?? "" } == ["env", "error", "job"])
    #expect(run.records[1]["code"] == "bad-record" && run.records[1]["detail"]?["line"] == 2)
  }

  @Test func uiWorkflowsAreRefusedWithTheWayOut() throws {
    let ui: JSON = ["last_node_id": 3, "nodes": [["id": 1, "type": "EmptyImage"]], "links": []]
    let file = try scratch.write("ui.json", ui.serialized)
    let run = try remoteQueue(["--to", Self.trio[0].address, file, "\(scratch.path)/missing.json"])
    #expect(run.exit == .exited(66))
    #expect(run.records.map { $0["code"] ?? .null } == ["ui-workflow", "no-input"])
    #expect(run.records[0]["message"]?.stringValue?.contains("Save (API)") == true)
    #expect(run.records[0]["detail"]?["path"]?.stringValue == file)
  }

  @Test func theDefaultServerComesFromCOMFY_REMOTE() throws {
    let run = try remoteQueue(
      ["--no-carry"], input: line(noiseWorkflow(prefix: "rq_test/env")),
      environment: ["COMFY_REMOTE": Self.trio[2].remote])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.first?["remote"]?.stringValue == Self.trio[2].remote)
  }

  @Test(arguments: [
    ["--set", "nodot=1"], ["--set", "x"], ["--to", "h:9-1"], ["--to", "h:1,,h:2"], [], ["--count", "0"],
    ["--header", "NoColon"], ["--header", "Bad Name:v"], ["--cancel", "--template", "x.json"],
    ["--seed-step", "1.5"], ["--timeout", "-1"], ["--request-timeout", "0"], ["--retries", "21"],
  ])
  func usageErrors(arguments: [String]) throws {
    let to = arguments.contains("--to") || arguments.isEmpty ? [] : ["--to", "127.0.0.1:1"]
    let run = try remoteQueue(to + arguments)
    #expect(run.exit == .exited(64), "\(arguments): \(run.stderrText)")
    #expect(run.stderrText.contains("See 'remote-queue --help'"))
    #expect(run.stdout.isEmpty)
  }
}
