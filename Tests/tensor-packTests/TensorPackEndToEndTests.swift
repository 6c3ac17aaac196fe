import PipeKit
import TestSupport
import Testing

@testable import tensor_pack

#if canImport(Glibc)
  import Glibc
#endif

/// tensor-pack run as a program: files in, records out, records in, files out.
@Suite struct TensorPackEndToEndTests {
  let scratch = TemporaryDirectory()

  func tensorPack(_ arguments: [String], input: String? = nil) throws -> CapturedRun {
    try Products.run("tensor-pack", arguments, input: input)
  }

  func writeNpy(_ name: String, _ tensor: LocatedTensor) throws -> String {
    let path = "\(scratch.path)/\(name)"
    try Npy.write(tensor, to: path)
    return path
  }

  @Test(arguments: ["shm", "file", "inline"])
  func everyDtypeRoundTripsThroughEachStorage(to: String) throws {
    var paths: [String] = []
    var originals: [String: [UInt8]] = [:]
    for (k, dtype) in DType.allCases.filter({ $0 != .bfloat16 }).enumerated() {
      for (j, shape) in [[], [0], [3, 5], [2, 1, 4]].enumerated() {
        let tensor = try randomTensor("t\(k)_\(j)", dtype, shape, seed: UInt64(k * 10 + j + 1))
        paths.append(try writeNpy("\(to)-\(tensor.name).npy", tensor))
        originals["\(to)-\(tensor.name)"] = try tensor.loadBytes()
      }
    }
    let packed = try tensorPack(["--to", to] + paths)
    #expect(packed.exit == .exited(0), "\(packed.stderrText)")
    #expect(packed.records.count == paths.count)
    #expect(packed.records.allSatisfy { $0["storage"]?["kind"]?.stringValue == (to == "file" ? "file" : to) })
    let out = try scratch.directory("out-\(to)")
    let unpacked = try tensorPack(["--unpack", "-o", out], input: packed.stdoutText)
    #expect(unpacked.exit == .exited(0), "\(unpacked.stderrText)")
    #expect(unpacked.records.count == paths.count)
    for file in unpacked.records {
      let path = try #require(file["path"]?.stringValue)
      let name = try #require(file["name"]?.stringValue)
      #expect(try Npy.read(path: path).loadBytes() == originals[name], "\(name)")
      #expect(file["sha256"]?.stringValue == SHA256.hex(try readFile(path)))
      #expect(file["bytes"]?.intValue == (try readFile(path)).count)
    }
  }

  /// 65.6 MiB of random float32, made once for the cases below.
  static let large = Result { try randomTensor("large", .float32, [1, 4, 2048, 2101], seed: 5) }

