import Foundation
import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

enum Fixtures {
  static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    .path
}

extension TestRandom {
  /// Floats in 0…1, as little-endian bytes.
  mutating func unitFloats(_ count: Int) -> [UInt8] {
    PNGDecoder.floatBytes((0..<count).map { _ in Float(next() >> 40) / Float(1 << 24) })
  }
}

/// A tensor of `dtype` and `shape` over random bytes (bool elements kept to 0 and 1).
func randomTensor(_ name: String, _ dtype: DType, _ shape: [Int], seed: UInt64 = 1) throws -> LocatedTensor {
  var random = TestRandom(seed: seed)
  var bytes = random.bytes(try dtype.byteCount(shape: shape))
  if dtype == .bool { bytes = bytes.map { $0 & 1 } }
  return try LocatedTensor(name: name, dtype: dtype, shape: shape, owned: bytes)
}

/// The shapes every round trip covers: 0-d, empty, and ordinary ones.
let testShapes: [[Int]] = [[], [0], [2, 0, 3], [7], [2, 3, 4]]

/// Runs the Python interop helper with the interpreter named by `PIPES_TEST_PYTHON`.
enum Interop {
  static let python = ProcessInfo.processInfo.environment["PIPES_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
  static let skipReason: Comment =
    "PIPES_TEST_PYTHON is not set; point it at a python with numpy, safetensors and pillow to run interop tests"
  static var script: String { Fixtures.directory + "/interop.py" }

  /// Runs `interop.py arguments…`; returns its exit status and combined output.
  static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
    guard let python else { throw TensorFormatError.io("PIPES_TEST_PYTHON is not set") }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
  }

  /// One expected tensor from a manifest the helper wrote.
  struct Expected {
    var name: String
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]
  }

  /// Runs `make KIND DIR` and returns the manifest's entries: file path, kind, metadata, tensors.
  static func make(_ kind: String, in directory: TemporaryDirectory) throws
    -> [(path: String, kind: String, metadata: JSONObject, tensors: [Expected])]
  {
    let (status, output) = try run(["make", kind, directory.path])
    guard status == 0 else { throw TensorFormatError.io("interop.py make \(kind) failed: \(output)") }
    let manifest = try JSON.parse(try readFile(directory.file("manifest.json")))
    return try (manifest["entries"]?.arrayValue ?? []).map { entry in
      let tensors = try (entry["tensors"]?.arrayValue ?? []).map { t in
        Expected(
          name: t["name"]?.stringValue ?? "", dtype: DType(rawValue: t["dtype"]?.stringValue ?? "") ?? .uint8,
          shape: t["shape"]?.arrayValue?.compactMap(\.intValue) ?? [],
          bytes: try readFile(directory.file(t["bin"]?.stringValue ?? "")))
      }
      return (
        directory.file(entry["file"]?.stringValue ?? ""), entry["kind"]?.stringValue ?? "",
        entry["metadata"]?.objectValue ?? [:], tensors
      )
    }
  }

  /// Writes `manifest.json` for `check`, with each tensor's expected bytes beside it.
  final class Manifest {
    private var entries: [JSON] = []
    let directory: TemporaryDirectory

    init(_ directory: TemporaryDirectory) { self.directory = directory }

    func add(file: String, kind: String, tensors: [LocatedTensor], extra: JSONObject = [:]) throws {
      var list: [JSON] = []
      for tensor in tensors {
        let bin = "\(entries.count)-\(list.count).bin"
        try writeFile(directory.file(bin), try tensor.loadBytes())
        list.append([
          "name": .string(tensor.name), "dtype": .string(tensor.dtype.rawValue),
          "shape": .array(tensor.shape.map { .int($0) }), "bin": .string(bin),
        ])
      }
      var entry: JSONObject = ["file": .string(file), "kind": .string(kind), "tensors": .array(list)]
      for (key, value) in extra { entry[key] = value }
      entries.append(.object(entry))
    }

    /// Runs `check` over everything added; returns its status and output.
    func check() throws -> (status: Int32, output: String) {
      try writeFile(directory.file("manifest.json"), Array(JSON.object(["entries": .array(entries)]).serialized.utf8))
      return try Interop.run(["check", directory.path])
    }
  }
}
