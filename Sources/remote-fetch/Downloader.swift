import ComfyRemote
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a job's output files under `-o DIR/<job>/`: names made safe, each downloaded to
/// `.NAME.PID.TOKEN.part` beside its final place and linked to a free final name (`NAME`,
/// `NAME-1`, …, never replacing a file) only once it is complete and hashed, so no final name
/// ever holds half a file, even after SIGKILL; nothing outside the job's folder is touched.
/// `.part` files of runs whose process is gone are removed when a later run uses the folder.
struct Downloader: Sendable {
  var outputDirectory: String
  /// Output files larger than this are refused (`--max-file-size`).
  var maxFileBytes: Int

  /// A file written: its path, size and digest.
  struct Written: Sendable {
    var path: String
    var bytes: Int
    var sha256: String
  }

  /// Why an item was not written; the error code and message for its record.
  struct Failure: Error, Sendable {
    var code: String
    var message: String
    var detail: JSONObject = [:]
  }

  /// The job's folder, created when missing; a symlink or a non-directory there is refused.
  func folder(for job: Job) throws(Failure) -> String {
    do {
      try makeDirectories(outputDirectory)
    } catch {
      throw Failure(code: "cannot-write", message: "cannot create \(outputDirectory): \(error)")
    }
    let path = outputDirectory + "/" + job.folderName
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw Failure(code: "cannot-write", message: "cannot create \(path): \(String(cString: strerror(errno)))")
    }
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
      throw Failure(code: "cannot-write", message: "\(path) is not a directory (a symlink is not followed)")
    }
    Self.removeDeadParts(in: path)
    return path
  }

  /// `.NAME.PID.TOKEN.part` for a file being written by this process.
  static func partName(for name: String) -> String {
    ".\(name).\(getpid()).\(String(UInt64.random(in: 0...UInt64.max), radix: 16)).part"
  }

  /// The process that writes a `.part` file, from its name; `nil` when it is not one of ours.
  static func writer(ofPart name: String) -> pid_t? {
    guard name.hasPrefix("."), name.hasSuffix(".part") else { return nil }
    let fields = name.split(separator: ".", omittingEmptySubsequences: false)
    guard fields.count >= 5, let pid = pid_t(fields[fields.count - 3]), pid > 0 else { return nil }
    return pid
  }

  /// Removes the `.part` files in `folder` whose writer is dead (a run killed by SIGKILL).
  static func removeDeadParts(in folder: String) {
    for name in listDirectoryNames(folder) ?? [] {
      guard let pid = writer(ofPart: name), pid != getpid(), processIsGone(pid) else { continue }
      unlink(folder + "/" + name)
    }
  }

  /// Refuses names that a real server never gives: a path in `filename`, or a `subfolder`
  /// that climbs out (`..`) or is absolute.
  static func check(_ item: Outcome.Item) throws(Failure) {
    let name = item.filename
    let badName =
      name.isEmpty || name == "." || name == ".." || name.contains("/") || name.contains("\\")
      || name.unicodeScalars.contains { $0.value < 0x20 }
    let parts = item.subfolder.split(whereSeparator: { $0 == "/" || $0 == "\\" })
    let badFolder = item.subfolder.hasPrefix("/") || item.subfolder.hasPrefix("\\") || parts.contains("..")
    guard badName || badFolder else { return }
    throw Failure(
      code: "unsafe-name",
      message: "the server named an output file '\(item.subfolder.isEmpty ? "" : item.subfolder + "/")\(name)', "
        + "which is not a plain file name; it was not fetched")
  }

  /// Downloads one item into `folder` with the server's `/view`.
  func fetch(_ item: Outcome.Item, from server: ComfyClient, into folder: String) throws(Failure) -> Written {
    try Self.check(item)
    return try place(item.filename, into: folder) { (path) throws(Failure) in
      try download(item, from: server, to: path)
    }
  }

  /// Writes `bytes` (an image that came as a WebSocket frame) into `folder` as `name`.
  func save(_ bytes: [UInt8], as name: String, into folder: String) throws(Failure) -> Written {
    guard bytes.count <= maxFileBytes else {
      throw Failure(code: "answer-too-large", message: "\(name): \(bytes.count) bytes, over --max-file-size")
    }
    return try place(name, into: folder) { (path) throws(Failure) in
      do {
        try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644).closeAfter {
          try $0.writeAll(bytes)
        }
      } catch {
        throw Failure(code: "cannot-write", message: "writing \(path) failed: \(error)")
      }
      return (bytes.count, SHA256.hex(bytes))
    }
  }

  /// Writes a file with `write` under a `.part` name in `folder`, then gives it `filename` (made
  /// safe), or `stem-N.ext` when that is taken.
  private func place(
    _ filename: String, into folder: String, write: (String) throws(Failure) -> (bytes: Int, sha256: String)
  ) throws(Failure) -> Written {
    let dot = filename.lastIndex(of: ".")
    let stem = SafeFileName.make(dot.map { String(filename[..<$0]) } ?? filename)
    let ext =
      dot.map { SafeFileName.make(String(filename[filename.index(after: $0)...]), fallback: "") } ?? ""
    let suffix = ext.isEmpty ? "" : "." + ext
    let partPath = folder + "/" + Self.partName(for: stem + suffix)
    let token = Termination.onStop { unlink(partPath) }
    defer {
      unlink(partPath)
      Termination.cancel(token)
    }
    let written = try write(partPath)
    // link(2) puts the complete file under a name that is free, atomically, and never
    // replaces one; the `.part` name goes when this returns.
    for attempt in 0..<10_000 {
      let finalPath = folder + "/" + (attempt == 0 ? stem + suffix : "\(stem)-\(attempt)\(suffix)")
      if link(partPath, finalPath) == 0 {
        return Written(path: finalPath, bytes: written.bytes, sha256: written.sha256)
      }
      guard errno == EEXIST else {
        throw Failure(code: "cannot-write", message: "link to \(finalPath): \(String(cString: strerror(errno)))")
      }
    }
    throw Failure(code: "cannot-write", message: "no free name for \(stem + suffix) in \(folder)")
  }

  private func download(_ item: Outcome.Item, from server: ComfyClient, to path: String) throws(Failure) -> (
    bytes: Int, sha256: String
  ) {
    let fd: FileDescriptor
    do {
      fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644)
    } catch {
      throw Failure(code: "cannot-write", message: "cannot create \(path): \(error)")
    }
    defer { fd.close() }
    var hash = SHA256()
    var count = 0
    var writeError: SystemError?
    do {
      try server.download(
        name: item.filename, subfolder: item.subfolder, type: item.type, maxBytes: maxFileBytes,
        restart: {
          hash = SHA256()
          count = 0
          _ = ftruncate(fd.rawValue, 0)
          _ = lseek(fd.rawValue, 0, SEEK_SET)
        },
        consume: { chunk in
          do {
            try fd.writeAll(chunk)
          } catch {
            writeError = error as? SystemError
            return false
          }
          hash.update(chunk)
          count += chunk.count
          return true
        })
    } catch {
      if let writeError { throw Failure(code: "cannot-write", message: "writing \(path) failed: \(writeError)") }
      throw Failure(
        code: error.isRedirect ? "redirected" : "download-failed", message: error.message, detail: error.detail)
    }
    return (count, hash.finalize())
  }
}
