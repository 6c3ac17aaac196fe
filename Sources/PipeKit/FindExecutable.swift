#if canImport(Glibc)
  import Glibc
#endif

/// The full path of `name` on `PATH`, or `nil`.
public func findExecutable(_ name: String, path: String? = Environment.current["PATH"]) -> String? {
  if name.contains("/") { return access(name, X_OK) == 0 ? name : nil }
  for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
    let candidate = "\(dir)/\(name)"
    var info = stat()
    if access(candidate, X_OK) == 0, stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
      return candidate
    }
  }
  return nil
}
