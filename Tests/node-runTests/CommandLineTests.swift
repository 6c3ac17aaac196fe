import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The command line, progress, --input/--arg and signals.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct CommandLineTests {
  @Test(arguments: [
    ["--venv", "a", "--python", "b"], ["--node", "a:B", "--call", "a:f"], ["--workers", "0"], ["--timeout", "-1"],
    ["--call-timeout", "0"],
    ["--arg", "x=not json"], ["--tensors", "jax"], ["--node", "nocolon"], ["--call", "a:f", "--method", "m"],
  ])
  func usageErrors(arguments: [String]) throws {
    let run = try Products.run("node-run", arguments)
    #expect(run.exit == .exited(64), "\(arguments)")
    #expect(run.stderrText.contains("See 'node-run --help'"))
  }

  @Test func progressRecordsCarryTheCallsId() throws {
    let run = try nodeRun(
      ["--progress-records", "--node", "test_pack.nodes:Counter"], lines: [callLine(7, args: ["steps": 5])])
    let progress = run.records.filter { $0.type == "progress" }
    #expect(!progress.isEmpty, "\(run.stdoutText)")
    #expect(progress.allSatisfy { $0["id"] == 7 && $0["max"] == 5 })
    #expect(progress.last?["value"] == 5 && progress.last?["node"] == "test_pack.nodes:Counter")
    #expect(run.records.last?.type == "result" && run.record(7)?["outputs"] == [5])
    let quiet = try nodeRun(["--node", "test_pack.nodes:Counter"], lines: [callLine(7)])
    #expect(quiet.records.map(\.type) == ["result"], "no progress records unless asked")
  }

  @Test func inputWrapsTensorRecordsWithConstantArgs() throws {
    let tensor = try shmTensor("image", .float32, [2], bytes: floatBytes([1, 2]))
    var withID = tensor
    withID["id"] = "t1"
    let run = try nodeRun(
      ["--call", "test_pack.functions:echo", "--input", "x", "--arg", "scale=2", "--arg", #"label="a""#],
      lines: [JSON.object(withID).serialized])
    let output = try #require(run.records.first { $0["id"] == "t1" }?["outputs"]?[0], "\(run.stderrText)")
    #expect(output["scale"] == 2 && output["label"] == "a")
    _ = try consumeTensor(output["x"])
  }

  @Test func sigtermStopsTheWorkersAndReRaises() throws {
    let input = try TemporaryDirectory.shared.write(
      "sleep-\(UInt32.random(in: 0...UInt32.max))", callLine(1, function: "sleep", args: ["seconds": 60]) + "\n")
    let stdin = try FileDescriptor.open(input, O_RDONLY)
    let null = try FileDescriptor.open("/dev/null", O_WRONLY)
    defer {
      stdin.close()
      null.close()
    }
    let child = try ChildProcess.spawn(
      Products.path("node-run"), arguments: ["-q", "--venv", NodeVenv.path, "--path", NodeVenv.pack],
      redirect: [0: stdin, 1: null, 2: null])
    var workers: [Int32] = []
    let deadline = monotonicSeconds() + 30
    while workers.isEmpty && monotonicSeconds() < deadline {
      usleep(50_000)
      let text = readTextFileIfPresent("/proc/\(child.pid)/task/\(child.pid)/children") ?? ""
      workers = text.split(separator: " ").compactMap { Int32($0) }
    }
    try #require(!workers.isEmpty, "node-run started a worker")
    usleep(300_000)
    child.signal(SIGTERM)
    #expect(try child.wait() == .signaled(SIGTERM))
    usleep(200_000)
    for pid in workers {
      let state = readTextFileIfPresent("/proc/\(pid)/stat") ?? ""
      #expect(state.isEmpty || state.contains(") Z "), "worker \(pid) is gone")
    }
  }
}
