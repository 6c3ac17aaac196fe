/// One member of a zip archive, as its central directory entry describes it (with zip64 values
/// applied). Sizes in local headers and data descriptors are not needed and not trusted.
struct ZipEntry: Equatable {
  var name: String
  /// 0 = stored, 8 = deflated; other methods are refused when the member is read.
  var method: UInt16
  var flags: UInt16
  var crc32: UInt32
  var compressedSize: Int
  var uncompressedSize: Int
  var localHeaderOffset: Int

  var isEncrypted: Bool { flags & 1 != 0 }
}

/// A zip archive's table of contents (PKWARE APPNOTE 6.3): the end of central directory record,
/// its zip64 form when counts, sizes or offsets overflow 16/32 bits, and the central directory.
/// Archives spanning several disks are refused.
struct ZipArchive {
  let file: InputFile
  let entries: [ZipEntry]

  init(file: InputFile) throws {
    self.file = file
    let (count, directoryOffset, directorySize) = try ZipArchive.locateDirectory(file)
    let directory = try file.read(at: directoryOffset, count: directorySize, what: "the zip central directory")
    var entries: [ZipEntry] = []
    var offset = 0
    for _ in 0..<count {
      let (entry, next) = try ZipArchive.parseEntry(directory, at: offset)
      entries.append(entry)
      offset = next
    }
    self.entries = entries
  }

