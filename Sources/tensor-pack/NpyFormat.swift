import PipeKit

/// Reading and writing `.npy` files.
///
/// A C-order little-endian array is returned as `file` storage pointing at its bytes in place.
/// Big-endian arrays (`>f4`) are byte-swapped and Fortran-order arrays reordered to C order;
/// both come back as owned bytes, since the file does not hold them in the record layout.
enum Npy {
  /// Reads the array in the file at `path`; `name` defaults to the file name without `.npy`.
  static func read(path: String, name: String? = nil) throws -> LocatedTensor {
    try withErrorContext(path) {
      let file = try InputFile(path: path)
      var offset = 0
      let header = try NpyHeader.read { count, what in
        defer { offset += count }
        return try file.read(at: offset, count: count, what: what)
      }
      let tensorName = name ?? defaultName(for: path)
      try file.checkRange(offset: header.dataOffset, count: header.nbytes, what: "the array data")
      guard header.needsConversion else {
        return try LocatedTensor(
          name: tensorName, dtype: header.dtype, shape: header.shape,
          bytes: .file(path: path, offset: header.dataOffset, nbytes: header.nbytes))
      }
      let raw = try file.read(at: header.dataOffset, count: header.nbytes, what: "the array data")
      return try LocatedTensor(
        name: tensorName, dtype: header.dtype, shape: header.shape,
        owned: LayoutConversion.normalize(raw, header: header))
    }
  }

  /// Writes `tensor` as an `.npy` file byte-identical to what `np.save` writes (below 64 MiB;
  /// above, the header is padded to 4 KiB).
  static func write(_ tensor: LocatedTensor, to path: String) throws {
    try write(tensor, into: withErrorContext(path) { try OutputFile(path: path) })
  }

  /// Writes `tensor` into `out` and commits it.
  static func write(_ tensor: LocatedTensor, into out: OutputFile) throws {
    try withErrorContext(out.path) {
      // A tensor that will go around the page cache gets a header padded to a block, so its
      // bytes are written straight from where they are, with no copy on the way.
      let alignment = tensor.nbytes >= OutputFile.directThreshold ? DirectWriter.block : 64
      try out.write(try NpyHeader.encode(dtype: tensor.dtype, shape: tensor.shape, alignment: alignment))
      try tensor.writeBytes(into: out)
      try out.commit()
    }
  }

  /// The file name of `path` without its directory and a trailing `.npy`.
  static func defaultName(for path: String) -> String {
    var base = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? path
    if base.hasSuffix(".npy") { base.removeLast(4) }
    return base
  }
}

/// Converting array bytes that files may hold in another layout into the one tensor records use:
/// little-endian, C order.
enum LayoutConversion {
  /// Reverses the bytes of every `itemSize`-byte element in place (big-endian → little-endian).
  static func byteSwap(_ bytes: inout [UInt8], itemSize: Int) {
    guard itemSize > 1 else { return }
    bytes.withUnsafeMutableBufferPointer { buffer in
      var start = 0
      while start + itemSize <= buffer.count {
        var low = start
        var high = start + itemSize - 1
        while low < high {
          buffer.swapAt(low, high)
          low += 1
          high -= 1
        }
        start += itemSize
      }
    }
  }

  /// Reorders the elements of a Fortran-order (column-major) array of `shape` into C order
  /// (row-major): element `[i0, …, in]` ends up at the same index, read the other way.
  static func fortranToC(_ bytes: [UInt8], shape: [Int], itemSize: Int) -> [UInt8] {
    let total = bytes.count
    guard total > 0, shape.count > 1 else { return bytes }
    var strides = [Int](repeating: itemSize, count: shape.count)
    for k in 1..<shape.count { strides[k] = strides[k - 1] * shape[k - 1] }
    var index = [Int](repeating: 0, count: shape.count)
    var out = [UInt8](repeating: 0, count: total)
    bytes.withUnsafeBufferPointer { source in
      out.withUnsafeMutableBufferPointer { target in
        var src = 0
        var dst = 0
        while dst < total {
          for b in 0..<itemSize { target[dst + b] = source[src + b] }
          dst += itemSize
          var k = shape.count - 1
          while k >= 0 {
            index[k] += 1
            src += strides[k]
            if index[k] < shape[k] { break }
            src -= strides[k] * shape[k]
            index[k] = 0
            k -= 1
          }
        }
      }
    }
    return out
  }

  /// Applies what an npy header asks for: byte swap, then Fortran → C reordering.
  static func normalize(_ bytes: [UInt8], header: NpyHeader) -> [UInt8] {
    var out = bytes
    if header.bigEndian { byteSwap(&out, itemSize: header.dtype.itemSize) }
    if header.fortranOrder { out = fortranToC(out, shape: header.shape, itemSize: header.dtype.itemSize) }
    return out
  }
}
