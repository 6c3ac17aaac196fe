import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// An exclusive `flock` on a lock file beside the target, held for the whole run: two
/// venv-makes on one target never interleave. The lock goes with the process (and with any
/// installer it started that outlives it, which inherits the descriptor).
///
/// The file is removed when the lock is released, so it does not stay beside the env (in a
/// node pack, say). A run that gets the lock therefore checks that its file is still the one at
/// the path, and starts again when a releasing run removed it meanwhile.
struct TargetLock {
  let fd: FileDescriptor
  let path: String

  /// Takes the lock, waiting for a holder unless `wait` is false.
  /// - Throws: `locked` (exit 75) when it is held and `wait` is false; `io-error` otherwise.
  static func acquire(_ path: String, wait: Bool, waiting: (String) -> Void) throws(ErrorRecord) -> TargetLock {
    var noted = false
    // Each retry follows a run that released the lock meanwhile; a path that never holds the
    // locked file is something else's doing.
    for _ in 0..<1000 {
      let fd = try take(path, wait: wait) {
        if !noted { waiting($0) }
        noted = true
      }
      var held = stat()
      var current = stat()
      if fstat(fd.rawValue, &held) == 0, lstat(path, &current) == 0, held.st_dev == current.st_dev,
        held.st_ino == current.st_ino
      {
        return TargetLock(fd: fd, path: path)
      }
      fd.close()
    }
    throw ErrorRecord(
      code: "io-error", message: "the lock file \(path) keeps changing under venv-make; remove it and try again",
      detail: ["path": .string(path)], exit: .ioError)
  }

  /// Opens the lock file and takes its `flock`; the file may have been removed since.
  static func take(_ path: String, wait: Bool, waiting: (String) -> Void) throws(ErrorRecord) -> FileDescriptor {
    let fd: FileDescriptor
    do {
      // Not through a link: a planted one would make venv-make create or lock another file.
      fd = try FileDescriptor.open(path, O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o644)
    } catch {
      throw ErrorRecord(
        code: "io-error", message: "cannot open the lock file \(path): \(error)",
        detail: ["path": .string(path)], exit: .ioError)
    }
    do {
      _ = try valueOrErrno("flock") { flock(fd.rawValue, LOCK_EX | LOCK_NB) }
      return fd
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
    return fd
  }

  /// Removes the lock file, then lets go of the lock.
  func release() {
    unlink(path)
    fd.close()
  }
}
