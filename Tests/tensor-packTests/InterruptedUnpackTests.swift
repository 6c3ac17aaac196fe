import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Whatever happens to an unpack (killed, stopped, out of disk), a tensor is never lost: either
/// its file exists complete under its final name, or its segment still holds every byte under
/// its name, so the same record unpacks again.
@Suite struct InterruptedUnpackTests {
  let scratch = TemporaryDirectory()

  /// A segment of `count` bytes of a known pattern, its tensor record line and its SHA-256.
  func segment(_ count: Int, name: String = "kept") throws -> (storage: TensorStorage, line: String, sha256: String) {
    let (storage, writer) = try SharedMemory.create(nbytes: count)
    let words = writer.mutableBytes.bindMemory(to: UInt32.self)
    for k in words.indices { words[k] = UInt32(truncatingIfNeeded: k &* 2_654_435_761) }
    let sha256 = SHA256.hex(UnsafeRawBufferPointer(writer.mutableBytes))
    let record = TensorRecord(name: name, dtype: .int32, shape: [count / 4], storage: storage).record
    return (storage, JSON.object(record).serialized + "\n", sha256)
  }

  /// The SHA-256 of every byte the segment still holds, or nil when it is gone.
  func segmentHash(_ storage: TensorStorage) -> String? {
    guard let region = try? SharedMemory.map(storage, consume: false) else { return nil }
    return region.withBytes { SHA256.hex($0) }
  }

  func fileHash(_ path: String) -> String? {
    guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
    return try? fd.closeAfter { try SHA256.hex(of: $0) }
  }

  /// The int32 tensor inside the npy file at `path`, hashed (nil when it cannot be read).
  func tensorHash(_ path: String) -> String? {
    try? Npy.read(path: path).withBytes { SHA256.hex($0) }
  }

