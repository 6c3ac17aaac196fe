/// Writes a zip archive member by member: local header, data (stored or raw deflate), and at the
/// end the central directory, with zip64 records wherever a size, offset or count does not fit
/// in 16/32 bits (or everywhere, with `forceZip64`). Members carry a fixed 1980-01-01 time so the
/// same tensors give the same bytes. No data descriptors: the CRC is computed before the local
/// header is written, and a deflated member's compressed size is patched in afterwards.
struct ZipWriter {
  enum Method {
    case stored
    case deflated(level: Int)
  }

  private let out: OutputFile
  private let forceZip64: Bool
  private var directory: [UInt8] = []
  private var count = 0

  init(out: OutputFile, forceZip64: Bool = false) {
    self.out = out
    self.forceZip64 = forceZip64
  }

  /// Adds a member whose bytes are the concatenation of `parts`.
  mutating func add(name: String, method: Method, parts: [UnsafeRawBufferPointer]) throws {
    let nameBytes = Array(name.utf8)
    guard nameBytes.count <= 0xFFFF else { throw TensorFormatError.unwritable("zip member name is too long") }
    var size = 0
    var crc: UInt32 = 0
    for part in parts {
      guard let total = Checked.add(size, part.count) else { throw TensorFormatError.unwritable("member too large") }
      size = total
      crc = CRC32.update(crc, part)
    }
    let localOffset = out.position
    let localZip64 = forceZip64 || size >= 0xF000_0000
    let methodCode: UInt16
    if case .deflated = method { methodCode = 8 } else { methodCode = 0 }
    let flags: UInt16 = nameBytes.allSatisfy { $0 < 0x80 } ? 0 : 0x800
    let version: UInt16 = localZip64 ? 45 : 20

    var local: [UInt8] = []
    local.appendLE(UInt32(0x0403_4b50))
    for value in [version, flags, methodCode, 0, 0x21] { local.appendLE(value) }
    local.appendLE(crc)
    let storedSize = localZip64 ? 0xFFFF_FFFF : UInt32(size)
    local.appendLE(methodCode == 0 ? storedSize : (localZip64 ? 0xFFFF_FFFF : 0))
    local.appendLE(storedSize)
    local.appendLE(UInt16(nameBytes.count))
    local.appendLE(UInt16(localZip64 ? 20 : 0))
    local += nameBytes
    if localZip64 {
      local.appendLE(UInt16(1))
      local.appendLE(UInt16(16))
      local.appendLE(UInt64(size))
      local.appendLE(UInt64(methodCode == 0 ? size : 0))
    }
    try out.write(local)

    var compressed = size
    switch method {
    case .stored:
      for part in parts { try out.write(part) }
    case .deflated(let level):
      let deflater = try Deflater(format: .raw, level: level)
      let start = out.position
      for (k, part) in parts.enumerated() {
        try deflater.deflate(part, finish: k == parts.count - 1) { try out.write($0) }
      }
      if parts.isEmpty {
        try deflater.deflate(UnsafeRawBufferPointer(start: nil, count: 0), finish: true) { try out.write($0) }
      }
      compressed = out.position - start
      if localZip64 {
        var patch: [UInt8] = []
        patch.appendLE(UInt64(compressed))
        try out.patch(patch, at: localOffset + 30 + nameBytes.count + 12)
      } else {
        guard compressed < 0xFFFF_FFFF else { throw TensorFormatError.unwritable("compressed member too large") }
        var patch: [UInt8] = []
        patch.appendLE(UInt32(compressed))
        try out.patch(patch, at: localOffset + 18)
      }
    }
    appendDirectoryEntry(
      nameBytes: nameBytes, flags: flags, method: methodCode, crc: crc, size: size, compressed: compressed,
      localOffset: localOffset)
  }

  private mutating func appendDirectoryEntry(
    nameBytes: [UInt8], flags: UInt16, method: UInt16, crc: UInt32, size: Int, compressed: Int, localOffset: Int
  ) {
    var extra: [UInt8] = []
    func field(_ value: Int) -> UInt32 {
      guard forceZip64 || value >= 0xFFFF_FFFF else { return UInt32(value) }
      extra.appendLE(UInt64(value))
      return 0xFFFF_FFFF
    }
    let size32 = field(size)
    let compressed32 = field(compressed)
    let offset32 = field(localOffset)
    let version: UInt16 = extra.isEmpty ? 20 : 45
    directory.appendLE(UInt32(0x0201_4b50))
    for value in [0x0300 | version, version, flags, method, 0, 0x21] { directory.appendLE(UInt16(value)) }
    directory.appendLE(crc)
    directory.appendLE(compressed32)
    directory.appendLE(size32)
    directory.appendLE(UInt16(nameBytes.count))
    directory.appendLE(UInt16(extra.isEmpty ? 0 : extra.count + 4))
    for _ in 0..<3 { directory.appendLE(UInt16(0)) }  // comment length, disk, internal attributes
    directory.appendLE(UInt32(0o100644) << 16)
    directory.appendLE(offset32)
    directory += nameBytes
    if !extra.isEmpty {
      directory.appendLE(UInt16(1))
      directory.appendLE(UInt16(extra.count))
      directory += extra
    }
    count += 1
  }

  /// Writes the central directory and the end records.
  mutating func finish() throws {
    let directoryOffset = out.position
    try out.write(directory)
    let zip64 = forceZip64 || count >= 0xFFFF || directoryOffset >= 0xFFFF_FFFF || directory.count >= 0xFFFF_FFFF
    var end: [UInt8] = []
    if zip64 {
      let recordOffset = out.position
      end.appendLE(UInt32(0x0606_4b50))
      end.appendLE(UInt64(44))
      for value: UInt16 in [0x032D, 45] { end.appendLE(value) }
      end.appendLE(UInt32(0))
      end.appendLE(UInt32(0))
      for value in [count, count, directory.count, directoryOffset] { end.appendLE(UInt64(value)) }
      end.appendLE(UInt32(0x0706_4b50))
      end.appendLE(UInt32(0))
      end.appendLE(UInt64(recordOffset))
      end.appendLE(UInt32(1))
    }
    end.appendLE(UInt32(0x0605_4b50))
    end.appendLE(UInt32(0))  // this disk, directory disk
    let count16 = zip64 ? 0xFFFF : UInt16(count)
    end.appendLE(count16)
    end.appendLE(count16)
    end.appendLE(zip64 ? 0xFFFF_FFFF : UInt32(directory.count))
    end.appendLE(zip64 ? 0xFFFF_FFFF : UInt32(directoryOffset))
    end.appendLE(UInt16(0))
    try out.write(end)
  }
}
