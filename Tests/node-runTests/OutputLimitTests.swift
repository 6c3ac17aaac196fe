import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// What node-run refuses to write, and what it still answers when it cannot run anything.
@Suite struct OutputLimitTests {
  /// A result over the 64 MiB a record line may have would be dropped by the next tool's reader:
  /// node-run answers that call with an error instead.
  @Test(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
  func aResultOverTheRecordLimitIsAnError() throws {
    let run = try nodeRun(
      ["--call", "test_pack.functions:huge_text"],
      lines: [callLine(1, args: ["n": .int(65 << 20)]), callLine(2, args: ["n": 3])])
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    let error = try #require(run.record(1, "error"), "\(run.stdoutText.prefix(300))")
    #expect(error["code"] == "record-too-large")
    #expect(error["message"]?.stringValue?.contains("tensors") == true)
    #expect(run.stdout.count < 1 << 20, "the huge line was not written")
    #expect(run.record(2)?["outputs"] == ["xxx"], "the next call still runs")
  }

  /// JSON has no NaN or infinity: such a float in a result is an error naming where it is.
  @Test(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason), arguments: ["nan", "inf", "-inf"])
  func nonFiniteFloatsAreAnError(text: String) throws {
    let run = try nodeRun(
      ["--call", "test_pack.functions:not_finite"], lines: [callLine(1, args: ["text": .string(text)])])
    #expect(run.exit == .exited(1))
    let error = try #require(run.record(1, "error"), "\(run.stdoutText)")
    #expect(error["code"] == "not-finite")
    #expect(error["message"]?.stringValue?.contains("output 0['value']") == true, "\(error)")
  }

  /// A venv without Python: pass-through records are forwarded and every call gets an error
  /// with its id, then the exit status is 69.
  @Test func aVenvWithoutPythonAnswersEveryRecord() throws {
    let venv = try TemporaryDirectory.shared.directory("empty-venv-\(UInt32.random(in: 0...UInt32.max))")
    let input = [
      #"{"type":"env","os":"linux"}"#, callLine(1, function: "echo"), #"{"type":"package","name":"numpy"}"#,
      #"{"type":"call","id":"two","args":{}}"#,
    ]
    let run = try Products.run(
      "node-run", ["--venv", venv, "--call", "test_pack.functions:echo"], input: input.map { $0 + "\n" }.joined())
    #expect(run.exit == .exited(69))
    #expect(run.records.map(\.type) == ["env", "error", "package", "error"], "\(run.stdoutText)")
    for id: JSON in [1, "two"] {
      let error = run.records.first { $0["id"] == id }
      #expect(error?["code"] == "no-python")
      #expect(error?["message"]?.stringValue?.contains("venv-make") == true)
    }
  }

  /// Help, version and the host module go to stdout like any output: a failed write is exit 74.
  @Test(arguments: [
    ("node-run", "--help"), ("node-run", "--version"), ("node-run", "--print-host-module"), ("tensor-pack", "--help"),
  ])
  func helpToAFullDiskIsExit74(tool: String, flag: String) throws {
    let run = try Products.shell("\(tool) \(flag) > /dev/full")
    #expect(run.exit == .exited(74), "\(run.stderrText)")
    #expect(run.stderrText.contains("writing output failed"))
  }
}
