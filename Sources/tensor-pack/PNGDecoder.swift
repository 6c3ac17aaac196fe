import PipeKit

/// Decoding PNG files into ComfyUI IMAGE tensors: float32 `[1,H,W,C]` in 0…1.
///
/// Every PNG colour type and bit depth is read (1/2/4/8/16-bit grey, 8/16-bit RGB, grey+alpha
/// and RGBA, 1/2/4/8-bit palette), interlaced or not. Samples are divided by 2^depth − 1, palette
/// entries by 255. Channels:
/// - grey → C = 1 (C = 3 with `greyToRGB`); RGB and palette → C = 3;
/// - an image with alpha (grey+alpha, RGBA, or a tRNS chunk on grey, RGB or palette images)
///   → C = 4, grey replicated into R, G and B; with `alpha: .mask` or `.invertedMask` the
///   colour channels stay (C = 1 or 3) and alpha becomes a separate MASK `[1,H,W]`: alpha as it
///   is, or 1 − alpha as ComfyUI's LoadImage makes it. An image without alpha has no mask.
/// Gamma, colour profiles and other ancillary chunks are ignored; every chunk's CRC is checked.
struct PNGDecodeOptions {
  enum Alpha {
    case keep
    case mask
    case invertedMask
  }

  var alpha = Alpha.keep
  var greyToRGB = false
  /// Images with more pixels are refused before anything is allocated.
  var maxPixels = 1 << 28
  /// What the decoded tensors (image and mask, float32) may hold in all, and the compressed
  /// image data too; a larger image is refused before anything is allocated (`--max-bytes`).
  var maxBytes = Npz.defaultLimit
}

struct DecodedPNG {
  /// IMAGE `[1,H,W,C]` float32, named as asked.
  var image: LocatedTensor
  /// MASK `[1,H,W]` float32 named `<name>_mask`, when alpha was split off.
  var mask: LocatedTensor?
  /// tEXt / iTXt pairs (ComfyUI stores `prompt` and `workflow` JSON there).
  var text: [(key: String, value: String)]
}

enum PNGDecoder {
  static func decode(path: String, name: String = "image", options: PNGDecodeOptions = .init()) throws -> DecodedPNG {
    try withErrorContext(path) {
      try decode(PNGChunks(InputFile(path: path), maxImageData: options.maxBytes), name: name, options: options)
    }
  }

  static func decode(
    _ bytes: [UInt8], name: String = "image", options: PNGDecodeOptions = .init()
  ) throws -> DecodedPNG {
    try decode(PNGChunks(bytes, maxImageData: options.maxBytes), name: name, options: options)
  }

  static func decode(_ chunks: PNGChunks, name: String, options: PNGDecodeOptions) throws -> DecodedPNG {
    let header = chunks.header
    guard let pixels = Checked.multiply(header.width, header.height), pixels <= options.maxPixels else {
      throw TensorFormatError.unsupported(
        "PNG of \(header.width)×\(header.height) pixels is larger than the \(options.maxPixels) pixels accepted")
    }
    let source = try PixelSource(chunks)
    let passes = PNGScanlines.passes(for: header)
    let dataSize = try PNGScanlines.dataSize(header, passes: passes)
    // Deflate expands at most 1032:1: less compressed data than that cannot fill the image.
    guard let limit = Checked.multiply(chunks.imageData.count, 1032), dataSize <= limit + 1024 else {
      throw TensorFormatError.malformed(
        "PNG image data (\(chunks.imageData.count) bytes) is too short for a \(header.width)×\(header.height) image")
    }
    var data = try Zlib.inflate(chunks.imageData, format: .zlib, outputSize: dataSize)

    let isGrey = header.colorType == 0 || header.colorType == 4
    let colour = isGrey && !options.greyToRGB ? 1 : 3
    let splitAlpha = source.hasAlpha && options.alpha != .keep
    let channels = source.hasAlpha && !splitAlpha ? 4 : colour
    guard pixels * (channels + (splitAlpha ? 1 : 0)) * 4 <= options.maxBytes else {
      throw TensorFormatError.unsupported(
        "PNG of \(header.width)×\(header.height) pixels decodes to more than the \(options.maxBytes) bytes one file may expand to (see --max-bytes)"
      )
    }
    var image = [UInt8](repeating: 0, count: pixels * channels * 4)
    var mask = [UInt8](repeating: 0, count: splitAlpha ? pixels * 4 : 0)
    let invert = options.alpha == .invertedMask
    try image.withUnsafeMutableBytes { imageBytes in
      try mask.withUnsafeMutableBytes { maskBytes in
        let out = imageBytes.bindMemory(to: Float.self)
        let maskOut = maskBytes.bindMemory(to: Float.self)
        try PNGScanlines.unfilter(&data, header: header, passes: passes) { pass, y, row in
          let imageY = pass.yStart + y * pass.yStep
          for x in 0..<pass.width {
            let (r, g, b, a) = try source.pixel(row, x)
            let p = imageY * header.width + pass.xStart + x * pass.xStep
            let o = p * channels
            if channels == 1 {
              out[o] = r
            } else {
              out[o] = r
              out[o + 1] = g
              out[o + 2] = b
              if channels == 4 { out[o + 3] = a }
            }
            if splitAlpha { maskOut[p] = invert ? 1 - a : a }
          }
        }
      }
    }
    let imageTensor = try LocatedTensor(
      name: name, dtype: .float32, shape: [1, header.height, header.width, channels], owned: image)
    let maskTensor =
      splitAlpha
      ? try LocatedTensor(
        name: name + "_mask", dtype: .float32, shape: [1, header.height, header.width], owned: mask)
      : nil
    return DecodedPNG(image: imageTensor, mask: maskTensor, text: chunks.text)
  }

