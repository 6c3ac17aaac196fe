import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Truncated and randomly damaged files must be refused with a `TensorFormatError` or, when the
/// damage happens to leave a valid file, read: never a crash.
@Suite struct HostileInputTests {
  static let kinds = ["npy", "npz", "npz-deflated", "safetensors", "png", "png-adam7", "png-palette"]
  /// Damaged copies per format; `PIPES_FUZZ_ITERATIONS` raises it for a longer run (`make fuzz`).
  static let iterations = ProcessInfo.processInfo.environment["PIPES_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 300

  @Test(arguments: kinds)
  func truncatedFilesAreRefusedAtEveryCut(kind: String) throws {
    let dir = TemporaryDirectory()
    let bytes = try SampleFiles.make(kind, in: dir)
    try writeFile(dir.file("valid"), bytes)
    try readFully(SampleFiles.reader(kind), dir.file("valid"))
    var cuts = Array(0..<Swift.min(bytes.count, 160))
    cuts += Array(stride(from: 160, to: bytes.count, by: 7))
    cuts += Array(Swift.max(0, bytes.count - 40)..<bytes.count)
    for cut in Set(cuts).sorted() {
      try expectRefused(SampleFiles.reader(kind), Array(bytes.prefix(cut)), "cut at \(cut) of \(bytes.count)", in: dir)
    }
  }

  @Test(arguments: kinds)
  func randomDamageNeverCrashes(kind: String) throws {
    let dir = TemporaryDirectory()
    let original = try SampleFiles.make(kind, in: dir)
    var random = TestRandom(seed: UInt64(kind.utf8.count * 7919))
    let path = dir.file("fuzz")
    var refused = 0
    for _ in 0..<HostileInputTests.iterations {
      var bytes = original
      for _ in 0...random.below(3) {
        let position = random.below(random.below(4) == 0 ? bytes.count : Swift.min(bytes.count, 200))
        bytes[position] = random.below(3) == 0 ? bytes[position] ^ 0x80 : UInt8(random.below(256))
      }
      if kind.hasPrefix("png") { bytes = fixCRCs(bytes) }
      try writeFile(path, bytes)
      do {
        try readFully(SampleFiles.reader(kind), path)
      } catch is TensorFormatError {
        refused += 1
      }
    }
    #expect(refused > 0)
  }
}
