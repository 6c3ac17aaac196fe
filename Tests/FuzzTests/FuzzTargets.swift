import PipeHTTP
import PipeKit

@testable import ComfyRemote
@testable import WheelURL
@testable import remote_fetch
@testable import tensor_pack

#if canImport(Glibc)
  import Glibc
#endif

/// The bodies that `make fuzz` drives with libFuzzer and that `FuzzRegressionTests` replays over
/// the seed corpus and every crash ever found. Each feeds arbitrary bytes to one reader of
/// untrusted input; a thrown error is a normal answer, a trap or a sanitizer report is a bug.
enum FuzzTargets {
  static let all: [(name: String, run: @Sendable (UnsafeRawBufferPointer) -> Void)] = [
    ("records", records),
    ("toml", toml),
    ("wheel-filename", wheelFilename),
    ("pep440", pep440),
    ("index-pages", indexPages),
    ("npy", { tensorFile($0, ext: "npy") }),
    ("npz", { tensorFile($0, ext: "npz") }),
    ("safetensors", { tensorFile($0, ext: "safetensors") }),
    ("png", { tensorFile($0, ext: "png") }),
    ("tensor-record", tensorRecord),
    ("unpack-writer", unpackWriter),
    ("websocket-frames", webSocketFrames),
    ("comfy-answers", comfyAnswers),
    ("requirement-specs", requirementSpecs),
    ("shm-names", shmNames),  // FuzzTargetsShm.swift
    ("worker-frames", workerFrames),  // FuzzTargetsShm.swift
  ]

  static func named(_ name: String) -> (@Sendable (UnsafeRawBufferPointer) -> Void)? {
    all.first { $0.name == name }?.run
  }

