import ComfyRemote
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Local files named by loader nodes are uploaded once, content-addressed, and referenced by the
/// names the server returns.
@Suite(.serialized) struct UploadTests {
  let scratch = TemporaryDirectory()

  func copyFixturePNG(to path: String) throws -> [UInt8] {
    let source = "\(Products.root)/Tests/tensor-packTests/Fixtures/png/rgb8_interlaced.png"
    let bytes = try FileDescriptor.open(source, O_RDONLY).closeAfter { try $0.readAll() }
    try makeDirectories(String(path[..<path.lastIndex(of: "/")!]))
    try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC).closeAfter { try $0.writeAll(bytes) }
    return bytes
  }

  func loadWorkflow(_ image: String, prefix: String) -> JSON {
    [
      "1": ["class_type": "LoadImage", "inputs": ["image": .string(image)]],
      "2": ["class_type": "SaveImage", "inputs": ["images": ["1", 0], "filename_prefix": .string(prefix)]],
      "3": ["class_type": "LoadImage", "inputs": ["image": "elsewhere.png [output]"]],
      "4": ["class_type": "PreviewImage", "inputs": ["images": ["3", 0]]],
    ]
  }

  @Test func aLoadImageWorkflowRunTwiceUploadsOnce() throws {
    let server = try FakeComfy()
    let inputDir = try scratch.directory("inputs")
    let bytes = try copyFixturePNG(to: "\(inputDir)/photos/cat.png")
    let workflow = loadWorkflow("photos/cat.png", prefix: "rq_test/up").objectValue!
    var onlyLoad = workflow
    onlyLoad["3"] = nil
    onlyLoad["4"] = nil
    let input = line(["type": "workflow", "id": "cat", "prompt": .object(onlyLoad)])
    let first = try remoteQueue(["--to", server.address, "--input-dir", inputDir], input: input)
    #expect(first.exit == .exited(0), "\(first.stderrText)")
    let expected = "comfy-pipes/\(SHA256.hex(bytes).prefix(32))/cat.png"
    #expect(first.records.first?.input("1", "image")?.stringValue == expected)
    #expect(first.stderrText.contains("uploaded"))
    #expect(server.inputFiles() == [expected])

    let second = try remoteQueue(["--to", server.address, "--input-dir", inputDir + "/"], input: input + input)
    #expect(second.exit == .exited(0), "\(second.stderrText)")
    #expect(second.records.count == 2)
    #expect(second.records.allSatisfy { $0.input("1", "image")?.stringValue == expected })
    #expect(!second.stderrText.contains("uploaded"), "the server already had the file: \(second.stderrText)")
    #expect(server.inputFiles() == [expected])
    let entry = try #require(try server.waitHistory(second.records[1]["prompt_id"]?.stringValue ?? ""))
    #expect(entry["prompt"]?.arrayValue?[2]["1"]?["inputs"]?["image"]?.stringValue == expected)
  }

  @Test func annotatedAndUnknownNamesAreLeftToTheServer() throws {
    let server = try FakeComfy()
    let inputDir = try scratch.directory("inputs2")
    _ = try copyFixturePNG(to: "\(inputDir)/dog.png")
    let workflow = loadWorkflow("dog.png [input]", prefix: "rq_test/up2")
    let run = try remoteQueue(["--to", server.address, "--input-dir", inputDir], input: line(workflow))
    let job = try #require(run.records.first)
    // Node 3 names a file in the server's output folder that does not exist: a partial run.
    #expect(job.type == "job", "\(run.stderrText)")
    #expect(job.input("1", "image")?.stringValue?.hasPrefix("comfy-pipes/") == true)
    #expect(job.input("1", "image")?.stringValue?.hasSuffix("/dog.png") == true)
    #expect(job.input("3", "image") == "elsewhere.png [output]")
    #expect(job["warning"]?["node_errors"]?["3"]?["class_type"] == "LoadImage")
    #expect(run.stderrText.contains("warning"))
    #expect(run.exit == .exited(0))

    let outside = try remoteQueue(
      ["--to", server.address, "--input-dir", inputDir], input: line(loadWorkflow("../inputs2/dog.png", prefix: "x")))
    #expect(outside.records.first?["code"] == "rejected", "a name leaving --input-dir is not read")
  }
}
