import Dispatch
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Tensor records (at any depth of any input record) → files in a directory → `file` records.
/// A shared-memory segment is released only once its file is complete, on the disk and under its
/// name (`OutputFile.commit`): a failed or killed unpack leaves the segment whole for a retry.
/// Records without tensors pass through; a record
/// whose tensors were written is answered by their file records, which carry its `id`, or with
/// `--keep` by itself with each tensor replaced by its file record.
struct Unpacker {
  enum Format: String { case npy, safetensors, latent, png }

  let tool: Tool
  let directory: String
  let format: Format?
  let overwrite: Bool
  let keep: Bool

  init(tool: Tool, arguments: Arguments) throws {
    guard let directory = arguments.value("--output") else { throw UsageError("--unpack needs -o DIR") }
    if let text = arguments.value("--format") {
      guard let format = Format(rawValue: text) else {
        throw UsageError("--format must be npy, safetensors, latent or png, not '\(text)'")
      }
      self.format = format
    } else {
      self.format = nil
    }
    self.tool = tool
    self.directory = withoutTrailingSlashes(absolutePath(directory))
    self.overwrite = arguments.flag("--force")
    self.keep = arguments.flag("--keep")
  }

  /// A released segment's pages are freed here, behind the records and the next tensor's write:
  /// freeing a gigabyte of pages takes about a third of a second, which nothing needs to wait
  /// for once the file is final and the segment unlinked. `run` waits for it before it returns.
  static let releasing = DispatchQueue(label: "tensor-pack.release")

  func run() throws {
    defer {
      tool.output.flush()
      Unpacker.releasing.sync {}
    }
    // A directory that cannot be made fails each tensor as an item (`open` tries again), not the run.
    try? makeDirectories(directory)
    for path in OutputFile.sweep(directory) {
      tool.diagnostics.note("removed \(path), left by a tensor-pack that was killed")
    }
    for item in tool.records() {
      // Once stdout fails no file record can be handed on: the rest stay in their segments.
      if tool.output.failure != nil { break }
      switch item {
      case .record(let record, let line):
        let found = TensorRecord.findAll(in: .object(record))
        if found.isEmpty {
          tool.emit(record)
        } else if keep && record.type != "tensor" {
          let kept = TensorRecord.replacingAll(in: .object(record)) { tensor in
            let answers = unpack(tensor, id: record["id"] ?? tensor["id"], line: line)
            return answers.count == 1 ? .object(answers[0]) : .array(answers.map { .object($0) })
          }
          if let kept = kept.objectValue { tool.emit(kept) }
        } else {
          for (_, tensor) in found {
            unpack(tensor, id: record["id"] ?? tensor["id"], line: line).forEach(tool.emit)
          }
        }
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
      }
    }
  }

  /// Writes one tensor record's tensor and answers with its `file` records, or with one `error`
  /// record, already diagnosed on stderr, for the caller to write.
  func unpack(_ json: JSONObject, id: JSON?, line: Int) -> [JSONObject] {
    func failed(_ error: ErrorRecord, at position: String? = nil) -> [JSONObject] {
      tool.diagnose(error, at: position)
      return [error.record(tool: tool.name)]
    }
    let record: TensorRecord
    do {
      record = try TensorRecord(record: json)
    } catch {
      if let storage = json["storage"]?.objectValue, let parsed = try? TensorRecord.parseStorage(storage) {
        SharedMemory.release(parsed)
      }
      return failed(
        ErrorRecord(
          code: "bad-tensor", message: "tensor record: \(error.message)", id: id, detail: ["line": .int(line)]),
        at: "<stdin>:\(line)")
    }
    let name = record.name ?? "tensor"
    // A failure after the segment was mapped leaves it whole: the error record says where, with
    // the tensor record to retry with.
    var kept: (note: String, detail: JSON?) = ("", nil)
    do {
      let region = try SharedMemory.map(record.storage, consume: false)
      if let segment = Unpacker.segmentLocation(record.storage) {
        kept = ("; its segment \(segment) is kept for a retry", ["segment": .string(segment), "tensor": .object(json)])
      }
      let tensor = try LocatedTensor(name: name, dtype: record.dtype, shape: record.shape, bytes: .mapped(region))
      let written = try write(tensor, layout: record.layout, metadata: Unpacker.metadata(of: json))
      if region.unlinkSegment(record.storage) { Unpacker.releasing.async { region.discard(through: region.count) } }
      kept = ("", nil)
      return try written.map { try fileRecord($0, name: name, id: id) }
    } catch let error as TensorFormatError {
      var failure = error.record(id: id, file: nil)
      failure.message += kept.note
      failure.detail = kept.detail ?? failure.detail
      return failed(failure)
    } catch let error as TensorError {
      return failed(
        ErrorRecord(
          code: "bad-tensor", message: "tensor '\(name)': \(error.message)\(kept.note)", id: id, detail: kept.detail))
    } catch {
      return failed(
        ErrorRecord(code: "io-error", message: "tensor '\(name)': \(error)\(kept.note)", id: id, detail: kept.detail))
    }
  }

