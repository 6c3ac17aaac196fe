import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct SafetensorsTests {
  @Test func roundTripsEveryDtypeAndShape() throws {
    let dir = TemporaryDirectory()
    var tensors: [LocatedTensor] = []
    for dtype in DType.allCases {
      for (k, shape) in testShapes.enumerated() {
        tensors.append(try randomTensor("\(dtype.rawValue)_\(k)", dtype, shape, seed: UInt64(k + 3)))
      }
    }
    let metadata = [(key: "z", value: "last"), (key: "a", value: "ünïcode \"q\"\n")]
    let path = dir.file("all.safetensors")
    try Safetensors.write(tensors, metadata: metadata, to: path)
    let back = try Safetensors.read(path: path)
    #expect(back.metadata.map(\.key) == ["z", "a"])
    #expect(back.metadata.map(\.value) == metadata.map(\.value))
    #expect(back.tensors.count == tensors.count)
    let headerLength = Int(try readFile(path).loadLE(UInt64.self, at: 0))
    #expect(headerLength % 8 == 0)
    for tensor in tensors {
      let found = try #require(back.tensor(named: tensor.name))
      #expect(found.dtype == tensor.dtype && found.shape == tensor.shape)
      #expect(try found.loadBytes() == tensor.loadBytes())
      guard case .file(_, let offset, _) = found.bytes else {
        Issue.record("safetensors tensors are referenced in place")
        continue
      }
      #expect((offset - 8 - headerLength) % tensor.dtype.itemSize == 0)
    }
  }

  @Test func multiMegabyteRoundTrip() throws {
    let dir = TemporaryDirectory()
    let big = try randomTensor("big", .float16, [1, 16, 256, 256], seed: 4)
    try Safetensors.write([big], to: dir.file("big.safetensors"))
    let back = try Safetensors.read(path: dir.file("big.safetensors"))
    #expect(try back.tensors[0].loadBytes() == big.loadBytes())
    #expect(back.metadata.isEmpty)
  }

  @Test func repeatedOrReservedNamesAreRefused() throws {
    let dir = TemporaryDirectory()
    let a = try randomTensor("a", .uint8, [1])
    let reserved = try randomTensor("__metadata__", .uint8, [1])
    #expect(throws: TensorFormatError.self) { try Safetensors.write([a, a], to: dir.file("x.safetensors")) }
    #expect(throws: TensorFormatError.self) { try Safetensors.write([reserved], to: dir.file("x.safetensors")) }
  }

  @Test func latentFiles() throws {
    let dir = TemporaryDirectory()
    let samples = try randomTensor("samples", .float32, [1, 4, 8, 8], seed: 2)
    try ComfyLatent.write(samples: samples, metadata: [("prompt", "{}")], to: dir.file("x.latent"))
    let contents = try Safetensors.read(path: dir.file("x.latent"))
    #expect(ComfyLatent.isLatent(contents) && ComfyLatent.hasVersionMarker(contents))
    let (found, scale) = try ComfyLatent.samples(of: contents)
    #expect(found.name == "latent_tensor" && scale == 1)
    #expect(try found.loadBytes() == samples.loadBytes())
    #expect(contents.tensor(named: "latent_format_version_0")?.shape == [0])
    #expect(contents.metadata("prompt") == "{}")

    var old = samples
    old.name = "latent_tensor"
    try Safetensors.write([old], to: dir.file("old.latent"))
    let legacy = try Safetensors.read(path: dir.file("old.latent"))
    #expect(try ComfyLatent.samples(of: legacy).scale == ComfyLatent.legacyScale)
    try Safetensors.write([samples], to: dir.file("plain.safetensors"))
    let plain = try Safetensors.read(path: dir.file("plain.safetensors"))
    #expect(!ComfyLatent.isLatent(plain))
    #expect(throws: TensorFormatError.self) { try ComfyLatent.samples(of: plain) }
  }
}
