import PipeKit
import TestSupport
import Testing

/// The host module, saved into a copy of the fixture pack and loaded the way ComfyUI loads a
/// custom node, runs the decorated classes through node-run.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct HostModuleTests {
  /// The printed module is the package's `comfy_pipes/host.py` with the segment rule the worker
  /// also runs (`comfy_pipes/segment.py`) in place of its import line: one file, the rule written once.
  @Test func printedModuleIsTheHostFileWithTheSharedSegmentRule() throws {
    let run = try Products.run("node-run", ["--print-host-module"])
    #expect(run.exit == .exited(0))
    let host = try #require(readTextFileIfPresent("\(Products.root)/Sources/node-run/comfy_pipes/host.py"))
    let rule = try #require(readTextFileIfPresent("\(Products.root)/Sources/node-run/comfy_pipes/segment.py"))
    let marker = try #require(host.split(separator: "\n").first { $0.hasPrefix("from .segment import *") })
    let parts = host.split(separator: marker + "\n", omittingEmptySubsequences: false)
    #expect(parts.count == 2)
    #expect(run.stdoutText.hasPrefix(String(parts[0])) && run.stdoutText.hasSuffix(String(parts[1])))
    #expect(run.stdoutText.contains(rule))
    #expect(!run.stdoutText.contains(marker))
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
