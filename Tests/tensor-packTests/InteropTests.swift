import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

/// Files written by numpy, safetensors and Pillow are read here with equal values, and files
/// written here are read by them (the helper checks values, and np.save byte-identity for npy).
@Suite(.enabled(if: Interop.python != nil, Interop.skipReason))
struct InteropTests {
  private func compare(_ tensor: LocatedTensor?, _ expected: Interop.Expected, _ file: String) throws {
    guard let tensor else {
      Issue.record("\(file): no tensor '\(expected.name)'")
      return
    }
    #expect(tensor.dtype == expected.dtype, "\(file) \(expected.name)")
    #expect(tensor.shape == expected.shape, "\(file) \(expected.name)")
    #expect(try tensor.loadBytes() == expected.bytes, "\(file) \(expected.name)")
  }

  @Test func numpyWritesNpyWeRead() throws {
    let dir = TemporaryDirectory()
    let entries = try Interop.make("npy", in: dir)
    #expect(entries.count > 50)
    for entry in entries {
      try compare(try Npy.read(path: entry.path), entry.tensors[0], entry.path)
    }
  }

  @Test func numpyWritesNpzWeRead() throws {
    let dir = TemporaryDirectory()
    for entry in try Interop.make("npz", in: dir) {
      let tensors = try Npz.read(path: entry.path)
      #expect(tensors.map(\.name).sorted() == entry.tensors.map(\.name).sorted(), "\(entry.path)")
      for expected in entry.tensors { try compare(tensors.first { $0.name == expected.name }, expected, entry.path) }
    }
  }