  /// NDJSON lines as the record reader splits and parses them; a record written back must parse
  /// to the same value.
  static func records(_ bytes: UnsafeRawBufferPointer) {
    var line = 0
    for piece in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
      line += 1
      if case .record(let object, _)? = RecordReader.item(from: ArraySlice(piece), lineNumber: line) {
        let text = JSON.object(object).serialized
        guard (try? JSON.parse(text)) == JSON.object(object) else { fatalError("record does not round-trip: \(text)") }
      }
    }
  }

  /// One requirement spec per line, as a `requirement` record or a requirements file carries
  /// it to the installer: whatever is accepted must not be readable as an installer option.
  static func requirementSpecs(_ bytes: UnsafeRawBufferPointer) {
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
      let spec = String(line)
      guard RequirementSpec.problem(spec) == nil else { continue }
      let trimmed = spec.drop { $0 == " " || $0 == "\t" }
      if trimmed.hasPrefix("-") { fatalError("an option accepted as a requirement: \(spec)") }
      if spec.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" }) {
        fatalError("a control character accepted in a requirement: \(spec.debugDescription)")
      }
    }
  }

  static func toml(_ bytes: UnsafeRawBufferPointer) {
    _ = try? TOML.parse(String(decoding: bytes, as: UTF8.self))
  }

  static func wheelFilename(_ bytes: UnsafeRawBufferPointer) {
    if let name = try? WheelFilename(String(decoding: bytes, as: UTF8.self)) { _ = name.description }
  }

  /// A version and a specifier set separated by a newline, compared with each other.
  static func pep440(_ bytes: UnsafeRawBufferPointer) {
    let parts = String(decoding: bytes, as: UTF8.self).split(separator: "\n", maxSplits: 1)
    let version = try? PEP440Version(String(parts.first ?? ""))
    let set = try? PEP440SpecifierSet(parts.count > 1 ? String(parts[1]) : "")
    if let version, let set { _ = set.contains(version) }
    if let version { _ = version.description }
  }

  /// A find-links HTML page and a PEP 691 JSON page, as wheel-url reads an index's answer.
  static func indexPages(_ bytes: UnsafeRawBufferPointer) {
    let body = [UInt8](bytes)
    _ = FindLinksPage.parse(body, url: "https://example.invalid/simple/pkg/")
    _ = try? SimpleIndex.parseJSON(body, url: "https://example.invalid/simple/pkg/")
  }

  /// The bytes as a file of that kind, read into tensors whose bytes are then loaded.
  static func tensorFile(_ bytes: UnsafeRawBufferPointer, ext: String) {
    let path = "\(scratch)/input.\(ext)"
    guard let fd = try? FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600) else { return }
    try? fd.writeAll(bytes)
    fd.close()
    guard let found = try? TensorFiles.read(path, splitMask: true) else { return }
    for item in found { _ = try? item.tensor.loadBytes() }
  }

  /// A line read as a tensor record, the way every consumer checks one before it maps anything
  /// (nothing is mapped here): a record accepted must be consistent and must round-trip.
  static func tensorRecord(_ bytes: UnsafeRawBufferPointer) {
    guard case .object(let object)? = try? JSON.parse(String(decoding: bytes, as: UTF8.self)) else { return }
    for (_, found) in TensorRecord.findAll(in: .object(object)) {
      if let storage = found["storage"]?.objectValue, let parsed = try? TensorRecord.parseStorage(storage) {
        if case .shm(let name, _, _) = parsed, !SharedMemory.isValidName(name) {
          fatalError("storage names something other than a segment: \(name)")
        }
        _ = Unpacker.segmentLocation(parsed)
        _ = Packer.absolute(parsed)
      }
      guard let record = try? TensorRecord(record: found) else { continue }
      guard TensorRecord.byteCount(shape: record.shape, dtype: record.dtype) == record.storage.nbytes else {
        fatalError("a record accepted with the wrong byte count: \(JSON.object(found).serialized)")
      }
      guard (try? TensorRecord(record: record.record)) == record else {
        fatalError("a tensor record does not round-trip: \(JSON.object(found).serialized)")
      }
    }
  }

  /// Arbitrary tensor bytes written by the unpack writer (`Unpacker.write`, into a directory of
  /// its own) and read back: the first byte picks the format, the second the dtype, the third
  /// the rank; the rest are the tensor's bytes. A file written must hold exactly those bytes
  /// and its record's hash must be the file's; a write that fails must leave nothing behind.
  static func unpackWriter(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= 3 else { return }
    let formats: [Unpacker.Format] = [.npy, .safetensors, .latent, .png]
    let format = formats[Int(bytes[0]) % formats.count]
    let dtype = DType.allCases[Int(bytes[1]) % DType.allCases.count]
    let rank = Int(bytes[2]) % 5
    let payload = Array(bytes.dropFirst(3))
    let count = payload.count / dtype.itemSize
    var shape: [Int]
    switch (format, rank) {
    case (.png, _): shape = [1, count / 3 > 0 ? 1 : 0, count / 3, 3]
    case (.latent, _): shape = [1, 1, 1, count]
    case (_, 0): shape = count > 0 ? [] : [0]
    case (_, 1): shape = [count]
    case (_, 2): shape = [count % 7 == 0 && count > 0 ? 7 : 1, count % 7 == 0 && count > 0 ? count / 7 : count]
    default: shape = Array(repeating: 1, count: rank - 1) + [count]
    }
    let nbytes = (TensorRecord.byteCount(shape: shape, dtype: dtype) ?? 0)
    var data = Array(payload.prefix(nbytes))
    if dtype == .bool { data = data.map { $0 & 1 } }
    guard let region = try? SharedMemory.map(.inline(data), consume: false),
      let tensor = try? LocatedTensor(name: "fuzz", dtype: dtype, shape: shape, bytes: .mapped(region))
    else { return }
    let dir = "\(scratch)/unpack"
    mkdir(dir, 0o700)
    defer {
      for name in listDirectoryNames(dir) ?? [] { unlink("\(dir)/\(name)") }
    }
    let tool = Tool(spec: TensorPack.spec)
    guard let arguments = try? Arguments.parse(["-u", "-o", dir, "-f", format.rawValue], spec: TensorPack.spec),
      let unpacker = try? Unpacker(tool: tool, arguments: arguments)
    else { fatalError("the unpack arguments do not parse") }
    guard let written = try? unpacker.write(tensor, layout: format == .png ? "image" : nil) else {
      if let left = listDirectoryNames(dir), !left.isEmpty { fatalError("a failed write left \(left)") }
      return
    }
    let names = listDirectoryNames(dir) ?? []
    guard names.count == written.count, names.allSatisfy({ !$0.hasPrefix(".") }) else {
      fatalError("the writer left \(names) for \(written.count) files")
    }
    for out in written {
      guard let record = try? unpacker.fileRecord(out, name: "fuzz", id: nil),
        let fd = try? FileDescriptor.open(out.path, O_RDONLY),
        let hash = try? fd.closeAfter({ try SHA256.hex(of: $0) }), record["sha256"]?.stringValue == hash
      else { fatalError("the file record's hash is not the file's: \(out.path)") }
      guard format != .png else { continue }
      guard let back = try? TensorFiles.read(out.path, splitMask: false).first?.tensor,
        back.shape == shape, back.dtype == dtype, (try? back.loadBytes()) == data
      else { fatalError("\(format) does not round-trip \(dtype) \(shape)") }
    }
  }

  /// Bytes from a server's side of a WebSocket: frames decoded one after another and assembled
  /// into messages, as the client reads them. A decoded frame, encoded again, must decode to
  /// itself.
  static func webSocketFrames(_ bytes: UnsafeRawBufferPointer) {
    var rest = ArraySlice([UInt8](bytes))
    var assembler = WebSocketAssembler(maxMessage: 1 << 12)
    while true {
      guard let decoded = try? WebSocketFrame.decode(rest, maxPayload: 1 << 12) else { return }
      guard decoded.consumed > 0, decoded.consumed <= rest.count else {
        fatalError("a frame used \(decoded.consumed) of \(rest.count) bytes")
      }
      let again = try? WebSocketFrame.decode(ArraySlice(decoded.frame.encoded(maskKey: nil)), maxPayload: 1 << 12)
      guard again?.frame == decoded.frame else { fatalError("a frame does not round-trip: \(decoded.frame)") }
      rest = rest.dropFirst(decoded.consumed)
      do {
        _ = try assembler.add(decoded.frame)
      } catch {
        _ = error.closeCode
        return
      }
    }
  }

  /// A ComfyUI server's answer (the first byte picks the HTTP status, the rest is the body) read
  /// as every endpoint the remote tools call, and each history entry in it read as remote-fetch
  /// reads a finished prompt: its outcome, its error record and the safety check of every file.
  static func comfyAnswers(_ bytes: UnsafeRawBufferPointer) {
    guard let first = bytes.first else { return }
    let statuses = [200, 200, 200, 200, 400, 404, 500, 204]
    let url = "http://127.0.0.1:8188/x"
    let response = HTTPResponse(
      status: statuses[Int(first) % statuses.count], url: url, contentType: "application/json",
      body: Array(bytes.dropFirst()))
    _ = try? Answers.queueRemaining(response, url: url)
    _ = try? Answers.serverOS(response, url: url)
    _ = try? Answers.promptReply(response, url: url)
    _ = try? Answers.uploaded(response, url: url, subfolder: "s", type: "input")
    if let state = try? Answers.queue(response, url: url) {
      _ = state.promptIDs
      _ = state.running.first?.clientID
    }
    do {
      _ = try Answers.historyEntry(response, url: url, promptID: "p")
    } catch {
      _ = JSON.object(error.detail).serialized
    }
    guard case .object(let answer)? = try? JSON.parse(response.body) else { return }
    for (_, value) in answer {
      guard case .object(let entry) = value else { continue }
      let outcome = Outcome(entry: entry)
      for item in outcome.items { try? Downloader.check(item) }
      if let record = outcome.errorRecord(for: fuzzJob) { _ = record.message }
    }
  }

  static let fuzzJob = try! Job(record: ["remote": "http://127.0.0.1:8188", "prompt_id": "p"], line: 1)

  /// A private directory for the input files, in memory where possible, removed at exit.
  static let scratch: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let dir = "\(base)/cpipes-fuzz-\(getpid())"
    mkdir(dir, 0o700)
    atexit {
      for ext in ["npy", "npz", "safetensors", "png"] { unlink("\(FuzzTargets.scratch)/input.\(ext)") }
      rmdir("\(FuzzTargets.scratch)/unpack")
      rmdir(FuzzTargets.scratch)
    }
    return dir
  }()
}
