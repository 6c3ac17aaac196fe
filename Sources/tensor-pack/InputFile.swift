import Glibc
import PipeKit

/// A file opened read-only and read at explicit offsets, every range checked against the size the
/// file had when it was opened. Errors do not repeat the path: readers put it in front with
/// `withErrorContext`. The corresponding C functions are `open`, `fstat` and `pread`.
final class InputFile {
  let path: String
  /// The size in bytes, from `fstat` at open.
  let size: Int
  private let fd: FileDescriptor

  init(path: String) throws {
    let fd = try systemCall("cannot open") { try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK) }
    var info = stat()
    do {
      _ = try systemCall("cannot stat") { try valueOrErrno("fstat") { fstat(fd.rawValue, &info) } }
      guard info.st_mode & S_IFMT == S_IFREG else {
        throw TensorFormatError.io("not a regular file (a pipe or a device: save it to a file first)")
      }
    } catch {
      fd.close()
      throw error
    }
    self.path = path
    self.fd = fd
    self.size = Int(info.st_size)
  }

  deinit { fd.close() }

  /// Checks that `count` bytes at `offset` lie inside the file; `what` names them in the error.
  func checkRange(offset: Int, count: Int, what: String) throws {
    guard offset >= 0, count >= 0, let end = Checked.add(offset, count), end <= size else {
      throw TensorFormatError.malformed(
        "\(what) (\(count) bytes at offset \(offset)) runs past the end of the file (\(size) bytes)")
    }
  }

  /// Reads exactly `count` bytes at `offset`.
  func read(at offset: Int, count: Int, what: String) throws -> [UInt8] {
    try checkRange(offset: offset, count: count, what: what)
    return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      try read(at: offset, into: UnsafeMutableRawBufferPointer(buffer))
      initialized = count
    }
  }

  /// Fills `buffer` from `offset`; a file that shrank since it was opened is an error.
  func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws {
    try checkRange(offset: offset, count: buffer.count, what: "a read")
    var done = 0
    while done < buffer.count {
      let chunk = min(buffer.count - done, 1 << 30)
      let n = try systemCall("read failed") {
        try valueOrErrno("pread") { pread(fd.rawValue, buffer.baseAddress! + done, chunk, off_t(offset + done)) }
      }
      guard n > 0 else { throw TensorFormatError.io("the file shrank while being read") }
      done += n
    }
  }

  /// The whole file.
  func readAll() throws -> [UInt8] { try read(at: 0, count: size, what: "the file") }
}
