#if canImport(Glibc)
  import Glibc
#endif

/// File names made from untrusted text (a tensor's name, a server's file name) that stay inside
/// the output directory: no `/`, no `..`, no leading dot, no control characters, not too long.
public enum SafeFileName {
  /// A safe version of `name`; `fallback` when nothing usable is left.
  public static func make(_ name: String, fallback: String = "output") -> String {
    var out = ""
    for scalar in name.unicodeScalars {
      switch scalar {
      case "/", "\\", ":", "*", "?", "\"", "<", ">", "|": out.append("_")
      case _ where scalar.value < 0x20 || scalar.value == 0x7F: out.append("_")
      default: out.unicodeScalars.append(scalar)
      }
    }
    while out.hasPrefix(".") || out.hasPrefix(" ") { out.removeFirst() }
    while out.hasSuffix(" ") || out.hasSuffix(".") { out.removeLast() }
    while out.utf8.count > 200 { out.removeLast() }
    return out.isEmpty ? fallback : out
  }

  /// How many names `create` tries: `stem.ext`, then `stem-1.ext` … `stem-9999.ext`.
  public static let candidateCount = 10_000

  /// The name `create` tries at `attempt` (0: `stem.ext`, then `stem-1.ext`, …) for a stem that
  /// `make` already made safe.
  public static func candidate(_ safeStem: String, ext: String, attempt: Int) -> String {
    let suffix = ext.isEmpty ? "" : "." + ext
    return attempt == 0 ? safeStem + suffix : "\(safeStem)-\(attempt)\(suffix)"
  }

  /// Creates `dir/stem.ext` exclusively (O_EXCL, never following a link). When the name is
  /// taken and `overwrite` is false, tries `stem-1.ext`, `stem-2.ext`, …; with `overwrite` it
  /// replaces the file. Returns the open descriptor and the path.
  public static func create(in dir: String, stem: String, ext: String, overwrite: Bool) throws -> (
    FileDescriptor, String
  ) {
    let safeStem = make(stem)
    let suffix = ext.isEmpty ? "" : "." + ext
    for attempt in 0..<candidateCount {
      let path = "\(dir)/\(candidate(safeStem, ext: ext, attempt: attempt))"
      if overwrite {
        unlink(path)
      }
      do {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o644)
        return (fd, path)
      } catch let error as SystemError where error.errno == EEXIST && !overwrite {
        continue
      }
    }
    throw SystemError("open \(dir)/\(safeStem)\(suffix)", errno: EEXIST)
  }
}
