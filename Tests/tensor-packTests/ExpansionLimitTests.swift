import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

#if canImport(Glibc)
  import Glibc
#endif

/// Hostile archives and images, given to the built tensor-pack as an attacker would: what one
/// file may make it read, copy and allocate is bounded, and broken checksums are refused.
@Suite struct ExpansionLimitTests {
  let scratch = TemporaryDirectory()

  /// Releases whatever segments a run handed on (a failing test must not leave them behind).
  func releaseAll(_ run: CapturedRun) {
    for record in run.records {
      if let storage = record["storage"]?.objectValue, let parsed = try? TensorRecord.parseStorage(storage) {
        SharedMemory.release(parsed)
      }
    }
  }

  /// A stored npz whose one member (`x.npy`, 1 MiB of uint8) is named by `copies` central
  /// directory entries, all pointing at the same local header.
  func overlappingArchive(copies: Int) throws -> String {
    let data = try NpyHeader.encode(dtype: .uint8, shape: [1 << 20]) + [UInt8](repeating: 7, count: 1 << 20)
    let crc = CRC32.checksum(data)
    var out: [UInt8] = []
    func sizes(_ name: [UInt8]) {
      out.appendLE(crc)
      out.appendLE(UInt32(data.count))
      out.appendLE(UInt32(data.count))
      out.appendLE(UInt16(name.count))
      out.appendLE(UInt16(0))
    }
    out.appendLE(UInt32(0x0403_4b50))
    for value: UInt16 in [20, 0, 0, 0, 0x21] { out.appendLE(value) }
    sizes(Array("x.npy".utf8))
    out += Array("x.npy".utf8) + data
    let directoryStart = out.count
    for k in 0..<copies {
      let name = Array("x\(k).npy".utf8)
      out.appendLE(UInt32(0x0201_4b50))
      for value: UInt16 in [20, 20, 0, 0, 0, 0x21] { out.appendLE(value) }
      sizes(name)
      for value: UInt16 in [0, 0, 0] { out.appendLE(value) }
      out.appendLE(UInt32(0))
      out.appendLE(UInt32(0))
      out += name
    }
    let directorySize = out.count - directoryStart
    out.appendLE(UInt32(0x0605_4b50))
    for value: UInt16 in [0, 0, UInt16(copies), UInt16(copies)] { out.appendLE(value) }
    out.appendLE(UInt32(directorySize))
    out.appendLE(UInt32(directoryStart))
    out.appendLE(UInt16(0))
    let path = "\(scratch.path)/overlap-\(copies).npz"
    try writeFile(path, out)
    return path
  }

