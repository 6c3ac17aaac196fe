import PipeKit
import TestSupport
import Testing

/// The Python rule (comfy_pipes/segment.py, run by the worker and the host module) accepts
/// exactly the names and paths PipeKit's accepts.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct SegmentRuleParityTests {
  @Test func pythonAndSwiftAcceptTheSameNamesAndPaths() throws {
    let dir = SharedMemory.fallbackDirectory
    let names = [
      "/cpipes-4711-3f9a0c00deadbeef", "/cpipes-1-0000000000000000", "/cpipes-4294967295-ffffffffffffffff",
      "/cpipes-4711-3F9A0C00DEADBEEF", "/cpipes-0471-3f9a0c00deadbeef", "/cpipes-4711-3f9a0c00deadbee",
      "/cpipes-4711-3f9a0c00deadbeef0", "/cpipes--3f9a0c00deadbeef", "/cpipes-12345678901-3f9a0c00deadbeef",
      "cpipes-4711-3f9a0c00deadbeef", "/cpipes-4711-3f9a0c00deadbeef/x", "/cpipes-1-ab", "/cpipes-fuzz-1",
      "/cpipes-4711-3f9a0c00deadbeef\n", "/cpipes-٤-3f9a0c00deadbeef",
    ]
    let paths = names.map { dir + $0 } + ["/tmp/cpipes-1-0123456789abcdef", "\(dir)/../cpipes-1-0123456789abcdef"]
    let script = """
      import json, sys
      sys.path.insert(0, sys.argv[1])
      import segment as rule
      for line in sys.stdin:
          kind, text = json.loads(line)
          accepted = rule.SEGMENT_NAME.fullmatch(text) if kind == "name" else rule.is_fallback_path(text)
          print(json.dumps(bool(accepted)))
      """
    let input = (names.map { JSON.array(["name", .string($0)]) } + paths.map { JSON.array(["path", .string($0)]) })
      .map { $0.serialized + "\n" }.joined()
    let tag = UInt32.random(in: 0...UInt32.max)
    let scriptPath = try TemporaryDirectory.shared.write("parity-\(tag).py", script)
    let inputPath = try TemporaryDirectory.shared.write("parity-\(tag).ndjson", input)
    let run = try Products.shell(
      "'\(NodeVenv.hostPython)' '\(scriptPath)' '\(Products.root)/Sources/node-run/comfy_pipes' < '\(inputPath)'")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let answers = run.stdoutText.split(separator: "\n").map { $0 == "true" }
    let expected = names.map(SharedMemory.isValidName) + paths.map(SharedMemory.isValidFallbackPath)
    #expect(answers == expected, "\(Array(zip(names + paths, answers)))")
  }
}
