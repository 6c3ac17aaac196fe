import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Tensors into a call from shared memory and back through new segments, bytes intact.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct TensorRoundTripTests {
  static let cases: [(DType, [Int], [UInt8])] = [
    (.float32, [1, 8, 8, 3], floatBytes((0..<192).map { Float($0) / 191 })),
    (.uint8, [2, 3, 5], (0..<30).map { UInt8($0 * 8) }),
    (.float16, [4, 4], leBytes((0..<16).map { UInt16(0x3C00 + $0) })),
    (.int64, [3, 2], leBytes([Int64.min, -1, 0, 1, 1 << 40, Int64.max])),
    (.uint16, [2, 2], leBytes([0, 1, 0x8000, 0xFFFF] as [UInt16])),
    (.uint32, [3], leBytes([0, 0x8000_0000, UInt32.max])),
    (.uint64, [3], leBytes([0, UInt64(1) << 63, UInt64.max])),
    // 0-d tensors stay 0-d (numpy's ascontiguousarray would make them 1-d).
    (.uint16, [], leBytes([0xFFFF] as [UInt16])),
    (.float64, [], leBytes([(0.25 as Double).bitPattern])),
  ]

  @Test func dtypesComeBackByteForByte() throws {
    var lines: [String] = []
    var inputs: [JSONObject] = []
    for (k, (dtype, shape, bytes)) in Self.cases.enumerated() {
      let tensor = try shmTensor("x", dtype, shape, bytes: bytes, layout: dtype == .float32 ? "image" : nil)
      inputs.append(tensor)
      lines.append(callLine(k, function: "echo", args: ["x": .object(tensor), "k": .int(k)]))
    }
    let run = try nodeRun([], lines: lines)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    for (k, (dtype, shape, bytes)) in Self.cases.enumerated() {
      #expect(!segmentExists(inputs[k]), "the worker unlinked the input segment it consumed")
      let output = try #require(run.record(k)?["outputs"]?[0])
      #expect(output["k"] == .int(k))
      let (record, got) = try consumeTensor(output["x"])
      #expect(record.dtype == dtype && record.shape == shape && record.name == "x")
      #expect(got == bytes, "\(dtype) bytes")
      guard case .shm(let name, _, _) = record.storage else {
        Issue.record("output storage is not shm")
        continue
      }
      #expect(name.hasPrefix("/cpipes-"))
    }
  }

  @Test func bfloat16WithoutTorchIsAClearErrorAndTheSegmentIsReleased() throws {
    let tensor = try shmTensor("x", .bfloat16, [2, 2], bytes: leBytes([0x3F80, 0x4000, 0x4040, 0x4080] as [UInt16]))
    let run = try nodeRun(
      ["--call", "test_pack.functions:describe"], lines: [callLine(1, args: ["x": .object(tensor)]), callLine(2)])
    let error = try #require(run.record(1, "error"), "\(run.stdoutText)")
    #expect(error["code"] == "bad-tensor")
    #expect(error["message"]?.stringValue?.contains("--tensors torch") == true, "\(error)")
    #expect(!segmentExists(tensor), "the input segment is released all the same")
    #expect(run.record(2, "error")?["code"] == "exception", "the worker stays up (describe() needs x)")
  }

  @Test func theWorkerSeesWritableNumpyArraysOfTheRightKind() throws {
    let tensor = try shmTensor("x", .int64, [3, 2], bytes: leBytes([1, 2, 3, 4, 5, 6] as [Int64]))
    let run = try nodeRun(
      ["--call", "test_pack.functions:describe"], lines: [callLine(1, args: ["x": .object(tensor)])])
    let answer = try #require(run.record(1)?["outputs"]?[0], "\(run.stderrText)")
    #expect(answer["dtype"] == "int64")
    #expect(answer["shape"] == [3, 2])
    #expect(answer["sum"]?.doubleValue == 21)
    #expect(answer["writeable"] == true)
    #expect(answer["type"] == "numpy")
  }

  @Test func nestedLatentOutput() throws {
    let run = try nodeRun(
      ["--node", "test_pack.nodes:MakeLatent"], lines: [callLine(1, args: ["width": 32, "height": 16, "batch": 2])])
    let samples = try #require(run.record(1)?["outputs"]?[0]?["samples"], "\(run.stderrText)")
    let (record, bytes) = try consumeTensor(samples)
    #expect(record.layout == "latent" && record.name == "samples")
    #expect(record.shape == [2, 4, 2, 4] && record.dtype == .float32)
    #expect(bytes == floatBytes((0..<64).map(Float.init)))
  }

  @Test func sixtyFourMiBTensor() throws {
    let count = 16 << 20
    var values = [Float](repeating: 0.5, count: count)
    values[0] = 2
    values[count - 1] = 3
    let tensor = try shmTensor("big", .float32, [count], bytes: floatBytes(values))
    let run = try nodeRun(
      ["--call", "test_pack.functions:checksum"], lines: [callLine(1, args: ["x": .object(tensor)])])
    let outputs = try #require(run.record(1)?["outputs"]?.arrayValue, "\(run.stderrText)")
    #expect(outputs[0].doubleValue == Double(count - 2) * 0.5 + 5)
    #expect(outputs[1].doubleValue == 2 && outputs[2].doubleValue == 3)
    let (record, bytes) = try consumeTensor(outputs[3])
    #expect(record.shape == [count] && bytes.count == 64 << 20)
    #expect(Array(bytes.prefix(8)) == floatBytes([3, 1.5]) && Array(bytes.suffix(4)) == floatBytes([4]))
  }

  @Test func pngThroughANodeAndBackToPNG() throws {
    let out = try TemporaryDirectory.shared.directory("png-\(UInt32.random(in: 0...UInt32.max))")
    let png = "\(Products.root)/Tests/tensor-packTests/Fixtures/png/rgb8_interlaced.png"
    let run = try Products.shell(
      "tensor-pack '\(png)' | node-run --venv '\(NodeVenv.path)' --path '\(NodeVenv.pack)' "
        + "--node test_pack.nodes:Invert --input image | tensor-pack --unpack -o '\(out)'")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let files = run.records.filter { $0.type == "file" }
    #expect(files.map { $0["name"] } == ["inverted"], "\(run.stdoutText)")
    #expect(files.first?["path"]?.stringValue?.hasSuffix("inverted.png") == true)
  }

  @Test func badTensorRecordsAreRefusedBeforeTheWorker() throws {
    var tensor = try shmTensor("x", .float32, [2], bytes: floatBytes([1, 2]))
    tensor["shape"] = [3]
    let run = try nodeRun(["--call", "test_pack.functions:echo"], lines: [callLine(1, args: ["x": .object(tensor)])])
    #expect(run.exit == .exited(1))
    #expect(run.record(1, "error")?["code"] == "bad-tensor")
    #expect(!segmentExists(tensor), "a refused call's input segment is released")
  }

  /// The worker consumes (unlinks) the segments a call names, so a call that names a file of the
  /// user's as a file-backed segment is refused and the file left alone.
  @Test func aCallNamingAFileAsASegmentRemovesNothing() throws {
    let victim = try TemporaryDirectory.shared.write("victim-\(UInt32.random(in: 0...UInt32.max)).txt", "keep me!")
    let tensor: JSONObject = [
      "type": "tensor", "dtype": "uint8", "shape": [8],
      "storage": ["kind": "shm", "path": .string(victim), "offset": 0, "nbytes": 8],
    ]
    let run = try nodeRun(["--call", "test_pack.functions:echo"], lines: [callLine(1, args: ["x": .object(tensor)])])
    #expect(run.exit == .exited(1))
    #expect(run.record(1, "error")?["code"] == "bad-tensor", "\(run.stdoutText)")
    #expect(readTextFileIfPresent(victim) == "keep me!")
  }

  /// A FIFO named as a tensor's file storage is refused at once instead of hanging the worker.
  @Test func aFIFOAsStorageIsAnErrorNotAHang() throws {
    let fifo = "\(TemporaryDirectory.shared.path)/fifo-\(UInt32.random(in: 0...UInt32.max))"
    #expect(mkfifo(fifo, 0o600) == 0)
    let tensor: JSONObject = [
      "type": "tensor", "dtype": "uint8", "shape": [4],
      "storage": ["kind": "file", "path": .string(fifo), "offset": 0, "nbytes": 4],
    ]
    let run = try nodeRun(
      ["--timeout", "20", "--call", "test_pack.functions:echo"], lines: [callLine(1, args: ["x": .object(tensor)])])
    #expect(run.record(1, "error")?["code"] == "bad-tensor", "\(run.stdoutText)")
    #expect(run.record(1, "error")?["message"]?.stringValue?.contains("not a regular file") == true)
  }
}