  /// Finds the end of central directory record in the last 64 KiB + 22 bytes and returns the
  /// entry count, directory offset and directory size (from the zip64 record when present).
  private static func locateDirectory(_ file: InputFile) throws -> (count: Int, offset: Int, size: Int) {
    guard file.size >= 22 else { throw TensorFormatError.malformed("too short to be a zip archive") }
    let tailLength = min(file.size, 22 + 0xFFFF)
    let tailStart = file.size - tailLength
    let tail = try file.read(at: tailStart, count: tailLength, what: "the zip tail")
    var position = tail.count - 22
    while position >= 0 {
      if tail[position] == 0x50, try tail.loadLE(UInt32.self, at: position) == 0x0605_4b50 {
        let commentLength = Int(try tail.loadLE(UInt16.self, at: position + 20))
        if position + 22 + commentLength <= tail.count { break }
      }
      position -= 1
    }
    guard position >= 0 else { throw TensorFormatError.malformed("no zip end of central directory record found") }
    let disk = try tail.loadLE(UInt16.self, at: position + 4)
    var count = Int(try tail.loadLE(UInt16.self, at: position + 10))
    var size = Int(try tail.loadLE(UInt32.self, at: position + 12))
    var offset = Int(try tail.loadLE(UInt32.self, at: position + 16))
    let eocdOffset = tailStart + position
    if let zip64 = try readZip64End(file, eocdOffset: eocdOffset) {
      (count, offset, size) = zip64
    } else if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
      throw TensorFormatError.malformed("zip end record needs a zip64 record but none is there")
    } else if disk != 0 {
      throw TensorFormatError.unsupported("multi-disk zip archives are not supported")
    }
    guard let end = Checked.add(offset, size), end <= eocdOffset else {
      throw TensorFormatError.malformed(
        "zip central directory (\(size) bytes at \(offset)) lies outside the archive before its end record")
    }
    guard count <= size / 46 else {
      throw TensorFormatError.malformed("zip claims \(count) entries but its central directory has \(size) bytes")
    }
    return (count, offset, size)
  }

  /// The zip64 end of central directory record through its locator just before `eocdOffset`, if any.
  private static func readZip64End(_ file: InputFile, eocdOffset: Int) throws -> (Int, Int, Int)? {
    guard eocdOffset >= 20 else { return nil }
    let locator = try file.read(at: eocdOffset - 20, count: 20, what: "the zip64 locator")
    guard try locator.loadLE(UInt32.self, at: 0) == 0x0706_4b50 else { return nil }
    guard let recordOffset = Checked.int(try locator.loadLE(UInt64.self, at: 8)) else {
      throw TensorFormatError.malformed("zip64 end record offset is out of range")
    }
    let record = try file.read(at: recordOffset, count: 56, what: "the zip64 end record")
    guard try record.loadLE(UInt32.self, at: 0) == 0x0606_4b50 else {
      throw TensorFormatError.malformed("zip64 locator points at \(recordOffset), where there is no zip64 end record")
    }
    guard try record.loadLE(UInt32.self, at: 16) == 0, try record.loadLE(UInt32.self, at: 20) == 0 else {
      throw TensorFormatError.unsupported("multi-disk zip archives are not supported")
    }
    guard let count = Checked.int(try record.loadLE(UInt64.self, at: 32)),
      let size = Checked.int(try record.loadLE(UInt64.self, at: 40)),
      let offset = Checked.int(try record.loadLE(UInt64.self, at: 48))
    else { throw TensorFormatError.malformed("zip64 end record holds out-of-range values") }
    return (count, offset, size)
  }

  /// Parses the central directory header at `offset`; returns it and the next header's offset.
  private static func parseEntry(_ directory: [UInt8], at offset: Int) throws -> (ZipEntry, Int) {
    let what = "zip central directory entry"
    guard try directory.loadLE(UInt32.self, at: offset, what: what) == 0x0201_4b50 else {
      throw TensorFormatError.malformed("zip central directory entry at \(offset) has a bad signature")
    }
    let nameLength = Int(try directory.loadLE(UInt16.self, at: offset + 28, what: what))
    let extraLength = Int(try directory.loadLE(UInt16.self, at: offset + 30, what: what))
    let commentLength = Int(try directory.loadLE(UInt16.self, at: offset + 32, what: what))
    let next = offset + 46 + nameLength + extraLength + commentLength
    guard next <= directory.count else {
      throw TensorFormatError.malformed("\(what) at \(offset) runs past the directory")
    }
    let nameStart = offset + 46
    let name = String(decoding: directory[nameStart..<nameStart + nameLength], as: UTF8.self)
    var entry = ZipEntry(
      name: name, method: try directory.loadLE(UInt16.self, at: offset + 10),
      flags: try directory.loadLE(UInt16.self, at: offset + 8),
      crc32: try directory.loadLE(UInt32.self, at: offset + 16),
      compressedSize: Int(try directory.loadLE(UInt32.self, at: offset + 20)),
      uncompressedSize: Int(try directory.loadLE(UInt32.self, at: offset + 24)),
      localHeaderOffset: Int(try directory.loadLE(UInt32.self, at: offset + 42)))
    let extra = Array(directory[nameStart + nameLength..<nameStart + nameLength + extraLength])
    try applyZip64(extra, to: &entry)
    return (entry, next)
  }

  /// Replaces 0xFFFFFFFF sizes and offset with the zip64 extra field's 64-bit values, which
  /// appear in the order uncompressed size, compressed size, local header offset.
  private static func applyZip64(_ extra: [UInt8], to entry: inout ZipEntry) throws {
    var position = 0
    while position + 4 <= extra.count {
      let id = try extra.loadLE(UInt16.self, at: position)
      let length = Int(try extra.loadLE(UInt16.self, at: position + 2))
      let body = position + 4
      guard body + length <= extra.count else {
        throw TensorFormatError.malformed("zip extra field runs past its entry")
      }
      if id == 0x0001 {
        var field = body
        func next() throws -> Int {
          guard field + 8 <= body + length else {
            throw TensorFormatError.malformed("zip64 extra field of '\(entry.name)' is too short")
          }
          defer { field += 8 }
          guard let value = Checked.int(try extra.loadLE(UInt64.self, at: field)) else {
            throw TensorFormatError.malformed("zip64 extra field of '\(entry.name)' holds an out-of-range value")
          }
          return value
        }
        if entry.uncompressedSize == 0xFFFF_FFFF { entry.uncompressedSize = try next() }
        if entry.compressedSize == 0xFFFF_FFFF { entry.compressedSize = try next() }
        if entry.localHeaderOffset == 0xFFFF_FFFF { entry.localHeaderOffset = try next() }
      }
      position = body + length
    }
  }

  /// Refuses an archive in which two members share bytes: each member's local header and data
  /// must lie apart from every other's. Otherwise one member named by many central directory
  /// entries (a "zip bomb" that needs no compression) would be read, and copied, many times.
  func checkMembersApart() throws {
    var spans: [(start: Int, end: Int, name: String)] = []
    for entry in entries {
      let start = try dataOffset(of: entry)
      spans.append((entry.localHeaderOffset, start + entry.compressedSize, entry.name))
    }
    spans.sort { $0.start < $1.start }
    for (a, b) in zip(spans, spans.dropFirst()) where b.start < a.end {
      throw TensorFormatError.malformed("zip members '\(a.name)' and '\(b.name)' overlap in the archive")
    }
  }

  /// Where `entry`'s data starts, from its local header, checked to lie inside the file.
  func dataOffset(of entry: ZipEntry) throws -> Int {
    let header = try file.read(at: entry.localHeaderOffset, count: 30, what: "the local header of '\(entry.name)'")
    guard try header.loadLE(UInt32.self, at: 0) == 0x0403_4b50 else {
      throw TensorFormatError.malformed("zip member '\(entry.name)' has no local header at \(entry.localHeaderOffset)")
    }
    let nameLength = Int(try header.loadLE(UInt16.self, at: 26))
    let extraLength = Int(try header.loadLE(UInt16.self, at: 28))
    let start = entry.localHeaderOffset + 30 + nameLength + extraLength
    try file.checkRange(offset: start, count: entry.compressedSize, what: "the data of zip member '\(entry.name)'")
    return start
  }
}
