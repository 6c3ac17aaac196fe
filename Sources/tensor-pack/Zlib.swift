import CZlib

/// The two wrappings of deflate data in these formats.
enum ZlibFormat {
  /// Bare deflate, as in zip members (windowBits -15).
  case raw
  /// A zlib stream with header and Adler-32, as in PNG (windowBits 15).
  case zlib

  var windowBits: Int32 { self == .raw ? -15 : 15 }
}

/// Streaming decompression over the system zlib. The corresponding C functions are
/// `inflateInit2`, `inflate` and `inflateEnd`. The `z_stream` lives at a fixed address, as zlib
/// requires between calls.
final class Inflater {
  private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  /// Whether the end of the compressed stream has been reached.
  private(set) var finished = false

  init(format: ZlibFormat) throws {
    stream.initialize(to: z_stream())
    let rc = czlib_inflateInit2(stream, format.windowBits)
    guard rc == Z_OK else {
      stream.deallocate()
      throw TensorFormatError.io("zlib inflateInit2 failed (\(rc))")
    }
  }

  deinit {
    inflateEnd(stream)
    stream.deallocate()
  }

  /// Decompresses from `input` into `output` until one runs out or the stream ends. Returns how
  /// many bytes were consumed and produced; both are 0 when no progress is possible.
  func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws
    -> (consumed: Int, produced: Int)
  {
    guard !finished, !output.isEmpty else { return (0, 0) }
    let inCount = min(input.count, 1 << 30)
    let outCount = min(output.count, 1 << 30)
    stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
    stream.pointee.avail_in = uInt(inCount)
    stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
    stream.pointee.avail_out = uInt(outCount)
    let rc = CZlib.inflate(stream, Z_NO_FLUSH)
    let consumed = inCount - Int(stream.pointee.avail_in)
    let produced = outCount - Int(stream.pointee.avail_out)
    switch rc {
    case Z_STREAM_END: finished = true
    case Z_OK, Z_BUF_ERROR: break
    case Z_DATA_ERROR, Z_NEED_DICT:
      let reason = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
      throw TensorFormatError.malformed("compressed data is corrupt (\(reason))")
    default:
      throw TensorFormatError.io("zlib inflate failed (\(rc))")
    }
    return (consumed, produced)
  }
}

/// Streaming compression over the system zlib. The corresponding C functions are
/// `deflateInit2`, `deflate` and `deflateEnd`.
final class Deflater {
  private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
  private var buffer = [UInt8](repeating: 0, count: 1 << 18)

  /// `level` 0…9 (6 is zlib's default).
  init(format: ZlibFormat, level: Int = 6) throws {
    stream.initialize(to: z_stream())
    let rc = czlib_deflateInit2(stream, Int32(max(0, min(9, level))), format.windowBits)
    guard rc == Z_OK else {
      stream.deallocate()
      throw TensorFormatError.io("zlib deflateInit2 failed (\(rc))")
    }
  }

  deinit {
    deflateEnd(stream)
    stream.deallocate()
  }

  /// Compresses all of `input`, handing compressed pieces to `sink`; `finish` ends the stream.
  func deflate(_ input: UnsafeRawBufferPointer, finish: Bool, sink: (UnsafeRawBufferPointer) throws -> Void) throws {
    var offset = 0
    repeat {
      let inCount = min(input.count - offset, 1 << 30)
      let last = offset + inCount == input.count
      stream.pointee.next_in = UnsafeMutablePointer(
        mutating: input.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) })
      stream.pointee.avail_in = uInt(inCount)
      let flush = finish && last ? Z_FINISH : Z_NO_FLUSH
      var rc: Int32
      repeat {
        rc = try buffer.withUnsafeMutableBytes { out in
          stream.pointee.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
          stream.pointee.avail_out = uInt(out.count)
          let rc = CZlib.deflate(stream, flush)
          let produced = out.count - Int(stream.pointee.avail_out)
          if produced > 0 { try sink(UnsafeRawBufferPointer(rebasing: out[0..<produced])) }
          return rc
        }
        guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else {
          throw TensorFormatError.io("zlib deflate failed (\(rc))")
        }
      } while stream.pointee.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END)
      offset += inCount
    } while offset < input.count
  }
}

enum Zlib {
  /// Decompresses `input` into exactly `outputSize` bytes; a stream that ends before is an error.
  /// Data after those bytes is not examined.
  static func inflate(_ input: [UInt8], format: ZlibFormat, outputSize: Int) throws -> [UInt8] {
    let inflater = try Inflater(format: format)
    return try [UInt8](unsafeUninitializedCapacity: outputSize) { buffer, initialized in
      var inOffset = 0
      var outOffset = 0
      try input.withUnsafeBytes { source in
        while outOffset < outputSize {
          let (consumed, produced) = try inflater.inflate(
            UnsafeRawBufferPointer(rebasing: source[inOffset...]),
            into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buffer)[outOffset...]))
          inOffset += consumed
          outOffset += produced
          if consumed == 0 && produced == 0 { break }
        }
      }
      guard outOffset == outputSize else {
        throw TensorFormatError.malformed("compressed data ends after \(outOffset) of \(outputSize) bytes")
      }
      initialized = outputSize
    }
  }

  /// Compresses `input` in one go.
  static func deflate(_ input: UnsafeRawBufferPointer, format: ZlibFormat, level: Int = 6) throws -> [UInt8] {
    var out: [UInt8] = []
    try Deflater(format: format, level: level).deflate(input, finish: true) { out.append(contentsOf: $0) }
    return out
  }
}

/// CRC-32 as zip and PNG use it. The corresponding C function is `crc32`.
enum CRC32 {
  static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var value = UInt(crc)
    var offset = 0
    while offset < bytes.count {
      let n = min(bytes.count - offset, 1 << 30)
      value = crc32(value, (bytes.baseAddress! + offset).assumingMemoryBound(to: Bytef.self), uInt(n))
      offset += n
    }
    return UInt32(truncatingIfNeeded: value)
  }

  static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { update(0, $0) } }
}
