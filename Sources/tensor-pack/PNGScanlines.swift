/// Scanline geometry and filtering of PNG image data: the Adam7 passes of interlaced images
/// and the five filter types, shared by the decoder and the encoder.
enum PNGScanlines {
  /// One pass over the image: pixel (x, y) of the pass is image pixel
  /// (xStart + x·xStep, yStart + y·yStep). A non-interlaced image is one pass with steps of 1.
  struct Pass: Equatable {
    var xStart, yStart, xStep, yStep: Int
    var width, height: Int
  }

  /// The passes that hold pixels (Adam7 passes of an image smaller than 8×8 can be empty).
  static func passes(for header: PNGImageHeader) -> [Pass] {
    guard header.interlaced else {
      return [Pass(xStart: 0, yStart: 0, xStep: 1, yStep: 1, width: header.width, height: header.height)]
    }
    let adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    return adam7.compactMap { xStart, yStart, xStep, yStep in
      let width = header.width > xStart ? (header.width - xStart + xStep - 1) / xStep : 0
      let height = header.height > yStart ? (header.height - yStart + yStep - 1) / yStep : 0
      guard width > 0, height > 0 else { return nil }
      return Pass(xStart: xStart, yStart: yStart, xStep: xStep, yStep: yStep, width: width, height: height)
    }
  }

  /// The size of the decompressed image data: for every pass, one filter byte and the row's
  /// bytes per row. Checked against overflow (dimensions are limited before this is called).
  static func dataSize(_ header: PNGImageHeader, passes: [Pass]) throws -> Int {
    var total = 0
    for pass in passes {
      guard let row = Checked.multiply(pass.width, header.bitsPerPixel).flatMap({ Checked.add($0, 7 + 8) }),
        let bytes = Checked.multiply(row / 8, pass.height), let sum = Checked.add(total, bytes)
      else { throw TensorFormatError.malformed("PNG image data size overflows") }
      total = sum
    }
    return total
  }

  /// Reverses the filter of every scanline of `data` in place and hands each unfiltered row to
  /// `visit` with its pass and row number.
  static func unfilter(
    _ data: inout [UInt8], header: PNGImageHeader, passes: [Pass],
    visit: (Pass, Int, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws {
    let stride = header.filterStride
    try data.withUnsafeMutableBufferPointer { buffer in
      var offset = 0
      for pass in passes {
        let rowBytes = header.rowBytes(width: pass.width)
        var previous: Int? = nil
        for y in 0..<pass.height {
          let filter = buffer[offset]
          let row = offset + 1
          try unfilterRow(buffer, row: row, count: rowBytes, previous: previous, filter: filter, stride: stride, y: y)
          try visit(pass, y, UnsafeBufferPointer(rebasing: buffer[row..<row + rowBytes]))
          previous = row
          offset = row + rowBytes
        }
      }
    }
  }

  private static func unfilterRow(
    _ b: UnsafeMutableBufferPointer<UInt8>, row: Int, count: Int, previous: Int?, filter: UInt8, stride: Int, y: Int
  ) throws {
    @inline(__always) func up(_ i: Int) -> UInt8 { previous.map { b[$0 + i] } ?? 0 }
    @inline(__always) func left(_ i: Int) -> UInt8 { i >= stride ? b[row + i - stride] : 0 }
    @inline(__always) func upLeft(_ i: Int) -> UInt8 { i >= stride ? up(i - stride) : 0 }
    switch filter {
    case 0: return
    case 1: for i in stride..<max(stride, count) { b[row + i] &+= b[row + i - stride] }
    case 2: if previous != nil { for i in 0..<count { b[row + i] &+= up(i) } }
    case 3: for i in 0..<count { b[row + i] &+= UInt8((Int(left(i)) + Int(up(i))) / 2) }
    case 4: for i in 0..<count { b[row + i] &+= paeth(left(i), up(i), upLeft(i)) }
    default: throw TensorFormatError.malformed("PNG row \(y) has unknown filter type \(filter)")
    }
  }

  /// The Paeth predictor: whichever of left, up and upper-left is closest to left + up − upper-left.
  @inline(__always) static func paeth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8 {
    let p = Int(a) + Int(b) - Int(c)
    let pa = abs(p - Int(a))
    let pb = abs(p - Int(b))
    let pc = abs(p - Int(c))
    if pa <= pb && pa <= pc { return a }
    return pb <= pc ? b : c
  }

  /// Filters `row` (given the unfiltered `previous` row, or nil for the first) with `filter`.
  static func filter(_ row: [UInt8], previous: [UInt8]?, filter: UInt8, stride: Int) -> [UInt8] {
    var out = row
    for i in 0..<row.count {
      let a = i >= stride ? row[i - stride] : 0
      let b = previous?[i] ?? 0
      let c = i >= stride ? previous?[i - stride] ?? 0 : 0
      switch filter {
      case 1: out[i] = row[i] &- a
      case 2: out[i] = row[i] &- b
      case 3: out[i] = row[i] &- UInt8((Int(a) + Int(b)) / 2)
      case 4: out[i] = row[i] &- paeth(a, b, c)
      default: break
      }
    }
    return out
  }
}
