import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Files written by numpy and the safetensors library, packed by tensor-pack: a tensor the kit does
/// not carry gets its own error record, every other tensor its record; metadata comes back on unpack.
@Suite(.enabled(if: Interop.python != nil, Interop.skipReason))
struct NothingLostTests {
  let scratch = TemporaryDirectory()

  func mixedFiles() throws -> String {
    let (status, output) = try Interop.run(["mixed", scratch.path])
    #expect(status == 0, "\(output)")
    return scratch.path
  }

  @Test(arguments: [("mixed.npz", "'bad.npy'", "<c8"), ("mixed.safetensors", "'bad'", "F8_E4M3")])
  func oneUnsupportedTensorLosesNothingElse(file: String, named: String, dtype: String) throws {
    let path = "\(try mixedFiles())/\(file)"
    let run = try Products.run("tensor-pack", ["--to", "inline", path])
    let tensors = run.records.filter { $0["type"] == "tensor" }
    let errors = run.records.filter { $0["type"] == "error" }
    #expect(tensors.compactMap { $0["name"]?.stringValue }.sorted() == ["a", "b"], "\(run.stdoutText)")
    #expect(tensors.first { $0["name"] == "a" }?["dtype"] == "uint16")
    #expect(tensors.first { $0["name"] == "b" }?["dtype"] == "float32")
    #expect(errors.count == 1, "\(run.stdoutText)")
    let message = errors.first?["message"]?.stringValue ?? ""
    #expect(errors.first?["code"] == "unsupported-tensor")
    #expect(message.contains(named) && message.contains(dtype) && message.contains(file), "\(message)")
    #expect(run.exit != .exited(0), "a tensor left out is still a failure of the run")
  }

  @Test func theReadersKeepTheGoodTensors() throws {
    let dir = try mixedFiles()
    let npz = try Npz.readKeeping(path: "\(dir)/mixed.npz")
    #expect(npz.tensors.map(\.name) == ["a", "b"] && npz.skipped.count == 1)
    #expect(throws: TensorFormatError.self) { try Npz.read(path: "\(dir)/mixed.npz") }
    let safe = try Safetensors.read(path: "\(dir)/mixed.safetensors")
    #expect(safe.tensors.map(\.name).sorted() == ["a", "b"] && safe.skipped.count == 1)
    #expect(try safe.tensor(named: "a")?.loadBytes() == leBytes([0, 10000, 20000, 30000, 40000, 50000] as [UInt16]))
  }
}

extension NothingLostTests {
  @Test func safetensorsMetadataComesBackOnUnpack() throws {
    let dir = try mixedFiles()
    let packed = try Products.run("tensor-pack", ["--to", "shm", "\(dir)/mixed.safetensors"])
    let tensors = packed.records.filter { $0["type"] == "tensor" }
    #expect(tensors.count == 2)
    let expected: JSON = ["format": "pt", "note": "ünïcode ✓"]
    // The library writes __metadata__ in hash order, so compare the pairs in key order.
    func sorted(_ value: JSON?) -> [String] {
      (value?.objectValue.map { $0.map { "\($0.key)=\($0.value)" } } ?? []).sorted()
    }
    #expect(tensors.allSatisfy { sorted($0["metadata"]) == sorted(expected) }, "\(packed.stdoutText)")
    let input = tensors.map { JSON.object($0).serialized }.joined(separator: "\n") + "\n"
    let out = "\(scratch.path)/out"
    let unpacked = try Products.run(
      "tensor-pack", ["--unpack", "-o", out, "--format", "safetensors"], input: input)
    #expect(unpacked.exit == .exited(0), "\(unpacked.stderrText)")
    for name in ["a", "b"] {
      let (status, output) = try Interop.run(["metadata", "\(out)/\(name).safetensors"])
      #expect(status == 0, "\(output)")
      #expect(try JSON.parse(Array(output.utf8)) == expected, "safe_open(...).metadata() of \(name): \(output)")
    }
  }
}

/// A file whose name says PNG (or npy, npz) but whose first bytes are broken is reported as what
/// its name says, not as a bad safetensors header.
@Suite struct MisnamedFileTests {
  let scratch = TemporaryDirectory()

  @Test(arguments: [
    ("broken.png", "bad signature"), ("broken.PNG", "bad signature"), ("broken.npy", "npy"), ("broken.npz", "zip"),
  ])
  func aBrokenFileIsReportedAsWhatItsNameSays(file: String, says: String) throws {
    var png = PNGChunks.signature + [UInt8](repeating: 0x41, count: 40)
    png[1] = 0x51  // "\x89QNG…": one byte of the signature broken
    let path = "\(scratch.path)/\(file)"
    try writeFile(path, png)
    let run = try Products.run("tensor-pack", ["--to", "inline", path])
    let message = run.records.first { $0["type"] == "error" }?["message"]?.stringValue ?? ""
    #expect(message.lowercased().contains(says), "\(message)")
    #expect(!message.contains("safetensors"), "\(message)")
  }
}

private func leBytes(_ values: [UInt16]) -> [UInt8] { values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
