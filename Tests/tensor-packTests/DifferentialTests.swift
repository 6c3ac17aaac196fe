import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Seeded random files from numpy and the safetensors library (interop.py `make diff-npy`,
/// `make diff-safetensors`; PIPES_DIFF_SEED picks the seed, 15 unless told) read here with equal
/// dtype, shape, bytes and metadata, then written back here and read there with equal values
/// (np.save byte-identity for npy, safe_open's metadata for safetensors).
@Suite(.enabled(if: Interop.python != nil, Interop.skipReason))
struct DifferentialTests {
  /// The generated files of `kind` (`count` of them), and a manifest for what is written back.
  private func generated(_ kind: String, count: Int) throws -> (
    dir: TemporaryDirectory, entries: [(path: String, kind: String, metadata: JSONObject, tensors: [Interop.Expected])],
    back: Interop.Manifest
  ) {
    let dir = TemporaryDirectory()
    let entries = try Interop.make(kind, in: dir)
    #expect(entries.count == count)
    return (dir, entries, Interop.Manifest(dir))
  }

  @Test func numpyFilesOfEveryDtypeOrderAndVersion() throws {
    let (dir, entries, back) = try generated("diff-npy", count: 1500)
    for (k, entry) in entries.enumerated() {
      let expected = entry.tensors[0]
      let tensor = try Npy.read(path: entry.path)
      #expect(tensor.dtype == expected.dtype && tensor.shape == expected.shape, "\(entry.path)")
      #expect(try tensor.loadBytes() == expected.bytes, "\(entry.path)")
      try Npy.write(tensor, to: dir.file("back-\(k).npy"))
      try back.add(file: "back-\(k).npy", kind: "npy", tensors: [tensor])
    }
    let (status, output) = try back.check()
    #expect(status == 0, "\(output)")
  }

  @Test func safetensorsFilesWithMetadata() throws {
    let (dir, entries, back) = try generated("diff-safetensors", count: 500)
    for (k, entry) in entries.enumerated() {
      let contents = try Safetensors.read(path: entry.path)
      #expect(contents.skipped.isEmpty)
      #expect(contents.tensors.map(\.name).sorted() == entry.tensors.map(\.name).sorted(), "\(entry.path)")
      for expected in entry.tensors {
        let tensor = contents.tensor(named: expected.name)
        #expect(tensor?.dtype == expected.dtype && tensor?.shape == expected.shape, "\(entry.path)")
        #expect(try tensor?.loadBytes() == expected.bytes, "\(entry.path) \(expected.name)")
      }
      let metadata = entry.metadata.map { "\($0.key)=\($0.value.stringValue ?? "?")" }.sorted()
      #expect(contents.metadata.map { "\($0.key)=\($0.value)" }.sorted() == metadata, "\(entry.path)")
      try Safetensors.write(contents.tensors, metadata: contents.metadata, to: dir.file("back-\(k).safetensors"))
      try back.add(
        file: "back-\(k).safetensors", kind: "safetensors", tensors: contents.tensors,
        extra: ["metadata": .object(entry.metadata)])
    }
    let (status, output) = try back.check()
    #expect(status == 0, "\(output)")
  }
}
