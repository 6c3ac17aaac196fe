import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

@Suite struct NpzTests {
  private func allTensors() throws -> [LocatedTensor] {
    var tensors: [LocatedTensor] = []
    for dtype in DType.allCases where dtype != .bfloat16 {
      for (k, shape) in testShapes.enumerated() {
        tensors.append(try randomTensor("\(dtype.rawValue)_\(k)", dtype, shape, seed: UInt64(k + 2)))
      }
    }
    return tensors
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func roundTripsEveryDtypeAndShape(compressed: Bool, zip64: Bool) throws {
    let dir = TemporaryDirectory()
    let tensors = try allTensors()
    try Npz.write(tensors, to: dir.file("a.npz"), compressed: compressed, forceZip64: zip64)
    let back = try Npz.read(path: dir.file("a.npz"))
    #expect(back.map(\.name) == tensors.map(\.name))
    for (a, b) in zip(tensors, back) {
      #expect(a.dtype == b.dtype && a.shape == b.shape)
      #expect(try a.loadBytes() == b.loadBytes())
      switch b.bytes {
      case .file(let path, _, _): #expect(!compressed && path == dir.file("a.npz"))
      case .owned: #expect(compressed)
      case .mapped: Issue.record("readers never return mapped bytes")
      }
    }
  }

  @Test func multiMegabyteDeflatedRoundTrip() throws {
    let dir = TemporaryDirectory()
    let noisy = try randomTensor("noisy", .float32, [1, 4, 256, 256], seed: 12)
    let zeros = try LocatedTensor(
      name: "zeros", dtype: .float64, shape: [1000, 1000], owned: [UInt8](repeating: 0, count: 8_000_000))
    try Npz.write([noisy, zeros], to: dir.file("big.npz"), compressed: true)
    let back = try Npz.read(path: dir.file("big.npz"))
    #expect(try back[0].loadBytes() == noisy.loadBytes())
    #expect(try back[1].loadBytes() == zeros.loadBytes())
  }

  @Test func unicodeNamesAndDuplicates() throws {
    let dir = TemporaryDirectory()
    let tensor = try randomTensor("bild_ü", .uint8, [3])
    try Npz.write([tensor], to: dir.file("u.npz"), compressed: false)
    #expect(try Npz.read(path: dir.file("u.npz")).map(\.name) == ["bild_ü"])
    #expect(throws: TensorFormatError.self) {
      try Npz.write([tensor, tensor], to: dir.file("d.npz"), compressed: false)
    }
    #expect(!FileManagerShim.exists(dir.file("d.npz")))
  }

  /// Written by Python's zipfile to an unseekable stream: every member is followed by a data
  /// descriptor and has zero sizes in its local header; `y` is a big-endian Fortran-order array.
  @Test func readsArchivesWithDataDescriptors() throws {
    let tensors = try Npz.read(path: Fixtures.directory + "/npz/descriptors.npz")
    #expect(tensors.map(\.name) == ["x", "y"])
    var x: [UInt8] = []
    var y: [UInt8] = []
    for v in 0..<21 {
      x.appendLE(Int16(v))
      y.appendLE(Int32(-v))
    }
    #expect(tensors[0].dtype == .int16 && tensors[0].shape == [7, 3])
    #expect(try tensors[0].loadBytes() == x)
    #expect(tensors[1].dtype == .int32 && tensors[1].shape == [7, 3])
    #expect(try tensors[1].loadBytes() == y)
    guard case .file = tensors[0].bytes else {
      Issue.record("a stored member needing no conversion is referenced in place")
      return
    }
  }

  /// A member whose local header and data sit beyond 4 GiB (in a sparse file) needs zip64
  /// offsets in the central directory; both the writer and the reader must get them right.
  @Test func membersBeyondFourGiB() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("sparse.npz")
    try writeSparseArchive(path)
    let back = try Npz.read(path: path)
    #expect(back.count == 2)
    guard case .file(_, let offset, _) = back[1].bytes else {
      Issue.record("stored member should be referenced in place")
      return
    }
    #expect(offset > 5 << 30)
    #expect(try back[1].loadBytes() == randomTensor("b", .int16, [3, 3], seed: 6).loadBytes())
  }
}

/// Writes an archive whose first member starts after a 5 GiB hole.
func writeSparseArchive(_ path: String) throws {
  let out = try OutputFile(path: path)
  try out.skip(5 << 30)
  var zip = ZipWriter(out: out)
  for (name, seed) in [("a", UInt64(5)), ("b", 6)] {
    let tensor = try randomTensor(name, .int16, [3, 3], seed: seed)
    let header = try NpyHeader.encode(dtype: tensor.dtype, shape: tensor.shape)
    let body = try tensor.loadBytes()
    try header.withUnsafeBytes { h in
      try body.withUnsafeBytes { b in try zip.add(name: name + ".npy", method: .stored, parts: [h, b]) }
    }
  }
  try zip.finish()
  try out.commit()
}

enum FileManagerShim {
  static func exists(_ path: String) -> Bool { (try? InputFile(path: path)) != nil }
}
