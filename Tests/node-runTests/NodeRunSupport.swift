import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The venv the tests run nodes in (numpy 1.26.4, made by `make test`) and the fixture node pack.
enum NodeVenv {
  /// `$PIPES_NODE_VENV`, else `.build/node-venv`; `nil` when neither holds a venv.
  static let directory: String? = {
    if let dir = Environment.current["PIPES_NODE_VENV"], !dir.isEmpty { return dir }
    let local = "\(Products.root)/.build/node-venv"
    return access("\(local)/bin/python", X_OK) == 0 ? local : nil
  }()
  /// Set by `make test`: a missing venv is then a failure, not a skip.
  static let required = Environment.current["PIPES_NODE_VENV"].map { !$0.isEmpty } ?? false
  static let enabled = directory != nil || required
  static let skipReason: Comment =
    "no node venv: run `make test` (it makes .build/node-venv with numpy==1.26.4) or set PIPES_NODE_VENV"

  static var path: String { directory ?? "/nonexistent-node-venv" }
  static let pack = "\(Products.root)/Tests/node-runTests/Fixtures/nodepack"
  static let fixtures = "\(Products.root)/Tests/node-runTests/Fixtures"

  /// A Python with numpy 2 for the host side: `$PIPES_TEST_PYTHON`, else `python3`.
  static let hostPython = Environment.current["PIPES_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
}

/// Runs node-run on the fixture pack with the test venv.
func nodeRun(
  _ arguments: [String], lines: [String], environment: [String: String?] = [:], timeout: Double = 120
) throws -> CapturedRun {
  try Products.run(
    "node-run", ["--venv", NodeVenv.path, "--path", NodeVenv.pack] + arguments,
    input: lines.map { $0 + "\n" }.joined(), environment: environment, timeout: timeout)
}

/// A call record's line.
func callLine(_ id: Int, function: String? = nil, node: String? = nil, args: JSONObject = [:]) -> String {
  var record: JSONObject = ["type": "call", "id": .int(id)]
  if let function { record["function"] = .string("test_pack.functions:\(function)") }
  if let node { record["node"] = .string("test_pack.nodes:\(node)") }
  record["args"] = .object(args)
  return JSON.object(record).serialized
}

/// A tensor record over a new shared-memory segment holding `bytes`, made here as a producer
/// would (tensor-pack, the host module).
func shmTensor(_ name: String, _ dtype: DType, _ shape: [Int], bytes: [UInt8], layout: String? = nil) throws
  -> JSONObject
{
  let (storage, region) = try SharedMemory.create(nbytes: bytes.count)
  bytes.withUnsafeBytes { region.mutableBytes.copyMemory(from: $0) }
  return TensorRecord(name: name, dtype: dtype, shape: shape, layout: layout, storage: storage).record
}

/// The bytes of a tensor record, consumed (its segment unlinked) as tensor-pack would.
func consumeTensor(_ json: JSON?) throws -> (TensorRecord, [UInt8]) {
  let record = try TensorRecord(record: try #require(json?.objectValue))
  let region = try SharedMemory.map(record.storage, consume: true)
  return (record, region.withBytes { Array($0) })
}

/// Whether a segment still exists.
func segmentExists(_ record: JSONObject) -> Bool {
  guard let name = record["storage"]?["name"]?.stringValue else { return false }
  return access("/dev/shm\(name)", F_OK) == 0
}

/// Little-endian bytes of values.
func leBytes<T: FixedWidthInteger>(_ values: [T]) -> [UInt8] {
  values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }
}

func floatBytes(_ values: [Float]) -> [UInt8] { leBytes(values.map(\.bitPattern)) }

extension CapturedRun {
  /// The record with this id and type.
  func record(_ id: Int, _ type: String = "result") -> JSONObject? {
    records.first { $0["id"] == .int(id) && $0.type == type }
  }
}

extension JSON {
  /// An array's element, or `nil`.
  subscript(index: Int) -> JSON? {
    guard let items = arrayValue, items.indices.contains(index) else { return nil }
    return items[index]
  }
}
