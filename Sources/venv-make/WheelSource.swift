import PipeHTTP
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Where a wheel record's file is: a URL, or a path on this machine.
enum WheelSource {
  /// The URL an installer is given: paths become `file://` URLs.
  static func url(_ text: String) -> String {
    URLText.scheme(of: text) != nil ? text : URLText.fileURL(forPath: URLText.absolutePath(text))
  }

  /// The local file a wheel URL names, or `nil` for a remote one.
  static func localPath(_ text: String) -> String? {
    URLText.scheme(of: text) == nil ? URLText.absolutePath(text) : URLText.path(ofFileURL: text)
  }

  /// The local directory an index URL names (`file:///…/` or a path), or `nil`.
  static func localDirectory(_ text: String) -> String? {
    var info = stat()
    guard let path = localPath(text), stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
    return path
  }

  /// Checks the sha256 of every local wheel that has one, before anything is built, so a wrong
  /// hash is named precisely. Remote wheels are checked by the installer as it downloads them.
  static func checkLocalHashes(_ wheels: [Plan.Wheel]) throws(ErrorRecord) {
    for wheel in wheels {
      guard let expected = wheel.sha256, let path = localPath(wheel.url) else { continue }
      guard let actual = fileSHA256(path) else {
        throw ErrorRecord(
          code: "no-input", message: "cannot read wheel \(path); check the wheel record's url",
          detail: ["url": .string(wheel.url)], exit: .noInput)
      }
      if actual != expected {
        throw ErrorRecord(
          code: "hash-mismatch",
          message:
            "\(wheel.name): \(path) has sha256 \(actual), not \(expected) as its wheel record says; nothing was changed",
          detail: ["url": .string(wheel.url), "expected": .string(expected), "actual": .string(actual)])
      }
    }
  }

  /// The hex sha256 of a file, streamed; `nil` when it cannot be read.
  static func fileSHA256(_ path: String) -> String? {
    guard let fd = try? FileDescriptor.open(path, O_RDONLY) else { return nil }
    return fd.closeAfter { try? SHA256.hex(of: $0) }
  }
}
