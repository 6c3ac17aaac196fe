/// The chunk layer of PNG (W3C PNG spec, RFC 2083): signature, chunks with CRC-32, and the
/// header, palette, transparency and text chunks the decoder needs.
struct PNGImageHeader: Equatable {
  var width: Int
  var height: Int
  var bitDepth: Int
  /// 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA.
  var colorType: UInt8
  var interlaced: Bool

  /// Samples per pixel in the stored data.
  var samplesPerPixel: Int {
    switch colorType {
    case 2: 3
    case 4: 2
    case 6: 4
    default: 1
    }
  }

  var bitsPerPixel: Int { samplesPerPixel * bitDepth }
  /// The byte distance the Sub, Average and Paeth filters look back (at least 1).
  var filterStride: Int { max(1, bitsPerPixel / 8) }
  /// Bytes in one scanline of `width` pixels, filter byte excluded.
  func rowBytes(width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }
}

/// Bytes read at offsets: a file (`InputFile`) or bytes already in memory.
protocol ByteSource {
  var size: Int { get }
  /// Exactly `count` bytes at `offset`; a range outside the source is a `malformed` error.
  func read(at offset: Int, count: Int, what: String) throws -> [UInt8]
}

extension InputFile: ByteSource {}

/// Bytes in memory as a `ByteSource`.
struct MemoryBytes: ByteSource {
  let bytes: [UInt8]
  var size: Int { bytes.count }

  func read(at offset: Int, count: Int, what: String) throws -> [UInt8] {
    guard offset >= 0, count >= 0, let end = Checked.add(offset, count), end <= bytes.count else {
      throw TensorFormatError.malformed(
        "\(what) (\(count) bytes at offset \(offset)) runs past the end (\(bytes.count) bytes)")
    }
    return Array(bytes[offset..<end])
  }
}

struct PNGChunks {
  static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
  /// tEXt and iTXt chunks up to this size are kept; larger ones, like every other ancillary
  /// chunk, are only read through for their CRC, a piece at a time, never held.
  static let textLimit = 64 << 10
  /// The size of the pieces a skipped chunk is read in.
  static let skipPiece = 64 << 10

  var header: PNGImageHeader
  /// PLTE entries as RGB triples.
  var palette: [UInt8] = []
  /// The raw tRNS chunk: alpha per palette entry, or one grey / RGB sample (16-bit big-endian each).
  var transparency: [UInt8]?
  /// All IDAT chunks, concatenated.
  var imageData: [UInt8] = []
  /// Small tEXt and uncompressed iTXt chunks, in file order (compressed text is skipped).
  var text: [(key: String, value: String)] = []

  init(_ bytes: [UInt8], maxImageData: Int = .max) throws {
    try self.init(MemoryBytes(bytes: bytes), maxImageData: maxImageData)
  }