  @Test func overlappingZipMembersAreRefusedNotMultiplied() throws {
    let path = try overlappingArchive(copies: 64)
    let run = try Products.run("tensor-pack", [path])
    defer { releaseAll(run) }
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["error"], "one error, no segment: \(run.records.count) records")
    #expect(run.records.first?["code"] == "bad-tensor-file")
    #expect(run.records.first?["message"]?.stringValue?.contains("overlap") == true)
  }

  /// A stored member is handed on in place (`file` storage), but its bytes are still checked
  /// against the CRC-32 of the central directory, as a deflated member's are.
  @Test(arguments: [false, true])
  func aMemberWithAWrongCRCIsRefused(compressed: Bool) throws {
    let path = "\(scratch.path)/crc-\(compressed).npz"
    let tensor = try randomTensor("w", .float32, [64, 64], seed: 9)
    try Npz.write([tensor], to: path, compressed: compressed)
    let good = try Products.run("tensor-pack", ["--to", "file", path])
    defer { releaseAll(good) }
    #expect(good.exit == .exited(0), "\(good.stderrText)")
    var bytes = try readFile(path)
    let central = try ZipArchive(file: InputFile(path: path)).entries[0]
    // The stored CRC, in the local header and the central directory alike, made wrong.
    for offset in [central.localHeaderOffset + 14, try centralDirectoryCRCOffset(bytes)] { bytes[offset] ^= 0x01 }
    let broken = "\(scratch.path)/crc-broken-\(compressed).npz"
    try writeFile(broken, bytes)
    let run = try Products.run("tensor-pack", ["--to", "file", broken])
    defer { releaseAll(run) }
    #expect(run.exit == .exited(1), "\(run.stdoutText)")
    #expect(run.records.first?["code"] == "bad-tensor-file")
    #expect(run.records.first?["message"]?.stringValue?.contains("CRC-32") == true, "\(run.stdoutText)")
  }

  /// The offset of the CRC field of the last central directory entry.
  func centralDirectoryCRCOffset(_ bytes: [UInt8]) throws -> Int {
    let entry = try #require(
      (0...(bytes.count - 4)).last { (try? bytes.loadLE(UInt32.self, at: $0)) == 0x0201_4b50 })
    return entry + 16
  }

  /// What one archive may expand to is capped (16 GiB unless `--max-bytes` says otherwise),
  /// whether its members are deflated or not; a bomb is refused before anything is inflated.
  @Test func anArchiveMayExpandOnlyAsFarAsTheLimit() throws {
    let path = "\(scratch.path)/zeros.npz"
    let zeros = try LocatedTensor(
      name: "z", dtype: .uint8, shape: [3 << 20], owned: [UInt8](repeating: 0, count: 3 << 20))
    var other = zeros
    other.name = "y"
    try Npz.write([zeros, other], to: path, compressed: true)
    let capped = try Products.run("tensor-pack", ["--max-bytes", "4M", path])
    defer { releaseAll(capped) }
    #expect(capped.exit == .exited(1), "\(capped.stderrText)")
    #expect(capped.records.map(\.type) == ["error"])
    #expect(capped.records.first?["code"] == "unsupported-tensor")
    #expect(capped.records.first?["message"]?.stringValue?.contains("--max-bytes") == true)
    let enough = try Products.run("tensor-pack", ["--max-bytes", "7M", path])
    defer { releaseAll(enough) }
    #expect(enough.exit == .exited(0), "\(enough.stderrText)")
    #expect(enough.records.map(\.type) == ["tensor", "tensor"])
    #expect(try Products.run("tensor-pack", ["--max-bytes", "lots", path]).exit == .exited(64))
    #expect(try Packer.byteCount("16G") == 16 << 30 && Packer.byteCount("512") == 512)
    #expect(Npz.defaultLimit == 16 << 30, "the limit tensor-pack(1) documents")
  }

  /// Ancillary chunks (text, compressed text, private ones) are read through for their CRC a
  /// piece at a time and never held: a PNG with 120 MiB of them packs in 600 MB of address space
  /// (~150 MB do; it took well over 1 GB before). Their CRC is still checked.
  @Test func hugeAncillaryChunksAreSkippedNotHeld() throws {
    let image = try PNGEncoder.encode(try randomTensor("p", .float32, [1, 2, 2, 3]))[0]
    let end = image.count - 12
    var bytes = Array(image[..<33])
    PNGChunks.append("tEXt", Array("prompt\0".utf8) + [UInt8](repeating: 0x78, count: 100 << 20), to: &bytes)
    PNGChunks.append("prVt", [UInt8](repeating: 0x41, count: 20 << 20), to: &bytes)
    bytes += image[33..<end] + image[end...]
    let path = "\(scratch.path)/huge-text.png"
    try writeFile(path, bytes)
    let run = try Products.shell("ulimit -v 600000; exec tensor-pack --to inline '\(path)'")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.first?["shape"] == [1, 2, 2, 3])
    bytes[33 + 8 + 100] ^= 1
    try writeFile(path, bytes)
    let damaged = try Products.shell("ulimit -v 600000; exec tensor-pack --to inline '\(path)'")
    #expect(damaged.exit == .exited(1))
    #expect(damaged.records.first?["message"]?.stringValue?.contains("tEXt") == true, "\(damaged.stdoutText)")
  }

  /// What a PNG may make tensor-pack allocate is capped before anything is allocated.
  @Test func aPNGMayDecodeOnlyAsFarAsTheLimit() throws {
    let path = "\(scratch.path)/wide.png"
    try writeFile(path, try PNGEncoder.encode(try randomTensor("w", .float32, [1, 300, 300, 3]))[0])
    let capped = try Products.run("tensor-pack", ["--to", "inline", "--max-bytes", "1M", path])
    #expect(capped.exit == .exited(1))
    #expect(capped.records.first?["code"] == "unsupported-tensor")
    let enough = try Products.run("tensor-pack", ["--max-bytes", "2M", path])
    defer { releaseAll(enough) }
    #expect(enough.exit == .exited(0), "\(enough.stderrText)")
    let bytes = try readFile(path)
    #expect(throws: TensorFormatError.self, "the compressed image data is capped too") {
      try PNGChunks(bytes, maxImageData: 1000)
    }
    #expect(try PNGChunks(bytes, maxImageData: bytes.count).header.width == 300)
  }
}
