import ComfyRemote
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Writes a job's output files under `-o DIR/<job>/`: names made safe, each written to a
/// temporary file and renamed over a name reserved with O_EXCL once it is complete, so a
/// reader never sees half a file and nothing outside the job's folder is ever touched.
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
    return path
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
    let dot = item.filename.lastIndex(of: ".")
    let stem = dot.map { String(item.filename[..<$0]) } ?? item.filename
    let ext =
      dot.map { SafeFileName.make(String(item.filename[item.filename.index(after: $0)...]), fallback: "") } ?? ""
    let reserved: (FileDescriptor, String)
    do {
      reserved = try SafeFileName.create(in: folder, stem: stem, ext: ext, overwrite: false)
    } catch {
      throw Failure(code: "cannot-write", message: "cannot create a file in \(folder): \(error)")
    }
    reserved.0.close()
    let finalPath = reserved.1
    let partPath = folder + "/.part-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    let token = Termination.onStop {
      unlink(partPath)
      unlink(finalPath)
    }
    defer { Termination.cancel(token) }
    do throws(Failure) {
      let written = try download(item, from: server, to: partPath)
      guard rename(partPath, finalPath) == 0 else {
        throw Failure(code: "cannot-write", message: "rename to \(finalPath): \(String(cString: strerror(errno)))")
      }
      return Written(path: finalPath, bytes: written.bytes, sha256: written.sha256)
    } catch {
      unlink(partPath)
      unlink(finalPath)
      throw error
    }
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
      throw Failure(code: "download-failed", message: error.message, detail: error.detail)
    }
    return (count, hash.finalize())
  }
}
