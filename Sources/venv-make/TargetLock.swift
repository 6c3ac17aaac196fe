import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive `flock` on a lock file beside the target, held for the whole run: two
/// venv-makes on one target never interleave. The lock goes with the process (and with any
/// installer it started that outlives it, which inherits the descriptor).
struct TargetLock {
  let fd: FileDescriptor

  /// Takes the lock, waiting for a holder unless `wait` is false.
  /// - Throws: `locked` (exit 75) when it is held and `wait` is false; `io-error` otherwise.
  static func acquire(_ path: String, wait: Bool, waiting: (String) -> Void) throws(ErrorRecord) -> TargetLock {
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(path, O_RDWR | O_CREAT, mode: 0o644)
    } catch {
      throw ErrorRecord(
        code: "io-error", message: "cannot open the lock file \(path): \(error)",
        detail: ["path": .string(path)], exit: .ioError)
    }
    do {
      _ = try valueOrErrno("flock") { flock(fd.rawValue, LOCK_EX | LOCK_NB) }
      return TargetLock(fd: fd)
    } catch  where error.errno == EWOULDBLOCK {
      guard wait else {
        fd.close()
        throw ErrorRecord(
          code: "locked", message: "another venv-make is working on this env (\(path)); try again later",
          detail: ["lock": .string(path)], exit: .temporaryFailure)
      }
    } catch {
      fd.close()
      throw ErrorRecord(code: "io-error", message: "flock \(path): \(error.reason)", exit: .ioError)
    }
    waiting("waiting for another venv-make that holds \(path)")
    do {
      _ = try valueOrErrno("flock") { flock(fd.rawValue, LOCK_EX) }
    } catch {
      fd.close()
      throw ErrorRecord(code: "io-error", message: "flock \(path): \(error.reason)", exit: .ioError)
    }
    return TargetLock(fd: fd)
  }

  func release() { fd.close() }
}