  /// The little-endian bytes of `values`.
  static func floatBytes(_ values: [Float]) -> [UInt8] {
    values.withUnsafeBytes { Array($0) }
  }
}

/// Turns the samples of one unfiltered scanline into normalized RGBA, per colour type.
private struct PixelSource {
  let depth: Int
  let colorType: UInt8
  /// 2^depth − 1: samples are divided by it.
  let maxValue: Float
  let samples: Int
  /// Palette as normalized RGBA (alpha from tRNS, 1 where tRNS has no entry).
  var palette: [(Float, Float, Float, Float)] = []
  /// The one transparent grey or RGB sample value set by tRNS.
  var transparentKey: [Int]?

  /// Alpha comes from the colour type or from a tRNS chunk.
  let hasAlpha: Bool

  init(_ chunks: PNGChunks) throws {
    let header = chunks.header
    depth = header.bitDepth
    colorType = header.colorType
    maxValue = Float((1 << depth) - 1)
    samples = header.samplesPerPixel
    let trns = chunks.transparency ?? []
    hasAlpha = colorType == 4 || colorType == 6 || chunks.transparency != nil
    switch colorType {
    case 3:
      let count = chunks.palette.count / 3
      guard trns.count <= count else { throw TensorFormatError.malformed("PNG tRNS has more entries than the palette") }
      palette = (0..<count).map { k in
        let alpha = k < trns.count ? Float(trns[k]) / 255 : 1
        return (
          Float(chunks.palette[3 * k]) / 255, Float(chunks.palette[3 * k + 1]) / 255,
          Float(chunks.palette[3 * k + 2]) / 255, alpha
        )
      }
    case 0, 2:
      guard chunks.transparency != nil else { break }
      guard trns.count == 2 * samples else {
        throw TensorFormatError.malformed("PNG tRNS has the wrong size for its colour type")
      }
      transparentKey = (0..<samples).map { Int(trns[2 * $0]) << 8 | Int(trns[2 * $0 + 1]) }
    default: break
    }
  }

  /// The `index`-th sample of `row` as an integer.
  @inline(__always) func sample(_ row: UnsafeBufferPointer<UInt8>, _ index: Int) -> Int {
    switch depth {
    case 16: return Int(row[2 * index]) << 8 | Int(row[2 * index + 1])
    case 8: return Int(row[index])
    default:
      let bit = index * depth
      return Int(row[bit >> 3] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1)
    }
  }

  /// Pixel `x` of `row` as normalized (r, g, b, a); grey is returned in all three colours.
  @inline(__always) func pixel(_ row: UnsafeBufferPointer<UInt8>, _ x: Int) throws -> (Float, Float, Float, Float) {
    let first = x * samples
    switch colorType {
    case 0:
      let v = sample(row, first)
      let g = Float(v) / maxValue
      return (g, g, g, transparentKey?[0] == v ? 0 : 1)
    case 2:
      let r = sample(row, first)
      let g = sample(row, first + 1)
      let b = sample(row, first + 2)
      var a: Float = 1
      if let key = transparentKey, key[0] == r, key[1] == g, key[2] == b { a = 0 }
      return (Float(r) / maxValue, Float(g) / maxValue, Float(b) / maxValue, a)
    case 3:
      let index = sample(row, first)
      guard index < palette.count else {
        throw TensorFormatError.malformed("PNG palette index \(index) is beyond the \(palette.count)-entry palette")
      }
      return palette[index]
    case 4:
      let g = Float(sample(row, first)) / maxValue
      return (g, g, g, Float(sample(row, first + 1)) / maxValue)
    default:
      return (
        Float(sample(row, first)) / maxValue, Float(sample(row, first + 1)) / maxValue,
        Float(sample(row, first + 2)) / maxValue, Float(sample(row, first + 3)) / maxValue
      )
    }
  }
}