  /// Starts `tensor-pack --unpack -o out` on `input` and stops it (SIGSTOP) once it has begun to
  /// write the file, under whatever name it writes it.
  func startAndStop(input: String, out: String) throws -> Process {
    let stdin = try scratch.write("in-\(UInt32.random(in: 0...UInt32.max)).ndjson", input)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Products.path("tensor-pack"))
    process.arguments = ["--unpack", "-o", out, "--format", "npy"]
    process.standardInput = FileHandle(forReadingAtPath: stdin)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline && process.isRunning {
      let begun = (listDirectoryNames(out) ?? []).contains { name in
        var info = stat()
        return lstat("\(out)/\(name)", &info) == 0 && info.st_size > 1 << 20
      }
      if begun { break }
      usleep(200)
    }
    kill(process.processIdentifier, SIGSTOP)
    return process
  }

  @Test(arguments: [SIGKILL, SIGTERM, SIGINT])
  func aKilledUnpackLeavesTheSegmentWholeAndARetryWorks(signal: Int32) throws {
    let count = 256 << 20
    let (storage, line, sha256) = try segment(count)
    defer { SharedMemory.release(storage) }
    let out = try scratch.directory("killed-\(signal)")
    let process = try startAndStop(input: line, out: out)
    #expect(process.isRunning, "stopped while it was writing")
    let final = "\(out)/kept.npy"
    if access(final, F_OK) == 0 {
      #expect(tensorHash(final) == sha256, "a file under its final name is complete")
    }
    #expect(segmentHash(storage) == sha256, "the segment holds every byte while the file is written")
    kill(process.processIdentifier, signal)
    kill(process.processIdentifier, SIGCONT)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == signal)
    #expect(access(final, F_OK) != 0, "no file under the final name")
    #expect(segmentHash(storage) == sha256, "the segment outlives the killed unpack, whole")
    let left = listDirectoryNames(out) ?? []
    if signal == SIGKILL {
      #expect(left.allSatisfy { $0.hasPrefix(".kept.npy.tensor-pack-") && $0.hasSuffix(".part") }, "\(left)")
    } else {
      #expect(left.isEmpty, "a stopped unpack removes its temporary file: \(left)")
    }
    let retry = try Products.run("tensor-pack", ["--unpack", "-o", out, "--format", "npy"], input: line, timeout: 120)
    #expect(retry.exit == .exited(0), "\(retry.stderrText)")
    let record = try #require(retry.records.first)
    #expect(record["path"]?.stringValue == final)
    #expect(tensorHash(final) == sha256)
    #expect(record["sha256"]?.stringValue == fileHash(final))
    #expect(segmentHash(storage) == nil, "released once its file is complete")
  }

  /// A full disk: the partial file goes, the segment stays, the run says so and exits 1 (a file
  /// that cannot be written is an item failure, not a failed output); a retry elsewhere works.
  @Test(.enabled(if: InterruptedUnpackTests.canMountTmpfs, "mounting a small tmpfs needs root (CAP_SYS_ADMIN)"))
  func aFullDiskKeepsTheSegment() throws {
    let full = try scratch.directory("full")
    #expect(mount("tmpfs", full, "tmpfs", 0, "size=1m") == 0, "mount: \(String(cString: strerror(errno)))")
    defer { umount(full) }
    let (storage, line, sha256) = try segment(8 << 20)
    defer { SharedMemory.release(storage) }
    let run = try Products.run("tensor-pack", ["--unpack", "-o", full], input: line)
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    let error = try #require(run.records.first)
    #expect(error["type"] == "error" && error["code"] == "io-error")
    #expect(error["detail"]?["segment"]?.stringValue == Unpacker.segmentLocation(storage))
    #expect(error["detail"]?["tensor"]?.objectValue != nil, "the record to retry with")
    #expect(listDirectoryNames(full) == [], "no partial file is left")
    #expect(segmentHash(storage) == sha256, "the segment is kept")
    let elsewhere = try scratch.directory("roomy")
    let retryInput = JSON.object(try #require(error["detail"]?["tensor"]?.objectValue)).serialized + "\n"
    let retry = try Products.run("tensor-pack", ["--unpack", "-o", elsewhere], input: retryInput)
    #expect(retry.exit == .exited(0), "\(retry.stderrText)")
    #expect(tensorHash("\(elsewhere)/kept.npy") == sha256)
    #expect(segmentHash(storage) == nil)
  }

  /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN), tried once.
  static let canMountTmpfs: Bool = {
    let scratch = TemporaryDirectory()
    defer { rmdir(scratch.path) }
    guard getuid() == 0, let dir = try? scratch.directory("probe") else { return false }
    defer { rmdir(dir) }
    guard mount("tmpfs", dir, "tmpfs", 0, "size=64k") == 0 else { return false }
    umount(dir)
    return true
  }()

  /// A `.part` file of a tensor-pack that was killed is removed by the next unpack into the same
  /// directory, once its process is gone and it has not been written for a minute; one of a live
  /// process, or a fresh one, is left alone, and so is a file that only looks like one.
  @Test func leftoverPartialFilesOfDeadRunsAreSwept() throws {
    let out = try scratch.directory("sweep")
    let dead = "\(out)/\(OutputFile.partialName("a.npy", pid: 99_999_998))"
    let fresh = "\(out)/\(OutputFile.partialName("b.npy", pid: 99_999_997))"
    let live = "\(out)/\(OutputFile.partialName("c.npy", pid: getpid()))"
    let other = "\(out)/.notes.tensor-pack-x.part"
    for path in [dead, fresh, live, other] { try writeFile(path, [1, 2, 3]) }
    for path in [dead, live, other] {
      let then = timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)
      #expect(utimensat(AT_FDCWD, path, [then, then], 0) == 0)
    }
    let run = try Products.run("tensor-pack", ["--unpack", "-o", out], input: "")
    #expect(run.exit == .exited(0))
    #expect(run.stderrText.contains("removed \(dead)"))
    #expect(access(dead, F_OK) != 0)
    #expect(([fresh, live, other] as [String]).allSatisfy { access($0, F_OK) == 0 })
  }
}
