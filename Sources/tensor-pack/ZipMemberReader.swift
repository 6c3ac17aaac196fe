/// Reads one zip member's uncompressed bytes front to back: straight from the file when stored,
/// through zlib (raw deflate) when deflated, never more than the central directory's size.
/// `finish()` checks that the member ends there and that its CRC-32 matches.
final class ZipMemberReader {
  let entry: ZipEntry
  /// Where the member's (compressed) data starts in the file.
  let dataOffset: Int
  /// Uncompressed bytes handed out so far.
  private(set) var produced = 0
  private let file: InputFile
  private let inflater: Inflater?
  private var input: [UInt8] = []
  private var inputStart = 0
  private var compressedRead = 0
  private var crc: UInt32 = 0

  init(archive: ZipArchive, entry: ZipEntry) throws {
    guard !entry.isEncrypted else { throw TensorFormatError.unsupported("zip member '\(entry.name)' is encrypted") }
    self.entry = entry
    file = archive.file
    dataOffset = try archive.dataOffset(of: entry)
    switch entry.method {
    case 0:
      guard entry.compressedSize == entry.uncompressedSize else {
        throw TensorFormatError.malformed(
          "stored zip member '\(entry.name)' has different compressed and uncompressed sizes")
      }
      inflater = nil
    case 8:
      // Deflate expands at most 1032:1; a larger claim is a lie (or a bomb).
      guard let limit = Checked.multiply(entry.compressedSize, 1032), entry.uncompressedSize <= limit + 1024 else {
        throw TensorFormatError.malformed(
          "zip member '\(entry.name)' claims \(entry.uncompressedSize) bytes from \(entry.compressedSize) compressed")
      }
      inflater = try Inflater(format: .raw)
    default:
      throw TensorFormatError.unsupported(
        "zip member '\(entry.name)' uses compression method \(entry.method); only stored and deflated are supported")
    }
  }

  /// Fills `buffer` with the next bytes of the member; `what` names them in the error when the
  /// member is shorter.
  func read(into buffer: UnsafeMutableRawBufferPointer, what: String) throws {
    guard let end = Checked.add(produced, buffer.count), end <= entry.uncompressedSize else {
      throw TensorFormatError.malformed("\(what) runs past the end of zip member '\(entry.name)'")
    }
    if let inflater {
      var filled = 0
      while filled < buffer.count {
        try refill()
        let (consumed, made) = try input.withUnsafeBytes { source in
          try inflater.inflate(
            UnsafeRawBufferPointer(rebasing: source[inputStart...]),
            into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        }
        inputStart += consumed
        filled += made
        if consumed == 0 && made == 0 {
          throw TensorFormatError.malformed("compressed data of zip member '\(entry.name)' ends early")
        }
      }
    } else {
      try file.read(at: dataOffset + produced, into: buffer)
    }
    crc = CRC32.update(crc, UnsafeRawBufferPointer(buffer))
    produced += buffer.count
  }

  /// Reads the next piece of compressed data once the last one is used up.
  private func refill() throws {
    guard inputStart == input.count, compressedRead < entry.compressedSize else { return }
    let count = min(entry.compressedSize - compressedRead, 1 << 18)
    input = try file.read(at: dataOffset + compressedRead, count: count, what: "zip member '\(entry.name)'")
    inputStart = 0
    compressedRead += count
  }

  func read(count: Int, what: String) throws -> [UInt8] {
    guard count >= 0, count <= entry.uncompressedSize - produced else {
      throw TensorFormatError.malformed("\(what) runs past the end of zip member '\(entry.name)'")
    }
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(into: UnsafeMutableRawBufferPointer(buffer), what: what)
      initialized = count
    }
  }

  /// Reads the rest of the member without keeping it, a piece at a time (its CRC-32 counted).
  func skipToEnd() throws {
    var piece = [UInt8](repeating: 0, count: min(1 << 20, entry.uncompressedSize - produced))
    while produced < entry.uncompressedSize {
      let count = min(piece.count, entry.uncompressedSize - produced)
      try piece.withUnsafeMutableBytes {
        try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]), what: "the member's data")
      }
    }
  }

  /// Checks that every byte has been read, that a deflated stream ends exactly there, and that
  /// the CRC-32 matches the central directory's.
  func finish() throws {
    guard produced == entry.uncompressedSize else {
      throw TensorFormatError.malformed("zip member '\(entry.name)' was not read to its end")
    }
    if let inflater {
      var scratch: UInt8 = 0
      while !inflater.finished {
        try refill()
        let (consumed, made) = try withUnsafeMutableBytes(of: &scratch) { out in
          try input.withUnsafeBytes {
            try inflater.inflate(UnsafeRawBufferPointer(rebasing: $0[inputStart...]), into: out)
          }
        }
        inputStart += consumed
        guard made == 0 else {
          throw TensorFormatError.malformed("zip member '\(entry.name)' inflates to more than its stated size")
        }
        guard consumed > 0 || inflater.finished else {
          throw TensorFormatError.malformed(
            "compressed data of zip member '\(entry.name)' does not end where it should")
        }
      }
    }
    guard crc == entry.crc32 else {
      throw TensorFormatError.malformed("zip member '\(entry.name)' fails its CRC-32 check")
    }
  }
}
