import PipeKit

/// Encoding ComfyUI IMAGE `[B,H,W,C]` (C = 1, 3, 4 → grey, RGB, RGBA) and MASK `[B,H,W]` (→ grey)
/// tensors as 8-bit PNG files, one per batch item.
///
/// Float samples (float16, bfloat16, float32, float64) are clamped to 0…1 and mapped to
/// ⌊x·255 + 0.5⌋ (NaN → 0); uint8 samples are taken as they are, bool as 0 or 255. (ComfyUI's
/// SaveImage truncates instead of rounding, so its files can differ by one level.) Rows are
/// filtered adaptively (the filter with the smallest sum of absolute signed bytes, as libpng
/// does) unless a filter is forced.
enum PNGEncoder {
  /// The value a float sample is stored as.
  @inline(__always) static func quantize(_ value: Float) -> UInt8 {
    guard value > 0 else { return 0 }  // also NaN
    guard value < 1 else { return 255 }
    return UInt8((value * 255 + 0.5).rounded(.down))
  }

  /// One PNG file's bytes per batch item. `text` pairs go into tEXt chunks (iTXt when a value is
  /// not Latin-1), e.g. ComfyUI's `prompt` and `workflow`.
  static func encode(
    _ tensor: LocatedTensor, filter: UInt8? = nil, text: [(key: String, value: String)] = [], level: Int = 6
  ) throws -> [[UInt8]] {
    let shape = tensor.shape
    let channels: Int
    switch shape.count {
    case 3: channels = 1
    case 4 where [1, 3, 4].contains(shape[3]): channels = shape[3]
    default:
      throw TensorFormatError.unwritable(
        "PNG needs an IMAGE [B,H,W,C] with C = 1, 3 or 4 or a MASK [B,H,W]; got \(shape)")
    }
    let (batch, height, width) = (shape[0], shape[1], shape[2])
    guard width > 0, height > 0, width <= 0x7FFF_FFFF, height <= 0x7FFF_FFFF else {
      throw TensorFormatError.unwritable("PNG cannot hold an image of \(width)×\(height) pixels")
    }
    if let filter, filter > 4 { throw TensorFormatError.unwritable("PNG filter type \(filter) does not exist") }
    let perImage = height * width * channels
    let samples = try samplesAsBytes(tensor)
    var files: [[UInt8]] = []
    for item in 0..<batch {
      let pixels = samples[(item * perImage)..<((item + 1) * perImage)]
      let header = PNGImageHeader(
        width: width, height: height, bitDepth: 8, colorType: [1: 0, 3: 2, 4: 6][channels] ?? 0, interlaced: false)
      files.append(try encodeImage(Array(pixels), header: header, filter: filter, text: text, level: level))
    }
    return files
  }

  private static func encodeImage(
    _ pixels: [UInt8], header: PNGImageHeader, filter: UInt8?, text: [(key: String, value: String)], level: Int
  ) throws -> [UInt8] {
    let rowBytes = header.rowBytes(width: header.width)
    var scanlines: [UInt8] = []
    scanlines.reserveCapacity((rowBytes + 1) * header.height)
    var previous: [UInt8]? = nil
    for y in 0..<header.height {
      let row = Array(pixels[(y * rowBytes)..<((y + 1) * rowBytes)])
      let candidates: [UInt8] = filter.map { [$0] } ?? [0, 1, 2, 3, 4]
      var best: (cost: Int, type: UInt8, bytes: [UInt8]) = (.max, 0, row)
      for type in candidates {
        let filtered = PNGScanlines.filter(row, previous: previous, filter: type, stride: header.filterStride)
        let cost = candidates.count == 1 ? 0 : filtered.reduce(0) { $0 + abs(Int(Int8(bitPattern: $1))) }
        if cost < best.cost { best = (cost, type, filtered) }
      }
      scanlines.append(best.type)
      scanlines += best.bytes
      previous = row
    }
    var out = PNGChunks.signature
    var ihdr: [UInt8] = []
    ihdr.appendBE(UInt32(header.width))
    ihdr.appendBE(UInt32(header.height))
    ihdr += [UInt8(header.bitDepth), header.colorType, 0, 0, 0]
    PNGChunks.append("IHDR", ihdr, to: &out)
    for (key, value) in text { appendText(key: key, value: value, to: &out) }
    let compressed = try scanlines.withUnsafeBytes { try Zlib.deflate($0, format: .zlib, level: level) }
    var start = 0
    repeat {
      let end = min(compressed.count, start + (1 << 20))
      PNGChunks.append("IDAT", Array(compressed[start..<end]), to: &out)
      start = end
    } while start < compressed.count
    PNGChunks.append("IEND", [], to: &out)
    return out
  }

  private static func appendText(key: String, value: String, to out: inout [UInt8]) {
    let keyword = Array(
      key.unicodeScalars.prefix(79).map { $0.value <= 0xFF && $0.value != 0 ? UInt8($0.value) : 0x3F })
    if value.unicodeScalars.allSatisfy({ $0.value <= 0xFF }) {
      PNGChunks.append("tEXt", keyword + [0] + value.unicodeScalars.map { UInt8($0.value) }, to: &out)
    } else {
      PNGChunks.append("iTXt", keyword + [0, 0, 0, 0, 0] + Array(value.utf8), to: &out)
    }
  }

  /// Every sample of `tensor` as an 8-bit value.
  private static func samplesAsBytes(_ tensor: LocatedTensor) throws -> [UInt8] {
    let count = tensor.nbytes / tensor.dtype.itemSize
    return try tensor.withBytes { raw in
      switch tensor.dtype {
      case .uint8: return Array(raw)
      case .bool: return raw.map { $0 != 0 ? 255 : 0 }
      case .float32: return (0..<count).map { quantize(raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self)) }
      case .float64:
        return (0..<count).map { quantize(Float(raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self))) }
      case .float16:
        return (0..<count).map { quantize(Float(raw.loadUnaligned(fromByteOffset: $0 * 2, as: Float16.self))) }
      case .bfloat16:
        return (0..<count).map {
          quantize(Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16))
        }
      default:
        throw TensorFormatError.unwritable("PNG images need float, uint8 or bool samples, not \(tensor.dtype.rawValue)")
      }
    }
  }
}