/// `--tensors torch`, against a stand-in torch (Fixtures/torch_standin) where real torch is absent:
/// arguments arrive as torch tensors over the mapped segment, torch tensors go back as records.
@Suite(.enabled(if: NodeVenv.enabled, NodeVenv.skipReason))
struct TorchTensorTests {
  let torchPath = "\(NodeVenv.fixtures)/torch_standin"

  @Test func argumentsArriveAsTorchTensorsOverTheSegmentAndComeBack() throws {
    let values: [Float] = [0.5, 1, 1.5, 2, 2.5, 3]
    let tensor = try shmTensor("x", .float32, [1, 1, 2, 3], bytes: floatBytes(values), layout: "image")
    let run = try nodeRun(
      ["--tensors", "torch", "--path", torchPath, "--call", "test_pack.functions:torch_double"],
      lines: [callLine(1, args: ["x": .object(tensor)])])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let output = try #require(run.record(1)?["outputs"]?[0], "\(run.stdoutText)")
    #expect(output["kind"] == "torch.Tensor")
    #expect(output["over_the_mapping"] == .bool(true), "the tensor wraps the mapped memory, not a copy")
    let (record, bytes) = try consumeTensor(output["doubled"])
    #expect(record.dtype == .float32 && record.shape == [1, 1, 2, 3])
    #expect(bytes == floatBytes(values.map { $0 * 2 }))
    #expect(!segmentExists(tensor))
  }

