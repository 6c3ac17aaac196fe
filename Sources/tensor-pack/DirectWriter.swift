import Glibc
import PipeKit

/// Writes a large run of bytes around the page cache (`O_DIRECT`), through one aligned bounce
/// buffer: a new file's pages cost more than the copy on a virtual machine, where each new page
/// comes from the host, and a gigabyte written this way takes the disk's pace rather than the
/// page allocator's. Direct I/O needs block-aligned offsets, so the bytes already written in the
/// file's last partial block are written again in front (`tail`), and the final partial block is
/// padded with zeros and cut off with `ftruncate`.
struct DirectWriter {
  static let block = 4096
  static let chunk = 8 << 20

  /// Writes `tail` (the bytes of the block that `position` is in, up to `position`) and then
  /// `bytes` at `position`; `before` sees every source chunk before it is copied or written (for
  /// hashing). Returns the new tail. `fd` is the file's
  /// ordinary descriptor, for the final size.
  static func write(
    _ bytes: UnsafeRawBufferPointer, at position: Int, tail: [UInt8], direct: FileDescriptor, fd: FileDescriptor,
    before: (UnsafeRawBufferPointer) -> Void
  ) throws -> [UInt8] {
    var raw: UnsafeMutableRawPointer?
    guard posix_memalign(&raw, block, chunk) == 0, let bounce = raw else {
      throw SystemError("posix_memalign", errno: ENOMEM)
    }
    defer { free(bounce) }
    var fileOffset = position - tail.count
    var fill = tail.count
    tail.withUnsafeBytes { if let base = $0.baseAddress { bounce.copyMemory(from: base, byteCount: $0.count) } }
    var start = 0
    while start < bytes.count {
      let n = min(chunk - fill, bytes.count - start)
      let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<start + n])
      before(piece)
      if fill == 0 && n == chunk && Int(bitPattern: piece.baseAddress) % block == 0 {
        // Aligned in the file and in memory: straight from the source, no copy.
        try writeAligned(direct, UnsafeMutableRawPointer(mutating: piece.baseAddress!), chunk, at: fileOffset)
        fileOffset += chunk
        start += n
        continue
      }
      (bounce + fill).copyMemory(from: piece.baseAddress!, byteCount: n)
      fill += n
      start += n
      if fill == chunk {
        try writeAligned(direct, bounce, chunk, at: fileOffset)
        fileOffset += chunk
        fill = 0
      }
    }
    let whole = fill - fill % block
    if fill > 0 {
      let padded = whole + (fill > whole ? block : 0)
      (bounce + fill).initializeMemory(as: UInt8.self, repeating: 0, count: padded - fill)
      try writeAligned(direct, bounce, padded, at: fileOffset)
      _ = try valueOrErrno("ftruncate") { ftruncate(fd.rawValue, off_t(fileOffset + fill)) }
    }
    return Array(UnsafeRawBufferPointer(start: bounce + whole, count: fill - whole))
  }

  static func writeAligned(_ fd: FileDescriptor, _ base: UnsafeMutableRawPointer, _ count: Int, at offset: Int) throws {
    var done = 0
    while done < count {
      let n = try valueOrErrno("write (O_DIRECT)") {
        pwrite(fd.rawValue, base + done, count - done, off_t(offset + done))
      }
      guard n > 0, n % block == 0 || done + n == count else { throw SystemError("write (O_DIRECT)", errno: EIO) }
      done += n
    }
  }
}