  /// Reads `source` chunk by chunk, checking every CRC, the chunk order that matters, and IHDR.
  /// Only the chunks the image needs are held in memory (IHDR, PLTE, tRNS, IDAT, small text);
  /// IDAT chunks of more than `maxImageData` bytes in all are refused.
  init(_ source: some ByteSource, maxImageData: Int = .max) throws {
    guard source.size >= 8, try source.read(at: 0, count: 8, what: "the signature") == PNGChunks.signature else {
      throw TensorFormatError.malformed("not a PNG file (bad signature)")
    }
    var position = 8
    var parsedHeader: PNGImageHeader?
    var sawEnd = false
    while !sawEnd {
      guard position + 12 <= source.size else {
        throw TensorFormatError.malformed("PNG ends at byte \(source.size) before its IEND chunk (truncated?)")
      }
      let head = try source.read(at: position, count: 8, what: "a chunk header")
      let length = Int(try head.loadBE(UInt32.self, at: 0))
      guard length <= 0x7FFF_FFFF, length <= source.size - position - 12 else {
        throw TensorFormatError.malformed("PNG chunk at \(position) claims \(length) bytes, past the end of the file")
      }
      let type = String(decoding: head[4..<8], as: UTF8.self)
      let ancillary = head[4] & 0x20 != 0
      if type == "IDAT" && length > maxImageData - imageData.count {
        throw TensorFormatError.unsupported(
          "PNG image data is larger than the \(maxImageData) bytes one file may expand to (see --max-bytes)")
      }
      let kept = !ancillary || ((type == "tEXt" || type == "iTXt") && length <= PNGChunks.textLimit) || type == "tRNS"
      var crc = Array(head[4..<8]).withUnsafeBytes { CRC32.update(0, $0) }
      var data: [UInt8] = []
      if kept {
        data = try source.read(at: position + 8, count: length, what: "chunk \(type)")
        crc = data.withUnsafeBytes { CRC32.update(crc, $0) }
      } else {
        var done = 0
        while done < length {
          let piece = try source.read(
            at: position + 8 + done, count: min(PNGChunks.skipPiece, length - done), what: "chunk \(type)")
          crc = piece.withUnsafeBytes { CRC32.update(crc, $0) }
          done += piece.count
        }
      }
      let stored = try source.read(at: position + 8 + length, count: 4, what: "a chunk CRC").loadBE(UInt32.self, at: 0)
      guard stored == crc else {
        throw TensorFormatError.malformed("PNG chunk \(type) at \(position) fails its CRC check")
      }
      position += 12 + length
      if parsedHeader == nil && type != "IHDR" { throw TensorFormatError.malformed("PNG does not start with IHDR") }
      switch type {
      case "IHDR": parsedHeader = try PNGChunks.parseHeader(data)
      case "PLTE":
        guard data.count % 3 == 0, data.count <= 768, !data.isEmpty else {
          throw TensorFormatError.malformed("PNG palette has \(data.count) bytes, not 1–256 RGB entries")
        }
        palette = data
      case "tRNS":
        guard data.count <= 256 else { throw TensorFormatError.malformed("PNG tRNS has \(data.count) bytes") }
        transparency = data
      case "IDAT": imageData += data
      case "IEND": sawEnd = true
      case "tEXt" where kept:
        if let zero = data.firstIndex(of: 0) { text.append((latin1(data[..<zero]), latin1(data[(zero + 1)...]))) }
      case "iTXt" where kept: if let pair = PNGChunks.internationalText(data) { text.append(pair) }
      default:
        guard ancillary else {
          throw TensorFormatError.unsupported("PNG has an unknown critical chunk \(type)")
        }
      }
    }
    guard let parsedHeader else { throw TensorFormatError.malformed("PNG has no IHDR chunk") }
    header = parsedHeader
    if header.colorType == 3 && palette.isEmpty { throw TensorFormatError.malformed("palette PNG has no PLTE chunk") }
    guard !imageData.isEmpty else { throw TensorFormatError.malformed("PNG has no IDAT chunk") }
  }

  private static func parseHeader(_ data: [UInt8]) throws -> PNGImageHeader {
    guard data.count == 13 else { throw TensorFormatError.malformed("PNG IHDR has \(data.count) bytes, not 13") }
    let width = Int(try data.loadBE(UInt32.self, at: 0))
    let height = Int(try data.loadBE(UInt32.self, at: 4))
    guard (1...0x7FFF_FFFF).contains(width), (1...0x7FFF_FFFF).contains(height) else {
      throw TensorFormatError.malformed("PNG size \(width)×\(height) is invalid")
    }
    let depth = Int(data[8])
    let allowed: [UInt8: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
    guard let depths = allowed[data[9]], depths.contains(depth) else {
      throw TensorFormatError.malformed("PNG colour type \(data[9]) with bit depth \(depth) is invalid")
    }
    guard data[10] == 0, data[11] == 0, data[12] <= 1 else {
      throw TensorFormatError.unsupported("PNG compression, filter or interlace method is not a standard one")
    }
    return PNGImageHeader(width: width, height: height, bitDepth: depth, colorType: data[9], interlaced: data[12] == 1)
  }

  /// An uncompressed iTXt chunk's keyword and UTF-8 text.
  private static func internationalText(_ data: [UInt8]) -> (key: String, value: String)? {
    guard let zero = data.firstIndex(of: 0), zero + 2 < data.count, data[zero + 1] == 0 else { return nil }
    var rest = data[(zero + 3)...]
    guard let language = rest.firstIndex(of: 0) else { return nil }
    rest = rest[(language + 1)...]
    guard let translated = rest.firstIndex(of: 0) else { return nil }
    return (latin1(data[..<zero]), String(decoding: rest[(translated + 1)...], as: UTF8.self))
  }

  /// Appends one chunk (length, type, data, CRC) to `out`.
  static func append(_ type: String, _ data: [UInt8], to out: inout [UInt8]) {
    out.appendBE(UInt32(data.count))
    let body = Array(type.utf8) + data
    out += body
    out.appendBE(CRC32.checksum(body))
  }
}

/// Bytes read as ISO 8859-1 (the text of PNG tEXt chunks and npy 1.0/2.0 headers).
func latin1(_ bytes: some Sequence<UInt8>) -> String {
  String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
}
