import PipeKit

/// The Python node-run carries, built from the embedded `.py` files of the `comfy_pipes` package
/// (`comfy_pipes/`, the package the wheel installs into ComfyUI's python). The rule for which
/// segments a tensor record may name (`comfy_pipes/segment.py`, PipeKit's `SegmentRule.swift` in
/// Python) is written once and goes both into the worker and into the printed host module.
enum PythonSources {
  /// The line in `comfy_pipes/host.py` that the segment rule's code replaces: in the package it
  /// imports the rule, in the one-file print-out the rule's code stands in its place.
  static let hostMarker = "from .segment import *  # node-run --print-host-module puts segment.py's code here"

  /// The worker's source: the segment rule, then `node_run_worker.py`.
  static let worker: [UInt8] =
    Array(PackageResources.segment_py) + Array("\n".utf8) + Array(PackageResources.node_run_worker_py)

  /// The one-file host module: `comfy_pipes/host.py` with the segment rule's code at its marker.
  static let hostModule: [UInt8] = {
    let host = String(decoding: PackageResources.host_py, as: UTF8.self)
    let rule = String(decoding: PackageResources.segment_py, as: UTF8.self)
    var lines = host.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let at = lines.firstIndex(where: { $0.hasPrefix(hostMarker) }) else { return Array(host.utf8) }
    lines[at] = "# -- comfy_pipes/segment.py (the same code node-run's worker runs) --\n" + rule
    return Array(lines.joined(separator: "\n").utf8)
  }()
}
