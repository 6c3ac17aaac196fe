import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Files → tensor records, one per tensor, with the bytes in shared memory, referenced in place
/// in the file, or inline.
struct Packer {
  enum Destination: String { case shm, file, inline }

  /// Inline storage is for tiny tensors only.
  static let inlineLimit = 64 << 10

  let tool: Tool
  let destination: Destination
  let splitMask: Bool
  let files: [String]
  /// `--max-bytes`: what one file may expand to (npz members in all, a PNG's image).
  let limit: Int

  init(tool: Tool, arguments: Arguments) throws {
    let to = arguments.value("--to") ?? "shm"
    guard let destination = Destination(rawValue: to) else {
      throw UsageError("--to must be shm, file or inline, not '\(to)'")
    }
    self.tool = tool
    self.destination = destination
    self.splitMask = arguments.flag("--mask")
    self.limit = try Packer.byteCount(arguments.value("--max-bytes")) ?? Npz.defaultLimit
    self.files = arguments.positionals
  }

  func run() throws {
    if !files.isEmpty {
      // Once stdout fails nothing more can be handed on: stop rather than make segments for nobody.
      for path in files where tool.output.failure == nil { pack(path, id: nil) }
      return
    }
    for item in tool.records() {
      if tool.output.failure != nil { break }
      switch item {
      case .record(let record, let line):
        guard record.type == "file" else {
          tool.emit(record)
          continue
        }
        let file: FileRecord
        do throws(FileRecord.Problem) {
          file = try FileRecord(record: record)
        } catch {
          tool.report(
            ErrorRecord(code: "bad-record", message: error.message, id: record["id"], exit: .dataError),
            at: "<stdin>:\(line)")
          continue
        }
        pack(file.path, id: file.id)
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
      }
    }
  }

  /// Packs one file; a failure becomes an error record and the next file goes on.
  func pack(_ path: String, id: JSON?) {
    guard access(path, R_OK) == 0 else {
      tool.report(
        ErrorRecord(
          code: "no-input", message: "\(path): cannot read the file (\(String(cString: strerror(errno))))", id: id,
          detail: ["path": .string(path)], exit: .noInput))
      return
    }
    do {
      let found = try TensorFiles.read(path, splitMask: splitMask, limit: limit) { skipped in
        tool.report(skipped.record(id: id, file: path))
      }
      for tensor in found {
        try emit(tensor, id: id)
      }
    } catch let error as TensorFormatError {
      tool.report(error.record(id: id, file: path))
    } catch {
      tool.report(ErrorRecord(code: "io-error", message: "\(path): \(error)", id: id, detail: ["path": .string(path)]))
    }
  }

  /// A new segment holding a tensor's bytes: copied inside the kernel from the file when they lie
  /// raw in it (no mapping of either side), else decoded into a mapped segment.
  static func segment(for tensor: LocatedTensor) throws -> TensorStorage {
    guard case .file(let path, let offset, let nbytes) = tensor.bytes, nbytes > 0 else {
      let (created, region) = try SharedMemory.create(nbytes: tensor.nbytes)
      do {
        try tensor.withBytes { source in region.mutableBytes.copyMemory(from: source) }
      } catch {
        SharedMemory.release(created)
        throw error
      }
      return created
    }
    let fd = try systemCall("\(path): cannot open") { try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK) }
    defer { fd.close() }
    do {
      return try SharedMemory.create(nbytes: nbytes, copying: fd, at: offset)
    } catch let error as TensorError {
      throw TensorFormatError.malformed("\(path): tensor '\(tensor.name)': \(error.message)")
    }
  }

  /// A byte count with an optional binary suffix: `512`, `64K`, `100M`, `16G`, `1T`.
  static func byteCount(_ text: String?) throws -> Int? {
    guard let text else { return nil }
    let units: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    let shift = text.last.flatMap { units[Character($0.uppercased())] }
    let digits = shift == nil ? Substring(text) : text.dropLast()
    guard let value = Int(digits), value >= 0, let count = Checked.multiply(value, 1 << (shift ?? 0)) else {
      throw UsageError("--max-bytes wants a byte count such as 16G, not '\(text)'")
    }
    return count
  }

  /// `file` storage with its path made absolute: records travel to other processes, started in
  /// other directories (node-run's worker refuses a relative path).
  static func absolute(_ storage: TensorStorage) -> TensorStorage {
    guard case .file(let path, let offset, let nbytes) = storage else { return storage }
    return .file(path: absolutePath(path), offset: offset, nbytes: nbytes)
  }

  func emit(_ found: TensorFiles.Found, id: JSON?) throws {
    let tensor = found.tensor
    var storage: TensorStorage
    var token: Int?
    switch destination {
    case .file where tensor.bytes.storage != nil:
      storage = Packer.absolute(tensor.bytes.storage!)
    case .inline:
      guard tensor.nbytes <= Packer.inlineLimit else {
        throw TensorFormatError.unwritable(
          "tensor '\(tensor.name)' has \(tensor.nbytes) bytes, more than the \(Packer.inlineLimit) inline storage is for; use --to shm"
        )
      }
      storage = .inline(try tensor.loadBytes())
    case .shm, .file:
      if destination == .file {
        tool.diagnostics.note(
          "\(tensor.name): the file holds no raw bytes to reference (compressed or decoded); using shm")
      }
      let created = try Packer.segment(for: tensor)
      token = Termination.onStop { SharedMemory.release(created) }
      storage = created
    }
    var record = TensorRecord(
      name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, layout: found.layout, storage: storage)
    if let id { record.extra["id"] = id }
    for (key, value) in found.extra { record.extra[key] = value }
    tool.emit(record.record)
    tool.output.flush()
    guard let token else { return }
    Termination.cancel(token)
    // A record that could not be written was not handed on: nobody will consume its segment.
    if tool.output.failure != nil { SharedMemory.release(storage) }
  }
}
