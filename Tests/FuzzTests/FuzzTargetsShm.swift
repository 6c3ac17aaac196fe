import PipeKit

@testable import node_run

#if canImport(Glibc)
  import Glibc
#endif

/// Fuzz targets for what a tensor record may name (PipeKit's `SegmentRule.swift`) and for the
/// framing of a worker's replies (node-run's `Frames.swift`); registered in `FuzzTargets.all`.
extension FuzzTargets {
  /// The bytes as a segment name and as a file-backed segment's path: whatever the rule accepts
  /// is `/cpipes-` plus digits, a dash and 16 lowercase hex digits (no slash, no `..`), or that
  /// name in the fallback directory; a storage object is accepted exactly when the rule is.
  static func shmNames(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    if SharedMemory.isValidName(text) {
      let body = text.utf8.dropFirst("/cpipes-".count)
      guard text.hasPrefix("/cpipes-"), body.count >= 18, body.count <= 27,
        body.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || $0 == 0x2D }),
        body.filter({ $0 == 0x2D }).count == 1, !text.contains("..")
      else { fatalError("a name the rule should refuse was accepted: \(text.debugDescription)") }
    }
    if SharedMemory.isValidFallbackPath(text) {
      let dir = SharedMemory.fallbackDirectory + "/"
      guard text.hasPrefix(dir), !text.dropFirst(dir.count).contains("/") else {
        fatalError("a path outside the fallback directory was accepted: \(text.debugDescription)")
      }
    }
    let byName = try? TensorRecord.parseStorage(["kind": "shm", "name": .string(text), "offset": 0, "nbytes": 0])
    guard (byName != nil) == SharedMemory.isValidName(text) else { fatalError("name storage disagrees with the rule") }
    let byPath = try? TensorRecord.parseStorage(["kind": "shm", "path": .string(text), "offset": 0, "nbytes": 0])
    guard (byPath != nil) == SharedMemory.isValidFallbackPath(text) else {
      fatalError("path storage disagrees with the rule")
    }
  }

  /// The bytes as a worker's reply pipe, read frame by frame as node-run reads it; each frame's
  /// tensor records are checked, and a frame encoded again must read back the same.
  static func workerFrames(_ bytes: UnsafeRawBufferPointer) {
    let path = "\(scratch)/frames.bin"
    guard let out = try? FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600) else { return }
    try? out.writeAll(bytes)
    out.close()
    defer { unlink(path) }
    guard let input = try? FileDescriptor.open(path, O_RDONLY) else { return }
    let reader = FrameReader(fd: input)
    defer { input.close() }
    while case .frame(let object) = reader.next(deadline: nil) {
      for (_, tensor) in TensorRecord.findAll(in: .object(object)) { _ = try? TensorRecord(record: tensor) }
      let again = Frame.encode(.object(object))
      guard again.count - 4 <= Frame.maxBytes,
        (try? JSON.parse(again[4...]))?.objectValue == object
      else { fatalError("a frame does not round-trip: \(JSON.object(object).serialized)") }
    }
  }
}