  /// Large files are hashed while they are written (chunks on a second thread), and from 64 MiB
  /// written around the page cache (O_DIRECT, through a bounce buffer that starts with the
  /// header's partial block); the record's sha256 must still be the file's, in every format,
  /// and the tensor's bytes must be there intact after the header.
  @Test(arguments: ["npy", "safetensors", "latent"])
  func largeFilesCarryTheirOwnHash(format: String) throws {
    let tensor = try Self.large.get()
    let path = try writeNpy("large-\(format).npy", tensor)
    let packed = try tensorPack([path])
    let out = try scratch.directory("large-\(format)")
    let unpacked = try tensorPack(["--unpack", "-o", out, "--format", format], input: packed.stdoutText)
    #expect(unpacked.exit == .exited(0), "\(unpacked.stderrText)")
    let file = try #require(unpacked.records.first)
    let bytes = try readFile(try #require(file["path"]?.stringValue))
    #expect(bytes.count > 64 << 20)
    #expect(file["sha256"]?.stringValue == SHA256.hex(bytes))
    #expect(file["bytes"]?.intValue == bytes.count)
    let original = try tensor.loadBytes()
    let same = bytes.withUnsafeBytes { file in
      original.withUnsafeBytes { memcmp(file.baseAddress! + file.count - $0.count, $0.baseAddress!, $0.count) == 0 }
    }
    #expect(same, "the tensor's bytes end the file, intact")
    if format == "npy" {
      #expect(bytes.count - original.count == 4096, "a large npy's header is padded to a block")
      if let python = Interop.python {
        let check = try Products.shell(
          "'\(python)' -c 'import numpy, sys; a = numpy.load(sys.argv[1]); print(a.dtype, a.shape)' '\(file["path"]!.stringValue!)'"
        )
        #expect(check.stdoutText == "float32 (1, 4, 2048, 2101)\n", "numpy reads it: \(check.stderrText)")
      }
    }
  }

  /// The consumer gives a large segment's memory back as soon as its file is final, not when the
  /// last mapping goes: here the test is the producer and keeps its own mapping, which would
  /// hold every page if tensor-pack only unlinked the segment. The file must hold every byte.
  @Test func aLargeConsumedSegmentIsFreedOnceItsFileIsFinal() throws {
    let count = 80 << 20
    let (storage, writer) = try SharedMemory.create(nbytes: count)
    let words = writer.mutableBytes.bindMemory(to: UInt32.self)
    for k in words.indices { words[k] = UInt32(truncatingIfNeeded: k &* 2_654_435_761) }
    let expected = SHA256.hex(UnsafeRawBufferPointer(writer.mutableBytes))
    let record = TensorRecord(name: "freed", dtype: .int32, shape: [count / 4], storage: storage).record
    let out = try scratch.directory("freed")
    let run = try tensorPack(
      ["--unpack", "-o", out, "--format", "safetensors"], input: JSON.object(record).serialized + "\n")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var pages = [UInt8](repeating: 0, count: count / page)
    #expect(mincore(writer.base, count, &pages) == 0)
    let resident = pages.filter { $0 & 1 == 1 }.count
    #expect(resident == 0, "no page of the consumed segment is left in memory")
    let path = try #require(run.records.first?["path"]?.stringValue)
    let tensor = try #require(try Safetensors.read(path: path).tensor(named: "freed"))
    #expect(try tensor.withBytes { SHA256.hex($0) } == expected)
    let file = try FileDescriptor.open(path, O_RDONLY).closeAfter { try SHA256.hex(of: $0) }
    #expect(run.records.first?["sha256"]?.stringValue == file, "nothing was freed before it was hashed")
  }

  /// With --keep a record that holds tensors comes back whole, each tensor replaced by its file
  /// record (a PNG batch by a list of them, a broken one by its error record), so a node's other
  /// outputs survive; a tensor record on its own line is still answered by its file record.
  @Test func keepAnswersARecordWithItsTensorsReplaced() throws {
    func tensor(_ name: String, _ shape: [Int], layout: String? = nil) -> JSON {
      let count = shape.reduce(1, *)
      let bytes = (0..<count).flatMap {
        withUnsafeBytes(of: Float(Double($0 % 7) / 7).bitPattern.littleEndian, Array.init)
      }
      return .object(
        TensorRecord(name: name, dtype: .float32, shape: shape, layout: layout, storage: .inline(bytes)).record)
    }
    let broken: JSON = [
      "type": "tensor", "dtype": "float32", "shape": [3], "storage": ["kind": "inline", "base64": "AAAA"],
    ]
    let result: JSON = [
      "type": "result", "id": "r1", "seconds": 0.5,
      "outputs": [
        tensor("mask", [2]), "numpy 1.26.4", ["samples": tensor("frames", [2, 4, 4, 3], layout: "image")], broken,
      ],
    ]
    let input = [result, tensor("alone", [3]), ["type": "env", "os": "linux"]].map { $0.serialized }
    let out = try scratch.directory("keep")
    let run = try tensorPack(["-u", "-o", out, "--keep"], input: input.joined(separator: "\n") + "\n")
    #expect(run.exit == .exited(1), "the broken tensor fails the run")
    #expect(run.stderrText.contains("bad-tensor") || run.stderrText.contains("holds"), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["result", "file", "env"])
    let kept = run.records[0]
    #expect(kept["id"] == "r1" && kept["seconds"] == 0.5)
    let outputs = try #require(kept["outputs"]?.arrayValue)
    #expect(outputs.count == 4)
    #expect(outputs[0]["type"] == "file" && outputs[0]["name"] == "mask" && outputs[0]["id"] == "r1")
    #expect(try Npy.read(path: try #require(outputs[0]["path"]?.stringValue)).shape == [2])
    #expect(outputs[1] == "numpy 1.26.4")
    let frames = try #require(outputs[2]["samples"]?.arrayValue)
    #expect(frames.map { $0["path"]?.stringValue ?? "" } == ["\(out)/frames-0.png", "\(out)/frames-1.png"])
    #expect(outputs[3]["type"] == "error" && outputs[3]["code"] == "bad-tensor")
    #expect(run.records[1]["name"] == "alone")
    let plain = try tensorPack(["-u", "-o", try scratch.directory("no-keep")], input: result.serialized + "\n")
    #expect(plain.records.map(\.type) == ["file", "file", "file", "error"], "without --keep: file records alone")
    #expect(try tensorPack(["--keep", "x.npy"]).exit == .exited(64), "--keep goes with --unpack")
  }

  @Test func existingFilesAreKeptUnlessForced() throws {
    let out = try scratch.directory("force")
    let first = try randomTensor("same", .int16, [3], seed: 1)
    let second = try randomTensor("same", .int16, [3], seed: 2)
    func unpack(_ tensor: LocatedTensor, _ extra: [String]) throws -> String {
      let source = "\(try scratch.directory("force-\(UInt32.random(in: 0...UInt32.max))"))/same.npy"
      try Npy.write(tensor, to: source)
      let packed = try tensorPack(["--to", "inline", source])
      let run = try tensorPack(["-u", "-o", out] + extra, input: packed.stdoutText)
      #expect(run.exit == .exited(0), "\(run.stderrText)")
      return try #require(run.records.first?["path"]?.stringValue)
    }
    let kept = try unpack(first, [])
    let beside = try unpack(second, [])
    #expect(beside != kept, "a second file gets a new name")
    #expect(try Npy.read(path: kept).loadBytes() == first.loadBytes())
    let replaced = try unpack(second, ["--force"])
    #expect(replaced == kept, "--force writes over the first")
    #expect(try Npy.read(path: kept).loadBytes() == second.loadBytes())
  }

  @Test func sharedMemoryIsReleasedByTheConsumer() throws {
    let path = try writeNpy("consumed.npy", try randomTensor("consumed", .float32, [64, 64]))
    let packed = try tensorPack([path])
    let name = try #require(packed.records.first?["storage"]?["name"]?.stringValue)
    #expect(access("/dev/shm" + name, F_OK) == 0)
    _ = try tensorPack(["-u", "-o", try scratch.directory("consumed")], input: packed.stdoutText)
    #expect(access("/dev/shm" + name, F_OK) != 0, "unpack unlinks the segment it read")
  }

  @Test func fileStorageReferencesTheBytesInPlace() throws {
    let path = try writeNpy("inplace.npy", try randomTensor("inplace", .int16, [10]))
    let record = try #require(try tensorPack(["--to", "file", path]).records.first)
    #expect(record["storage"]?["path"]?.stringValue == path)
    #expect(record["storage"]?["offset"] == 128)
    #expect(record["storage"]?["nbytes"] == 20)
  }

  @Test func inlineIsForTinyTensorsOnly() throws {
    let big = try writeNpy("big.npy", try randomTensor("big", .float64, [100_000]))
    let small = try writeNpy("small.npy", try randomTensor("small", .uint8, [4]))
    let run = try tensorPack(["--to", "inline", big, small])
    #expect(run.exit == .exited(1))
    #expect(run.records.map(\.type) == ["error", "tensor"])
    #expect(run.records.first?["code"] == "cannot-write-tensor")
  }

  @Test func aBrokenFileFailsAloneAndTheRestArePacked() throws {
    let good = try writeNpy("good.npy", try randomTensor("good", .float32, [8]))
    var bytes = try readFile(good)
    bytes.removeLast(5)
    let truncated = "\(scratch.path)/truncated.npy"
    try writeFile(truncated, bytes)
    let run = try tensorPack(["--to", "inline", truncated, "\(scratch.path)/missing.npy", good])
    #expect(run.exit == .exited(66), "a missing named file is exit 66")
    #expect(run.records.map(\.type) == ["error", "error", "tensor"])
    #expect(run.records[0]["code"] == "bad-tensor-file")
    #expect(run.records[0]["message"]?.stringValue?.hasPrefix(truncated) == true)
    #expect(run.records[1]["code"] == "no-input")
    #expect(run.stderrText.split(separator: "\n").count == 2)
  }

  @Test func fileRecordsOnStdinKeepTheirIdsAndOtherRecordsPass() throws {
    let path = try writeNpy("withid.npy", try randomTensor("withid", .uint8, [3]))
    let input = """
      {"type":"env","os":"linux"}
      {"type":"file","path":"\(path)","id":"job-7"}
      not json
      {"type":"file","id":9}

      """
    let run = try tensorPack(["--to", "inline"], input: input)
    #expect(run.exit == .exited(65))
    #expect(run.records.map(\.type) == ["env", "tensor", "error", "error"])
    #expect(run.records[1]["id"] == "job-7")
    #expect(run.records[2]["detail"]?["line"] == 3)
    let out = try scratch.directory("ids")
    let unpacked = try tensorPack(
      ["-u", "-o", out], input: run.records.prefix(2).map { JSON.object($0).serialized }.joined(separator: "\n"))
    #expect(unpacked.records.map(\.type) == ["env", "file"])
    #expect(unpacked.records[1]["id"] == "job-7")
  }

  @Test func hostileNamesStayInsideTheOutputDirectory() throws {
    let tensors = [
      try randomTensor("../../escape", .uint8, [2]), try randomTensor("/etc/passwd", .uint8, [2]),
      try randomTensor("..", .uint8, [2]),
    ]
    let path = "\(scratch.path)/hostile.safetensors"
    try Safetensors.write(tensors, to: path)
    let out = try scratch.directory("hostile")
    let run = try Products.shell("tensor-pack '\(path)' | tensor-pack -u -o '\(out)'")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let written = run.records.compactMap { $0["path"]?.stringValue }
    #expect(written.count == 3)
    #expect(written.allSatisfy { $0.hasPrefix(out + "/") && !$0.dropFirst(out.count + 1).contains("/") })
    #expect(access("\(scratch.path)/escape.npy", F_OK) != 0)
  }

  @Test func existingFilesGetANewNameUnlessForced() throws {
    let path = try writeNpy("again.npy", try randomTensor("again", .uint8, [2]))
    let out = try scratch.directory("again-out")
    for _ in 0..<2 { _ = try Products.shell("tensor-pack --to inline '\(path)' | tensor-pack -u -o '\(out)'") }
    #expect(listDirectoryNames(out) == ["again-1.npy", "again.npy"])
    _ = try Products.shell("tensor-pack --to inline '\(path)' | tensor-pack -u -o '\(out)' --force")
    #expect(listDirectoryNames(out) == ["again-1.npy", "again.npy"])
  }

  /// The consumer unlinks what a record names, so a record that names something other than a
  /// segment (a file of the user's, another program's shared memory) is refused and the thing
  /// left alone, whether the record is broken otherwise or not.
  @Test func aRecordNamingSomethingElseThanASegmentRemovesNothing() throws {
    let victim = "\(scratch.path)/notes.txt"
    try writeFile(victim, Array("keep me!".utf8))
    let other = "/comfy-pipes-test-\(getpid())"
    let fd = shm_open(other, O_CREAT | O_RDWR, 0o600)
    #expect(fd >= 0 && ftruncate(fd, 8) == 0)
    close(fd)
    defer { shm_unlink(other) }
    let input = [
      #"{"type":"tensor","dtype":"uint8","shape":[8],"storage":{"kind":"shm","path":"\#(victim)","offset":0,"nbytes":8}}"#,
      #"{"type":"tensor","dtype":"uint8","shape":[9],"storage":{"kind":"shm","path":"\#(victim)","offset":0,"nbytes":8}}"#,
      #"{"type":"tensor","dtype":"uint8","shape":[8],"storage":{"kind":"shm","name":"\#(other)","offset":0,"nbytes":8}}"#,
    ]
    let run = try tensorPack(
      ["-u", "-o", try scratch.directory("victims")], input: input.joined(separator: "\n") + "\n")
    #expect(run.records.map(\.type) == ["error", "error", "error"], "\(run.stdoutText)")
    #expect(run.records.allSatisfy { $0["code"] == "bad-tensor" })
    #expect(readFileIfPresent(victim, limit: 64) == Array("keep me!".utf8), "the user's file is untouched")
    #expect(access("/dev/shm" + other, F_OK) == 0, "another program's segment is untouched")
  }

  /// A record whose storage is a FIFO (or any file that is not a regular one) is an error at
  /// once, and so is a FIFO given to pack; opening it must not wait for a writer that never comes.
  @Test func aFIFOAsStorageIsAnErrorNotAHang() throws {
    let fifo = "\(scratch.path)/fifo-\(UInt32.random(in: 0...UInt32.max))"
    #expect(mkfifo(fifo, 0o600) == 0)
    let input =
      #"{"type":"tensor","dtype":"uint8","shape":[4],"storage":{"kind":"file","path":"\#(fifo)","offset":0,"nbytes":4}}"#
    let run = try Products.run(
      "tensor-pack", ["-u", "-o", try scratch.directory("fifo")], input: input + "\n", timeout: 20)
    #expect(run.exit == .exited(1))
    #expect(run.records.first?["code"] == "bad-tensor")
    #expect(run.records.first?["message"]?.stringValue?.contains("not a regular file") == true, "\(run.stdoutText)")
    let pack = try Products.run("tensor-pack", [fifo], timeout: 20)
    #expect(pack.exit == .exited(1))
    #expect(pack.records.first?["message"]?.stringValue?.contains("save it to a file first") == true)
  }

  @Test func badTensorRecordsAreErrorsNotCrashes() throws {
    let input = """
      {"type":"result","id":1,"outputs":[{"type":"tensor","dtype":"float32","shape":[2],"storage":{"kind":"inline","base64":"AAAA"}}]}
      {"type":"tensor","name":"gone","dtype":"uint8","shape":[4],"storage":{"kind":"shm","name":"/cpipes-1-doesnotexist","offset":0,"nbytes":4}}
      {"type":"tensor","name":"x","dtype":"uint8","shape":[2,2],"layout":"image","storage":{"kind":"inline","base64":"AAAAAA=="}}

      """
    let run = try tensorPack(["-u", "-o", try scratch.directory("bad")], input: input)
    #expect(run.exit == .exited(1))
    #expect(run.records.map(\.type) == ["error", "error", "error"])
    #expect(run.records[0]["id"] == 1)
    #expect(run.records[0]["code"] == "bad-tensor")
    #expect(run.records[2]["code"] == "cannot-write-tensor", "an image needs [B,H,W,C]")
  }

  @Test func usageErrors() throws {
    for arguments in [["--to", "disk", "x.npy"], ["--format", "npy", "x.npy"], ["--unpack"], ["--gc", "--unpack"]] {
      let run = try tensorPack(arguments)
      #expect(run.exit == .exited(64), "\(arguments)")
      #expect(run.stdout.isEmpty)
    }
    let format = try tensorPack(["-u", "-o", scratch.path, "--format", "tiff"], input: "")
    #expect(format.exit == .exited(64))
  }

  /// Makes a segment of a dead creator, last touched `age` seconds ago.
  func makeOrphan(_ name: String, age: Int) {
    let fd = shm_open(name, O_CREAT | O_RDWR, 0o600)
    backdate("/dev/shm" + name, by: age)
    close(fd)
  }

  func backdate(_ path: String, by seconds: Int) {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    let then = timespec(tv_sec: now.tv_sec - seconds, tv_nsec: 0)
    _ = utimensat(AT_FDCWD, path, [then, then], 0)
  }

  @Test func gcRemovesOnlyOrphans() throws {
    let orphan = "/cpipes-99999998-0000000000000abc"
    let fresh = "/cpipes-99999997-0000000000000abd"
    makeOrphan(orphan, age: 3600)
    makeOrphan(fresh, age: 0)
    defer { shm_unlink(fresh) }
    let dry = try tensorPack(["--gc", "--dry-run"])
    #expect(dry.stderrText.contains("orphaned: /dev/shm\(orphan)"))
    #expect(!dry.stderrText.contains(fresh), "a segment touched in the last minute may still be on its way")
    #expect(access("/dev/shm" + orphan, F_OK) == 0)
    let all = try tensorPack(["--gc", "--dry-run", "--older-than", "0"])
    #expect(all.stderrText.contains("orphaned: /dev/shm\(fresh)"))
    let real = try tensorPack(["--gc"])
    #expect(real.exit == .exited(0))
    #expect(real.stderrText.contains("removed /dev/shm\(orphan)"))
    #expect(access("/dev/shm" + orphan, F_OK) != 0)
    #expect(access("/dev/shm" + fresh, F_OK) == 0)
    makeOrphan(orphan, age: 3600)
    let quiet = try tensorPack(["--gc", "--quiet"])
    #expect(quiet.stderrText == "", "--quiet silences the notes")
    #expect(access("/dev/shm" + orphan, F_OK) != 0)
    #expect(try tensorPack(["--gc", "--older-than", "soon"]).exit == .exited(64))
    #expect(try tensorPack(["--older-than", "5"]).exit == .exited(64))
  }

  @Test(.enabled(if: Interop.python != nil, Interop.skipReason))
  func filesFromNumpySafetensorsAndPillowComeBackEqual() throws {
    let input = try scratch.directory("interop-in")
    let script = Fixtures.directory + "/pipeline_check.py"
    let python = Interop.python!
    let make = try runCapturing(python, [script, "make", input], timeout: 120)
    #expect(make.exit.succeeded, "\(make.stderrText)")
    let inputs = (listDirectoryNames(input) ?? []).filter { !["expected.npz", "originals.json"].contains($0) }
    let files = inputs.map { "'\(input)/\($0)'" }.joined(separator: " ")
    let out = try scratch.directory("interop-out")
    let asNpy = try Products.shell("tensor-pack --mask \(files) | tensor-pack -u -o '\(out)' --format npy")
    #expect(asNpy.exit == .exited(0), "\(asNpy.stderrText)")
    let native = inputs.filter { !$0.hasSuffix(".npy") }.map { "'\(input)/\($0)'" }.joined(separator: " ")
    let asNative = try Products.shell("tensor-pack --mask \(native) | tensor-pack -u -o '\(out)/native'")
    #expect(asNative.exit == .exited(0), "\(asNative.stderrText)")
    let latent = try Products.run("tensor-pack", ["--to", "inline", "\(input)/render.latent"]).records.first
    #expect(latent?["layout"] == "latent")
    #expect(latent?["shape"] == [1, 4, 8, 8])
    let st = try Products.shell(
      "tensor-pack '\(input)/npy_float32.npy' '\(input)/rgba.png' | tensor-pack --unpack -o '\(out)/st' --format safetensors"
    )
    #expect(st.records.count == 2 && st.exit == .exited(0))
    let check = try runCapturing(python, [script, "check", input, out], timeout: 120)
    #expect(check.exit.succeeded, "\(check.stdoutText)\(check.stderrText)")
  }

  @Test func hostileFilesEachGetAnErrorRecordAndNeverACrash() throws {
    let dir = TemporaryDirectory()
    var hostile: [String] = []
    for kind in ["npy", "npz", "npz-deflated", "safetensors", "png"] {
      let bytes = try SampleFiles.make(kind, in: dir)
      let ext = kind == "npz-deflated" ? "npz" : kind
      for cut in [1, 9, bytes.count / 3, bytes.count / 2, bytes.count - 1] {
        let path = dir.file("cut\(cut)-\(kind).\(ext)")
        try writeFile(path, Array(bytes.prefix(cut)))
        hostile.append(path)
      }
      var damaged = bytes
      for k in stride(from: 8, to: damaged.count, by: 7) { damaged[k] ^= 0x5A }
      let path = dir.file("damaged-\(kind).\(ext)")
      try writeFile(path, damaged)
      hostile.append(path)
    }
    let good = try writeNpy("survivor.npy", try randomTensor("survivor", .float32, [4]))
    let run = try tensorPack(["--to", "inline"] + hostile + [good])
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    #expect(run.records.count == hostile.count + 1)
    #expect(run.records.dropLast().allSatisfy { $0.type == "error" && $0["message"]?.stringValue?.isEmpty == false })
    #expect(run.records.last?["name"] == "survivor")
  }

  @Test func aSegmentLeftByAFinishedPackerIsSweptAndPipelinesLeaveNone() throws {
    let path = try writeNpy("left.npy", try randomTensor("left", .float32, [1024, 1024, 4]))
    let out = try scratch.directory("left-out")
    let packed = try tensorPack([path, path])
    let names = packed.records.compactMap { $0["storage"]?["name"]?.stringValue }
    #expect(names.count == 2)
    let unpacked = try tensorPack(["-u", "-o", out], input: packed.stdoutText)
    #expect(unpacked.exit == .exited(0))
    #expect(
      try Npy.read(path: "\(out)/left.npy").loadBytes() == (try Npy.read(path: path).loadBytes()), "16 MiB intact")
    #expect(names.allSatisfy { access("/dev/shm" + $0, F_OK) != 0 }, "a pipeline leaves no segment")
    let orphaned = try tensorPack([path])
    let name = try #require(orphaned.records.first?["storage"]?["name"]?.stringValue)
    #expect(access("/dev/shm" + name, F_OK) == 0)
    backdate("/dev/shm" + name, by: 120)
    _ = try tensorPack(["--gc"])
    #expect(access("/dev/shm" + name, F_OK) != 0, "the creator is gone, so --gc removes its segment")
  }
}
