import ComfyRemote
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a job's output files under `-o DIR/<job>/`: names made safe, each downloaded as
/// PipeKit's `AtomicFile` (to `.NAME.remote-fetch-PID.part` beside its final place, hashed as it
/// is written, flushed and linked to a free final name — `NAME`, `NAME-1`, …, never replacing a
/// file — only once it is complete), so no final name ever holds half a file, even after
/// SIGKILL; nothing outside the job's folder is touched. `.part` files of runs whose process is
/// gone are removed when a later run uses the folder.
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

  /// The name temporary files carry.
  static let tool = "remote-fetch"

  /// Removes the `.part` files in `folder` whose writer is dead (a run killed by SIGKILL).
  static func removeDeadParts(in folder: String) {
    AtomicFile.sweep(folder, tool: tool, olderThan: 0)
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
    let file = try create(item.filename, in: folder)
    var writeError: SystemError?
    do {
      try server.download(
        name: item.filename, subfolder: item.subfolder, type: item.type, maxBytes: maxFileBytes,
        restart: {
          do throws(SystemError) {
            try file.restart()
          } catch {
            writeError = error
          }
        },
        consume: { chunk in
          guard writeError == nil else { return false }
          do throws(SystemError) {
            try file.write(chunk)
          } catch {
            writeError = error
            return false
          }
          return true
        })
    } catch {
      if let writeError { throw Failure(code: "cannot-write", message: "writing \(file.path) failed: \(writeError)") }
      throw Failure(
        code: error.isRedirect ? "redirected" : "download-failed", message: error.message, detail: error.detail)
    }
    if let writeError { throw Failure(code: "cannot-write", message: "writing \(file.path) failed: \(writeError)") }
    return try commit(file)
  }

  /// Writes `bytes` (an image that came as a WebSocket frame) into `folder` as `name`.
  func save(_ bytes: [UInt8], as name: String, into folder: String) throws(Failure) -> Written {
    guard bytes.count <= maxFileBytes else {
      throw Failure(code: "answer-too-large", message: "\(name): \(bytes.count) bytes, over --max-file-size")
    }
    let file = try create(name, in: folder)
    do {
      try file.write(bytes)
    } catch {
      throw Failure(code: "cannot-write", message: "writing \(file.path) failed: \(error)")
    }
    return try commit(file)
  }

  /// A file to be named `filename` (made safe) in `folder`, or `stem-N.ext` when that is taken.
  private func create(_ filename: String, in folder: String) throws(Failure) -> AtomicFile {
    let dot = filename.lastIndex(of: ".")
    let stem = SafeFileName.make(dot.map { String(filename[..<$0]) } ?? filename)
    let ext =
      dot.map { SafeFileName.make(String(filename[filename.index(after: $0)...]), fallback: "") } ?? ""
    do {
      return try AtomicFile(directory: folder, stem: stem, ext: ext, overwrite: false, tool: Self.tool)
    } catch {
      throw Failure(
        code: "cannot-write",
        message: "cannot create \(folder)/\(SafeFileName.candidate(stem, ext: ext, attempt: 0)): \(error.reason)")
    }
  }

  /// Gives a complete file its name: the first free of `NAME`, `NAME-1`, …, never replacing one.
  private func commit(_ file: AtomicFile) throws(Failure) -> Written {
    let bytes = file.position
    guard let sha256 = file.takeSHA256() else {
      throw Failure(code: "cannot-write", message: "\(file.path): written out of order")
    }
    do {
      try file.commit()
    } catch {
      throw Failure(code: "cannot-write", message: "\(file.path): \(error)")
    }
    return Written(path: file.path, bytes: bytes, sha256: sha256)
  }
}
