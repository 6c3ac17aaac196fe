import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

#if canImport(Glibc)
  import Glibc
#endif

/// What tensor-pack hands on: records another process can use from another directory, and no
/// segment that nobody was told about.
@Suite struct HandOffTests {
  let scratch = TemporaryDirectory()

  /// `--to file` and the `file` records of an unpack name absolute paths, whatever the working
  /// directory and the arguments were: the consumer (node-run's worker) runs elsewhere and
  /// refuses relative ones.
  @Test func recordsCarryAbsolutePaths() throws {
    let dir = try scratch.directory("relative")
    try Npy.write(try randomTensor("r", .int16, [5], seed: 3), to: "\(dir)/r.npy")
    let packed = try Products.shell("cd '\(dir)' && tensor-pack --to file r.npy ./r.npy")
    #expect(packed.exit == .exited(0), "\(packed.stderrText)")
    #expect(packed.records.map { $0["storage"]?["path"]?.stringValue } == ["\(dir)/r.npy", "\(dir)/r.npy"])
    let unpacked = try Products.shell(
      "cd '\(dir)' && tensor-pack --to file r.npy | (cd / && tensor-pack -u -o \(dir.dropFirst())/out)")
    #expect(unpacked.exit == .exited(0), "\(unpacked.stderrText)")
    #expect(unpacked.records.first?["path"]?.stringValue == "\(dir)/out/r.npy")
  }

  /// The segments of this process id, in /dev/shm.
  func segments(of pid: Int32) -> [String] {
    (listDirectoryNames("/dev/shm") ?? []).filter { $0.hasPrefix("\(SharedMemory.prefix)-\(pid)-") }
  }

  /// A record that could not be written was not handed on: with stdout on a full disk,
  /// tensor-pack exits 74 and removes every segment it made, and stops making more.
  @Test func aFailedOutputLeavesNoSegments() throws {
    let path = "\(scratch.path)/full.npy"
    try Npy.write(try randomTensor("full", .float32, [256, 256], seed: 4), to: path)
    let run = try Products.shell("echo $$ >&2; exec tensor-pack '\(path)' '\(path)' '\(path)' > /dev/full")
    let pid = try #require(Int32(run.stderrText.split(separator: "\n").first ?? ""))
    defer { for name in segments(of: pid) { shm_unlink("/" + name) } }
    #expect(run.exit == .exited(74), "\(run.stderrText)")
    #expect(run.stderrText.contains("writing output failed"))
    #expect(segments(of: pid) == [], "no segment of the failed run is left")
  }

  /// Exit 74 is for standard output alone: an unpack whose records cannot be written exits 74
  /// (the files are complete and the segments released); a file that cannot be written is one
  /// failed item, exit 1 (see `InterruptedUnpackTests.aFullDiskKeepsTheSegment`).
  @Test func unpackExits74OnlyForItsOwnOutput() throws {
    func segment() throws -> (TensorStorage, String) {
      let (storage, writer) = try SharedMemory.create(nbytes: 64)
      writer.mutableBytes.copyBytes(from: [UInt8](repeating: 3, count: 64))
      let line = JSON.object(TensorRecord(name: "t", dtype: .uint8, shape: [64], storage: storage).record).serialized
      return (storage, try scratch.write("unpack-\(UInt32.random(in: 0...UInt32.max)).ndjson", line + "\n"))
    }
    let (storage, input) = try segment()
    defer { SharedMemory.release(storage) }
    let out = try scratch.directory("unpack-full")
    let run = try Products.shell("tensor-pack -u -o '\(out)' < '\(input)' > /dev/full")
    #expect(run.exit == .exited(74), "\(run.stderrText)")
    #expect(try Npy.read(path: "\(out)/t.npy").loadBytes() == [UInt8](repeating: 3, count: 64))
    #expect(access("/dev/shm" + (Unpacker.segmentLocation(storage) ?? ""), F_OK) != 0)
    let (kept, again) = try segment()
    defer { SharedMemory.release(kept) }
    let blocked = try scratch.write("not-a-directory", "x")
    let item = try Products.shell("tensor-pack -u -o '\(blocked)/sub' < '\(again)'")
    #expect(item.exit == .exited(1), "a directory that cannot be made fails the item: \(item.stderrText)")
    #expect(item.records.first?["code"] == "io-error")
    #expect(access("/dev/shm" + (Unpacker.segmentLocation(kept) ?? ""), F_OK) == 0, "and keeps the segment")
  }

  /// A segment is unlinked as soon as its file is final (its pages are freed afterwards, on a
  /// queue of their own): the same record again finds nothing, and is an error, never a file of
  /// the zeros that freed pages read as.
  @Test func aRepeatedRecordIsAnErrorNotAFileOfZeros() throws {
    let count = 8 << 20
    let (storage, writer) = try SharedMemory.create(nbytes: count)
    defer { SharedMemory.release(storage) }
    writer.mutableBytes.initializeMemory(as: UInt8.self, repeating: 0xA5)
    let line = JSON.object(TensorRecord(name: "twice", dtype: .uint8, shape: [count], storage: storage).record)
      .serialized
    let out = try scratch.directory("twice")
    let run = try Products.run("tensor-pack", ["-u", "-o", out], input: line + "\n" + line + "\n")
    #expect(run.exit == .exited(1))
    #expect(run.records.map(\.type) == ["file", "error"], "\(run.stdoutText)")
    #expect(try Npy.read(path: "\(out)/twice.npy").loadBytes().allSatisfy { $0 == 0xA5 })
    #expect(listDirectoryNames(out) == ["twice.npy"])
  }
}