  @Test func bfloat16GoesBothWaysAsTorchBfloat16() throws {
    let bits: [UInt16] = [0x3F80, 0x4000, 0xC040, 0x7F80]
    let tensor = try shmTensor("x", .bfloat16, [2, 2], bytes: leBytes(bits))
    let run = try nodeRun(
      ["--tensors", "torch", "--path", torchPath, "--call", "test_pack.functions:torch_bfloat16"],
      lines: [callLine(1, args: ["x": .object(tensor)])])
    let output = try #require(run.record(1)?["outputs"]?[0], "\(run.stdoutText) \(run.stderrText)")
    let (record, bytes) = try consumeTensor(output)
    #expect(record.dtype == .bfloat16 && record.shape == [2, 2])
    #expect(bytes == leBytes(bits))
  }

  @Test func unsignedWithATorchThatLacksThemIsAClearError() throws {
    // The stand-in torch has no torch.uint16, as torch before 2.3 has none.
    let tensor = try shmTensor("x", .uint16, [2], bytes: leBytes([1, 0xFFFF] as [UInt16]))
    let run = try nodeRun(
      ["--tensors", "torch", "--path", torchPath, "--call", "test_pack.functions:torch_double"],
      lines: [callLine(1, args: ["x": .object(tensor)]), callLine(2)])
    let error = try #require(run.record(1, "error"), "\(run.stdoutText) \(run.stderrText)")
    #expect(error["code"] == "bad-tensor")
    #expect(error["message"]?.stringValue?.contains("uint16 tensors need torch 2.3") == true, "\(error)")
    #expect(!segmentExists(tensor), "the input segment is released all the same")
  }
}