  @Test func safetensorsWritesWeRead() throws {
    let dir = TemporaryDirectory()
    for entry in try Interop.make("safetensors", in: dir) {
      let contents = try Safetensors.read(path: entry.path)
      #expect(contents.tensors.map(\.name).sorted() == entry.tensors.map(\.name).sorted(), "\(entry.path)")
      for expected in entry.tensors { try compare(contents.tensor(named: expected.name), expected, entry.path) }
      let metadata = entry.metadata.map { ($0.key, $0.value.stringValue ?? "") }
      #expect(contents.metadata.map(\.key).sorted() == metadata.map(\.0).sorted())
      for (key, value) in metadata { #expect(contents.metadata(key) == value) }
      if entry.kind == "latent" {
        #expect(ComfyLatent.isLatent(contents))
        #expect(try ComfyLatent.samples(of: contents).scale == 1)
      }
    }
  }

  @Test func pillowWritesPNGsWeRead() throws {
    let dir = TemporaryDirectory()
    let entries = try Interop.make("png", in: dir)
    #expect(entries.count == 16)
    for entry in entries {
      let decoded = try PNGDecoder.decode(path: entry.path)
      try compare(decoded.image, entry.tensors[0], entry.path)
    }
  }

  @Test func numpyReadsOurNpyAndNpz() throws {
    let dir = TemporaryDirectory()
    let manifest = Interop.Manifest(dir)
    var all: [LocatedTensor] = []
    for dtype in DType.allCases where dtype != .bfloat16 {
      for (k, shape) in testShapes.enumerated() {
        let tensor = try randomTensor("\(dtype.rawValue)_\(k)", dtype, shape, seed: UInt64(k + 7))
        try Npy.write(tensor, to: dir.file("\(tensor.name).npy"))
        try manifest.add(file: "\(tensor.name).npy", kind: "npy", tensors: [tensor])
        all.append(tensor)
      }
    }
    let big = try randomTensor("big", .float32, [1, 512, 512, 4], seed: 3)
    try Npy.write(big, to: dir.file("big.npy"))
    try manifest.add(file: "big.npy", kind: "npy", tensors: [big])
    for (file, compressed, zip64) in [
      ("s.npz", false, false), ("d.npz", true, false), ("z.npz", false, true), ("dz.npz", true, true),
    ] {
      try Npz.write(all + [big], to: dir.file(file), compressed: compressed, forceZip64: zip64)
      try manifest.add(file: file, kind: "npz", tensors: all + [big])
    }
    try writeSparseArchive(dir.file("sparse.npz"))
    let sparse = try [("a", UInt64(5)), ("b", 6)].map { try randomTensor($0.0, .int16, [3, 3], seed: $0.1) }
    try manifest.add(file: "sparse.npz", kind: "npz", tensors: sparse)
    let (status, output) = try manifest.check()
    #expect(status == 0, "\(output)")
  }

  @Test func safetensorsReadsOurFiles() throws {
    let dir = TemporaryDirectory()
    let manifest = Interop.Manifest(dir)
    var all: [LocatedTensor] = []
    for dtype in DType.allCases {
      for (k, shape) in testShapes.enumerated() {
        all.append(try randomTensor("\(dtype.rawValue)_\(k)", dtype, shape, seed: UInt64(k + 11)))
      }
    }
    let metadata = [(key: "format", value: "pt"), (key: "note", value: "ünïcode ✓ \"quoted\"")]
    try Safetensors.write(all, metadata: metadata, to: dir.file("all.safetensors"))
    try manifest.add(
      file: "all.safetensors", kind: "safetensors", tensors: all,
      extra: ["metadata": .object(JSONObject(metadata.map { ($0.key, JSON.string($0.value)) }))])
    let numeric = all.filter { $0.dtype != .bfloat16 }
    try Safetensors.write(numeric, to: dir.file("plain.safetensors"))
    try manifest.add(file: "plain.safetensors", kind: "safetensors", tensors: numeric)
    let samples = try randomTensor("samples", .float32, [2, 4, 32, 32], seed: 5)
    try ComfyLatent.write(samples: samples, metadata: [("prompt", "{}")], to: dir.file("x.latent"))
    var latent = samples
    latent.name = ComfyLatent.tensorName
    let marker = try LocatedTensor(name: ComfyLatent.versionMarker, dtype: .float32, shape: [0], owned: [])
    try manifest.add(
      file: "x.latent", kind: "latent", tensors: [latent, marker], extra: ["metadata": ["prompt": "{}"]])
    let (status, output) = try manifest.check()
    #expect(status == 0, "\(output)")
  }

  @Test func pillowReadsOurPNGs() throws {
    let dir = TemporaryDirectory()
    let manifest = Interop.Manifest(dir)
    var random = TestRandom(seed: 21)
    var cases: [LocatedTensor] = []
    for channels in [1, 3, 4] {
      cases.append(
        try LocatedTensor(
          name: "f\(channels)", dtype: .float32, shape: [2, 19, 23, channels],
          owned: random.unitFloats(2 * 19 * 23 * channels)))
      cases.append(
        try LocatedTensor(
          name: "u\(channels)", dtype: .uint8, shape: [1, 8, 5, channels],
          owned: random.bytes(8 * 5 * channels)))
    }
    cases.append(
      try LocatedTensor(name: "mask", dtype: .float32, shape: [3, 16, 9], owned: random.unitFloats(3 * 16 * 9)))
    cases.append(
      try LocatedTensor(name: "bool", dtype: .bool, shape: [1, 4, 4], owned: random.bytes(16).map { $0 & 1 }))
    let outOfRange = PNGDecoder.floatBytes([-1, 2, .nan, 0.5, 1 / 510, 0.999, .infinity, -.infinity, 0.25])
    cases.append(try LocatedTensor(name: "clamp", dtype: .float32, shape: [1, 3, 3, 1], owned: outOfRange))
    let text = [(key: "prompt", value: "{\"1\": {}}"), (key: "workflow", value: "ünïcode ✓")]
    for (k, tensor) in cases.enumerated() {
      let filter: UInt8? = k < 5 ? UInt8(k) : nil
      let files = try PNGEncoder.encode(tensor, filter: filter, text: text)
      var names: [JSON] = []
      for (item, bytes) in files.enumerated() {
        let name = "\(tensor.name)_\(item).png"
        try writeFile(dir.file(name), bytes)
        names.append(.string(name))
      }
      try manifest.add(
        file: tensor.name, kind: "png", tensors: [tensor],
        extra: ["pngs": .array(names), "text": .object(JSONObject(text.map { ($0.key, JSON.string($0.value)) }))])
    }
    let (status, output) = try manifest.check()
    #expect(status == 0, "\(output)")
  }
}
