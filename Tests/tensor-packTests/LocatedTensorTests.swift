import Glibc
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct LocatedTensorTests {
  @Test func locatedTensorRefusesMismatchedSizes() {
    #expect(throws: TensorFormatError.self) {
      try LocatedTensor(name: "x", dtype: .float32, shape: [2], owned: [0, 0, 0])
    }
    #expect(throws: TensorFormatError.self) {
      try LocatedTensor(name: "x", dtype: .uint8, shape: [2], bytes: .file(path: "/x", offset: -1, nbytes: 2))
    }
  }

  @Test func fileTensorsCheckTheirRangeBeforeMapping() throws {
    let dir = TemporaryDirectory()
    try writeFile(dir.file("f"), Array(0..<16))
    let inside = try LocatedTensor(
      name: "a", dtype: .int32, shape: [2], bytes: .file(path: dir.file("f"), offset: 8, nbytes: 8))
    #expect(try inside.loadBytes() == Array(8..<16))
    let outside = try LocatedTensor(
      name: "b", dtype: .int32, shape: [2], bytes: .file(path: dir.file("f"), offset: 12, nbytes: 8))
    #expect(throws: TensorFormatError.self) { try outside.loadBytes() }
  }

  @Test func fileBytesBecomeFileStorage() throws {
    let tensor = try LocatedTensor(
      name: "a", dtype: .int32, shape: [2], bytes: .file(path: "/x", offset: 64, nbytes: 8))
    #expect(tensor.bytes.storage == .file(path: "/x", offset: 64, nbytes: 8))
    #expect(try LocatedTensor(name: "b", dtype: .uint8, shape: [1], owned: [1]).bytes.storage == nil)
  }

  /// The unpack direction: a record's shared-memory segment, mapped by PipeKit, written to a new
  /// file in a directory, which takes the first free name only when it is complete.
  @Test func writesMappedSegmentsIntoNewFiles() throws {
    let dir = TemporaryDirectory()
    let source = try randomTensor("s", .float32, [4, 8], seed: 31)
    let (storage, writable) = try SharedMemory.create(nbytes: source.nbytes)
    defer { SharedMemory.release(storage) }
    try source.withBytes { writable.mutableBytes.copyMemory(from: $0) }
    let region = try SharedMemory.map(storage, consume: false)
    let mapped = try LocatedTensor(name: "s", dtype: .float32, shape: [4, 8], bytes: .mapped(region))
    #expect(mapped.bytes == .mapped(region))
    try writeFile(dir.file("s.npy"), [1])
    let out = try OutputFile(directory: dir.path, stem: "s", ext: "npy", overwrite: false)
    try Npy.write(mapped, into: out)
    #expect(out.path == dir.file("s-1.npy"), "a name taken is never written over")
    #expect(try Npy.read(path: out.path).loadBytes() == source.loadBytes())
    #expect(try readFile(dir.file("s.npy")) == [1])
    #expect(listDirectoryNames(dir.path) == ["s-1.npy", "s.npy"], "no temporary file is left")
  }

  @Test func abandonedOutputFilesLeaveNothingBehind() throws {
    let dir = TemporaryDirectory()
    do {
      let out = try OutputFile(path: dir.file("x.bin"))
      try out.write([1, 2, 3])
    }
    do {
      let out = try OutputFile(directory: dir.path, stem: "y", ext: "bin", overwrite: false)
      try out.write([1])
      #expect(listDirectoryNames(dir.path) == [".y.bin.tensor-pack-\(getpid()).part"], "nothing under the name")
    }
    #expect(listDirectoryNames(dir.path) == [])
    #expect(throws: TensorFormatError.self) {
      try Npy.write(randomTensor("b", .bfloat16, [2]), to: dir.file("b.npy"))
    }
    #expect(listDirectoryNames(dir.path) == [])
  }
}
