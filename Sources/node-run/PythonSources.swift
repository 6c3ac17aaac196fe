import PipeKit

/// The Python node-run carries, built from the embedded `.py` files. The rule for which segments
/// a tensor record may name (`comfy_pipes_segment.py`, PipeKit's `SegmentRule.swift` in Python)
/// is written once and goes both into the worker and into the printed host module.
enum PythonSources {
  /// The line in `comfy_pipes_host.py` that the segment rule's code replaces.
  static let hostMarker = "# -- comfy_pipes_segment.py: node-run --print-host-module puts its code here"

  /// The worker's source: the segment rule, then `node_run_worker.py`.
  static let worker: [UInt8] =
    Array(PackageResources.comfy_pipes_segment_py) + Array("\n".utf8) + Array(PackageResources.node_run_worker_py)

  /// The one-file host module: `comfy_pipes_host.py` with the segment rule's code at its marker.
  static let hostModule: [UInt8] = {
    let host = String(decoding: PackageResources.comfy_pipes_host_py, as: UTF8.self)
    let rule = String(decoding: PackageResources.comfy_pipes_segment_py, as: UTF8.self)
    var lines = host.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    guard let at = lines.firstIndex(where: { $0.hasPrefix(hostMarker) }) else { return Array(host.utf8) }
    lines[at] = "# -- comfy_pipes_segment.py (the same code node-run's worker runs) --\n" + rule
    return Array(lines.joined(separator: "\n").utf8)
  }()
}
