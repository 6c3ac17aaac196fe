import TestSupport
import Testing

@testable import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The rule for what a tensor record may make a consumer map and unlink (SegmentRule.swift).
@Suite struct SegmentRuleTests {
  static let names: [(String, Bool)] = [
    ("/cpipes-4711-3f9a0c00deadbeef", true), ("/cpipes-1-0000000000000000", true),
    ("/cpipes-4294967295-ffffffffffffffff", true), ("/cpipes-4711-3F9A0C00DEADBEEF", false),
    ("/cpipes-0471-3f9a0c00deadbeef", false), ("/cpipes-4711-3f9a0c00deadbee", false),
    ("/cpipes-4711-3f9a0c00deadbeef0", false), ("/cpipes--3f9a0c00deadbeef", false),
    ("/cpipes-12345678901-3f9a0c00deadbeef", false), ("cpipes-4711-3f9a0c00deadbeef", false),
    ("/cpipes-4711-3f9a0c00deadbeef/x", false), ("/cpipes-1-../../../etc/pass", false),
    ("/cpipes-x-3f9a0c00deadbeef", false), ("/cpipes-1-ab", false), ("/cpipes-fuzz-1", false),
    ("/cpipes-4711-3f9a0c00deadbeef\n", false), ("", false),
  ]

  @Test func namesHaveTheProducersExactForm() {
    for (name, valid) in Self.names { #expect(SharedMemory.isValidName(name) == valid, "\(name.debugDescription)") }
    for _ in 0..<100 { #expect(SharedMemory.isValidName("/" + SharedMemory.freshName())) }
  }

  @Test func pathsMustBeInTheFallbackDirectory() {
    let dir = SharedMemory.fallbackDirectory
    #expect(dir.hasSuffix("/comfy-pipes-\(geteuid())"))
    #expect(SharedMemory.isValidFallbackPath("\(dir)/cpipes-1-0123456789abcdef"))
    #expect(!SharedMemory.isValidFallbackPath("\(dir)/cpipes-1-ab"))
    #expect(!SharedMemory.isValidFallbackPath("\(dir)/x/cpipes-1-0123456789abcdef"))
    #expect(!SharedMemory.isValidFallbackPath("\(dir)/../cpipes-1-0123456789abcdef"))
    #expect(!SharedMemory.isValidFallbackPath("/tmp/cpipes-1-0123456789abcdef"))
  }

  /// A planted link in /dev/shm is neither followed nor removed: mapping it is a TensorError
  /// and releasing it leaves it (and its target) in place. So is a segment of another user.
  @Test func linksAndOthersSegmentsAreNeitherReadNorRemoved() throws {
    let target = try TemporaryDirectory.shared.write("rule-target-\(UInt32.random(in: 0...UInt32.max))", "keep")
    let name = "/" + SharedMemory.freshName()
    #expect(symlink(target, "/dev/shm" + name) == 0)
    defer { unlink("/dev/shm" + name) }
    let storage = TensorStorage.shm(name: name, offset: 0, nbytes: 4)
    #expect(throws: TensorError.self) { try SharedMemory.map(storage, consume: true) }
    SharedMemory.release(storage)
    var info = stat()
    #expect(lstat("/dev/shm" + name, &info) == 0, "the link stays")
    #expect(readTextFileIfPresent(target) == "keep")
    let other = "/dev/shm/" + SharedMemory.freshName()
    let fd = open(other, O_CREAT | O_EXCL | O_WRONLY, 0o600)
    #expect(fd >= 0)
    close(fd)
    defer { unlink(other) }
    guard geteuid() == 0, chown(other, 4242, 4242) == 0 else { return }
    let theirs = TensorStorage.shm(name: String(other.dropFirst("/dev/shm".count)), offset: 0, nbytes: 0)
    #expect(throws: TensorError.self) { try SharedMemory.map(theirs, consume: true) }
    SharedMemory.release(theirs)
    #expect(access(other, F_OK) == 0, "another user's segment stays")
  }

  /// A file named like a segment outside the fallback directory is not released.
  @Test func releaseLeavesFilesOutsideTheRule() throws {
    let dir = try TemporaryDirectory.shared.directory("rule-\(UInt32.random(in: 0...UInt32.max))")
    let path = try TemporaryDirectory.shared.write(
      "\(dir.split(separator: "/").last!)/\(SharedMemory.freshName())", "keep", mode: 0o600)
    SharedMemory.release(.shmFile(path: path, offset: 0, nbytes: 4))
    #expect(throws: TensorError.self) {
      try SharedMemory.map(.shmFile(path: path, offset: 0, nbytes: 4), consume: true)
    }
    #expect(readTextFileIfPresent(path) == "keep")
  }
}
