import PipeKit
import TestSupport
import Testing

/// The host module, saved into a copy of the fixture pack and loaded the way ComfyUI loads a
/// custom node, runs the decorated classes through node-run.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct HostModuleTests {
  @Test func printedModuleIsTheEmbeddedFile() throws {
    let run = try Products.run("node-run", ["--print-host-module"])
    #expect(run.exit == .exited(0))
    let source = try #require(readTextFileIfPresent("\(Products.root)/Sources/node-run/comfy_pipes_host.py"))
    #expect(run.stdoutText == source)
  }

  @Test func aHostScriptRunsIsolatedNodes() throws {
    let dir = try TemporaryDirectory.shared.directory("host-\(UInt32.random(in: 0...UInt32.max))")
    let copy = try Products.shell(
      "cp -R '\(NodeVenv.pack)/test_pack' '\(dir)/' && node-run --print-host-module > '\(dir)/test_pack/comfy_pipes_host.py'"
    )
    #expect(copy.exit == .exited(0), "\(copy.stderrText)")
    let run = try Products.shell(
      "'\(NodeVenv.hostPython)' '\(NodeVenv.fixtures)/host_check.py' '\(dir)/test_pack'",
      environment: ["NODE_RUN_TEST_VENV": NodeVenv.path, "COMFY_PIPES_NODE_RUN": Products.path("node-run")])
    #expect(run.exit == .exited(0), "\(run.stdoutText)\(run.stderrText)")
    #expect(run.stdoutText.hasSuffix("ok\n"), "\(run.stdoutText)")
  }
}
