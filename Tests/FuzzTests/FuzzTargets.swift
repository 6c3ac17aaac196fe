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
    ("websocket-frames", webSocketFrames),
    ("comfy-answers", comfyAnswers),
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
      rmdir(FuzzTargets.scratch)
    }
    return dir
  }()
}