  /// A tensor record's `metadata` (a safetensors file's `__metadata__`, as tensor-pack packs it),
  /// in its order, for the safetensors and latent files written from it.
  static func metadata(of record: JSONObject) throws -> Safetensors.Metadata {
    guard let value = record["metadata"] else { return [] }
    guard let object = value.objectValue else {
      throw TensorFormatError.unwritable("the tensor record's metadata is not an object of strings")
    }
    return try object.map { key, item in
      guard let text = item.stringValue else {
        throw TensorFormatError.unwritable("the tensor record's metadata value for '\(key)' is not a string")
      }
      return (key, text)
    }
  }

  /// Writes one tensor (with `metadata` in a safetensors or latent file); PNG gives a file per
  /// batch item.
  func write(_ tensor: LocatedTensor, layout: String?, metadata: Safetensors.Metadata = []) throws -> [OutputFile] {
    let chosen = format ?? Unpacker.defaultFormat(layout: layout)
    switch chosen {
    case .npy:
      let out = try open(tensor.name, "npy")
      try Npy.write(tensor, into: out)
      return [out]
    case .safetensors:
      let out = try open(tensor.name, "safetensors")
      try Safetensors.write([tensor], metadata: metadata, into: out)
      return [out]
    case .latent:
      let out = try open(tensor.name, "latent")
      try ComfyLatent.write(samples: tensor, metadata: metadata, into: out)
      return [out]
    case .png:
      let images = try PNGEncoder.encode(tensor)
      return try images.enumerated().map { index, bytes in
        let out = try open(images.count > 1 ? "\(tensor.name)-\(index)" : tensor.name, "png")
        try withErrorContext(out.path) {
          try out.write(bytes)
          try out.commit()
        }
        return out
      }
    }
  }

  /// A consumable segment's name or path; `nil` for other storage.
  static func segmentLocation(_ storage: TensorStorage) -> String? {
    switch storage {
    case .shm(let name, _, _): name
    case .shmFile(let path, _, _): path
    case .file, .inline: nil
    }
  }

  static func defaultFormat(layout: String?) -> Format {
    switch layout {
    case "image", "mask": .png
    case "latent": .latent
    default: .npy
    }
  }

  func open(_ stem: String, _ ext: String) throws -> OutputFile {
    try withErrorContext(directory) {
      try systemCall("cannot create the directory") { try makeDirectories(directory) }
      return try OutputFile(directory: directory, stem: stem, ext: ext, overwrite: overwrite)
    }
  }

  /// The `file` record of a written file; its hash is the one taken while writing, or read back.
  func fileRecord(_ written: OutputFile, name: String, id: JSON?) throws -> JSONObject {
    let path = written.path
    let fd = try FileDescriptor.open(path, O_RDONLY)
    defer { fd.close() }
    var info = stat()
    _ = try valueOrErrno("fstat") { fstat(fd.rawValue, &info) }
    let sha256 = try written.takeSHA256() ?? SHA256.hex(of: fd)
    return FileRecord(path: path, bytes: Int(info.st_size), sha256: sha256, name: name, id: id).record
  }
}
