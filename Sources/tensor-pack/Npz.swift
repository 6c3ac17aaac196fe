import PipeKit

/// Reading and writing `.npz` archives (`np.savez`, `np.savez_compressed`).
///
/// Each `NAME.npy` member becomes a tensor named `NAME`; other members are ignored. A stored
/// member that needs no conversion comes back as `file` storage pointing into the archive
/// (zero-copy, though its bytes are read once for the CRC-32); deflated members are inflated into
/// owned bytes. Every member is checked against its size and CRC-32. Members that overlap are
/// refused, and so is an archive whose members hold more than `limit` bytes in all.
enum Npz {
  /// What the `.npy` members of one archive may hold in all, unless told otherwise (`--max-bytes`).
  static let defaultLimit = 16 << 30

  static func read(path: String, limit: Int = defaultLimit) throws -> [LocatedTensor] {
    let contents = try readKeeping(path: path, limit: limit)
    if let first = contents.skipped.first { throw first }
    return contents.tensors
  }

  /// The archive's tensors, and why each member that holds something the kit does not carry (a
  /// dtype such as complex64) was left out: one such member does not lose the others.
  static func readKeeping(
    path: String, limit: Int = defaultLimit
  ) throws -> (tensors: [LocatedTensor], skipped: [TensorFormatError]) {
    try withErrorContext(path) {
      let archive = try ZipArchive(file: InputFile(path: path))
      try archive.checkMembersApart()
      let members = archive.entries.filter { $0.name.hasSuffix(".npy") }
      var total = 0
      for entry in members {
        guard let sum = Checked.add(total, entry.uncompressedSize), sum <= limit else {
          throw TensorFormatError.unsupported(
            "the archive's members hold more than the \(limit) bytes one file may expand to (see --max-bytes)")
        }
        total = sum
      }
      var tensors: [LocatedTensor] = []
      var skipped: [TensorFormatError] = []
      for entry in members {
        let name = String(entry.name.dropLast(4))
        do {
          tensors.append(
            try withErrorContext("member '\(entry.name)'") { try readMember(entry, name: name, in: archive) })
        } catch let error as TensorFormatError where error.kind == .unsupported {
          skipped.append(error.within(path))
        }
      }
      return (tensors, skipped)
    }
  }

  private static func readMember(_ entry: ZipEntry, name: String, in archive: ZipArchive) throws -> LocatedTensor {
    let reader = try ZipMemberReader(archive: archive, entry: entry)
    let header = try NpyHeader.read { count, what in try reader.read(count: count, what: what) }
    guard let size = Checked.add(header.dataOffset, header.nbytes), size == entry.uncompressedSize else {
      throw TensorFormatError.malformed(
        "member holds \(entry.uncompressedSize) bytes but its npy header describes "
          + "\(header.dataOffset) + \(header.nbytes)")
    }
    if entry.method == 0 && !header.needsConversion {
      try reader.skipToEnd()
      try reader.finish()
      return try LocatedTensor(
        name: name, dtype: header.dtype, shape: header.shape,
        bytes: .file(path: archive.file.path, offset: reader.dataOffset + header.dataOffset, nbytes: header.nbytes))
    }
    let raw = try reader.read(count: header.nbytes, what: "the array data")
    try reader.finish()
    return try LocatedTensor(
      name: name, dtype: header.dtype, shape: header.shape, owned: LayoutConversion.normalize(raw, header: header))
  }

  /// Writes `tensors` as `NAME.npy` members: stored (like `np.savez`) or deflated (like
  /// `np.savez_compressed`). Names must be unique.
  static func write(_ tensors: [LocatedTensor], to path: String, compressed: Bool, forceZip64: Bool = false) throws {
    let out = try withErrorContext(path) { try OutputFile(path: path) }
    try write(tensors, into: out, compressed: compressed, forceZip64: forceZip64)
  }

  /// Writes `tensors` into `out` and commits it.
  static func write(
    _ tensors: [LocatedTensor], into out: OutputFile, compressed: Bool, forceZip64: Bool = false
  ) throws {
    try withErrorContext(out.path) {
      var seen = Set<String>()
      for tensor in tensors where !seen.insert(tensor.name).inserted {
        throw TensorFormatError.unwritable("two tensors are named '\(tensor.name)'")
      }
      var zip = ZipWriter(out: out, forceZip64: forceZip64)
      for tensor in tensors {
        let header = try NpyHeader.encode(dtype: tensor.dtype, shape: tensor.shape)
        try header.withUnsafeBytes { head in
          try tensor.withBytes { body in
            try zip.add(
              name: tensor.name + ".npy", method: compressed ? .deflated(level: 6) : .stored, parts: [head, body])
          }
        }
      }
      try zip.finish()
      try out.commit()
    }
  }
}
