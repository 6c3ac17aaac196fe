import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Tensor records an attacker could write, naming files a consumer must neither read through a
/// link nor remove (comfy-pipes(7), "Tensor records"): every one is a `bad-tensor` error for its
/// id, and every planted file, link and directory is still there afterwards, unchanged.
struct PlantedSegments {
  let root: String
  /// `$TMPDIR` with a real fallback directory, and one whose fallback directory is a link.
  let tmp: String
  let linkedTmp: String
  /// The file the planted names lead to.
  let target: String
  let keep = "keep"
  /// Every path that must survive, with what `lstat` said of it.
  var planted: [String] = []
  /// Records for a run with `TMPDIR=tmp` (ids 1...) and with `TMPDIR=linkedTmp` (id 10).
  var records: [(id: Int, storage: JSONObject, what: String)] = []
  var linkedRecords: [(id: Int, storage: JSONObject, what: String)] = []

  static func segmentName() -> String {
    "cpipes-\(getpid())-" + String(format16: UInt64.random(in: 1 << 60...UInt64.max))
  }

  init() throws {
    root = try TemporaryDirectory.shared.directory("planted-\(UInt32.random(in: 0...UInt32.max))")
    tmp = try TemporaryDirectory.shared.directory("\(root.split(separator: "/").last!)/tmp")
    linkedTmp = try TemporaryDirectory.shared.directory("\(root.split(separator: "/").last!)/tmp-linked")
    target = try TemporaryDirectory.shared.write("\(root.split(separator: "/").last!)/target.bin", keep, mode: 0o600)
    let uid = geteuid()
    // 1: a link in /dev/shm under a name of the right form.
    let shmName = PlantedSegments.segmentName()
    #expect(symlink(target, "/dev/shm/\(shmName)") == 0)
    planted.append("/dev/shm/\(shmName)")
    records.append((1, ["kind": "shm", "name": .string("/" + shmName)], "a /dev/shm link"))
    // 2: a real segment-like file in another directory.
    let other = "\(root)/\(PlantedSegments.segmentName())"
    try write(other)
    records.append((2, ["kind": "shm", "path": .string(other)], "a file in another directory"))
    // 3: a link inside the real fallback directory.
    let fallback = "\(tmp)/comfy-pipes-\(uid)"
    #expect(mkdir(fallback, 0o700) == 0)
    let inFallback = "\(fallback)/\(PlantedSegments.segmentName())"
    #expect(symlink(target, inFallback) == 0)
    planted.append(inFallback)
    records.append((3, ["kind": "shm", "path": .string(inFallback)], "a link in the fallback directory"))
    // 4: a file of the wrong name form in the fallback directory.
    let wrongForm = "\(fallback)/cpipes-1-notes.txt"
    try write(wrongForm)
    records.append((4, ["kind": "shm", "path": .string(wrongForm)], "a name of the wrong form"))
    // 5: the fallback directory reached through a linked directory.
    let viaLink = "\(root)/via"
    #expect(symlink(fallback, viaLink) == 0)
    let inFallbackFile = "\(fallback)/\(PlantedSegments.segmentName())"
    try write(inFallbackFile)
    let throughLink = "\(viaLink)/\(inFallbackFile.split(separator: "/").last!)"
    records.append((5, ["kind": "shm", "path": .string(throughLink)], "a path through a linked directory"))
    // 10: with TMPDIR=linkedTmp, the fallback directory itself is a link to another directory.
    let elsewhere = try TemporaryDirectory.shared.directory("\(root.split(separator: "/").last!)/elsewhere")
    #expect(chmod(elsewhere, 0o700) == 0)
    #expect(symlink(elsewhere, "\(linkedTmp)/comfy-pipes-\(uid)") == 0)
    let behind = PlantedSegments.segmentName()
    try write("\(elsewhere)/\(behind)")
    linkedRecords.append(
      (
        10, ["kind": "shm", "path": .string("\(linkedTmp)/comfy-pipes-\(uid)/\(behind)")], "a linked fallback directory"
      )
    )
    planted += [target, viaLink, "\(linkedTmp)/comfy-pipes-\(uid)"]
  }

  private mutating func write(_ path: String) throws {
    let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
    try fd.closeAfter { try $0.writeAll(keep) }
    planted.append(path)
  }

  /// A tensor record (uint8, shape [4]) with `id` over `storage`.
  static func line(_ id: Int, _ storage: JSONObject) -> String {
    var full = storage
    full["offset"] = 0
    full["nbytes"] = 4
    let record: JSONObject = [
      "type": "tensor", "id": .int(id), "name": "x", "dtype": "uint8", "shape": [4], "storage": .object(full),
    ]
    return JSON.object(record).serialized
  }

  /// Checks that every planted path is still there and every file still holds `keep`.
  func expectUntouched(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for path in planted {
      var info = stat()
      #expect(lstat(path, &info) == 0, "\(context): \(path) was removed", sourceLocation: sourceLocation)
      if (info.st_mode & S_IFMT) == S_IFREG {
        #expect(
          readTextFileIfPresent(path) == keep, "\(context): \(path) changed", sourceLocation: sourceLocation)
      }
    }
  }

  /// Removes the link planted in /dev/shm.
  func cleanUp() {
    for path in planted where path.hasPrefix("/dev/shm/") { unlink(path) }
  }

  /// Checks that a run answered each id with a `bad-tensor` error.
  static func expectRefused(
    _ run: CapturedRun, _ cases: [(id: Int, storage: JSONObject, what: String)],
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    for (id, _, what) in cases {
      let answer = run.records.first { $0["id"] == .int(id) }
      #expect(answer?.type == "error", "\(what): \(run.stdoutText)", sourceLocation: sourceLocation)
      #expect(answer?["code"] == "bad-tensor", "\(what): \(run.stdoutText)", sourceLocation: sourceLocation)
    }
    #expect(run.exit == .exited(1), "\(run.stderrText)", sourceLocation: sourceLocation)
  }
}

extension String {
  /// `value` as exactly 16 lowercase hexadecimal digits.
  init(format16 value: UInt64) {
    let hex = String(value, radix: 16)
    self = String(repeating: "0", count: 16 - hex.count) + hex
  }
}

@Suite(.serialized) struct PlantedSegmentTests {
  @Test func tensorPackUnpackRefusesAndRemovesNothing() throws {
    let planted = try PlantedSegments()
    defer { planted.cleanUp() }
    let out = try TemporaryDirectory.shared.directory("planted-out-\(UInt32.random(in: 0...UInt32.max))")
    let run = try Products.run(
      "tensor-pack", ["--unpack", "-o", out],
      input: planted.records.map { PlantedSegments.line($0.id, $0.storage) + "\n" }.joined(),
      environment: ["TMPDIR": planted.tmp])
    PlantedSegments.expectRefused(run, planted.records)
    let linked = try Products.run(
      "tensor-pack", ["--unpack", "-o", out],
      input: planted.linkedRecords.map { PlantedSegments.line($0.id, $0.storage) + "\n" }.joined(),
      environment: ["TMPDIR": planted.linkedTmp])
    PlantedSegments.expectRefused(linked, planted.linkedRecords)
    planted.expectUntouched("tensor-pack --unpack")
    #expect(listDirectoryNames(out) == [], "nothing was written")
  }

  @Test(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
  func nodeRunRefusesAndRemovesNothing() throws {
    let planted = try PlantedSegments()
    defer { planted.cleanUp() }
    func calls(_ cases: [(id: Int, storage: JSONObject, what: String)]) -> [String] {
      cases.map { id, storage, _ in
        callLine(
          id, function: "describe",
          args: ["x": .object(try! JSON.parse(PlantedSegments.line(id, storage)).objectValue!)])
      }
    }
    let run = try nodeRun([], lines: calls(planted.records), environment: ["TMPDIR": planted.tmp])
    PlantedSegments.expectRefused(run, planted.records)
    let linked = try nodeRun([], lines: calls(planted.linkedRecords), environment: ["TMPDIR": planted.linkedTmp])
    PlantedSegments.expectRefused(linked, planted.linkedRecords)
    planted.expectUntouched("node-run")
  }

  @Test(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
  func hostModuleRefusesAndRemovesNothing() throws {
    let dir = try TemporaryDirectory.shared.directory("host-planted-\(UInt32.random(in: 0...UInt32.max))")
    let planted = try PlantedSegments()
    defer { planted.cleanUp() }
    let cases =
      planted.records.map { ($0.id, planted.tmp, $0.storage) }
      + planted.linkedRecords.map { ($0.id, planted.linkedTmp, $0.storage) }
    let spec = JSON.array(
      cases.map { id, tmp, storage in
        ["id": .int(id), "tmpdir": .string(tmp), "record": try! JSON.parse(PlantedSegments.line(id, storage))]
      })
    let specPath = try TemporaryDirectory.shared.write(
      "host-planted-\(UInt32.random(in: 0...UInt32.max)).json", spec.serialized)
    let run = try Products.shell(
      "node-run --print-host-module > '\(dir)/comfy_pipes_host.py' && '\(NodeVenv.hostPython)' "
        + "'\(NodeVenv.fixtures)/host_refusals.py' '\(dir)' '\(specPath)'")
    #expect(run.exit == .exited(0), "\(run.stdoutText)\(run.stderrText)")
    #expect(run.stdoutText.hasSuffix("ok\n"), "\(run.stdoutText)\(run.stderrText)")
    planted.expectUntouched("the host module")
  }
}
