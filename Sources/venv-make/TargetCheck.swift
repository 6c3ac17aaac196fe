import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What venv-make may replace at its target, and nothing else: its own env, another venv, an
/// empty directory, or nothing. A build swaps the target out and deletes what was there, so
/// anything else (the user's files, `.`, `/`, `$HOME`, a regular file, a symbolic link) is
/// refused before stdin is read, and again under the lock just before the swap.
extension Target {
  /// The names a venv's top level holds (uv, `python -m venv`, and what packages add there).
  static let venvNames: Set<String> = [
    "bin", "lib", "lib64", "include", "share", "etc", "man", "pyvenv.cfg", ".gitignore", "CACHEDIR.TAG", ".lock",
    EnvState.fileName,
  ]

  /// Why the target may not be replaced, or `nil` when it may.
  var refusal: (why: String, found: String)? {
    if name.isEmpty || path == "/" { return ("it is the root directory", "root") }
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    switch info.st_mode & S_IFMT {
    case S_IFDIR: break
    case S_IFLNK: return ("it is a symbolic link, which venv-make does not follow or replace", "symlink")
    case S_IFREG: return ("it is a regular file", "file")
    default: return ("it is not a directory", "other")
    }
    guard let names = listDirectoryNames(path) else { return ("it cannot be read", "directory") }
    if names.isEmpty || Self.isRegularFile("\(path)/\(EnvState.fileName)") && EnvState(path: statePath) != nil {
      return nil
    }
    guard Self.isRegularFile("\(path)/pyvenv.cfg") else {
      return ("it is a directory that holds neither \(EnvState.fileName) nor pyvenv.cfg", "directory")
    }
    let foreign = names.filter { !Self.venvNames.contains($0) && !$0.hasPrefix(".venv-make-wheels") }.sorted()
    if let first = foreign.first {
      return ("it has pyvenv.cfg but also holds '\(first)', which a venv does not", "directory")
    }
    return nil
  }

  /// Throws `not-a-venv` (exit 64) when the target holds anything venv-make must not replace.
  func checkReplaceable() throws(ErrorRecord) {
    guard let (why, found) = refusal else { return }
    throw ErrorRecord(
      code: "not-a-venv",
      message:
        "refusing to replace \(path): \(why); venv-make replaces only an env it built, a venv or an empty directory. Give --dir a new path, or move what is there away yourself. Nothing was changed",
      detail: ["path": .string(path), "found": .string(found)], exit: .usage)
  }

  /// A regular file, not a link to one.
  static func isRegularFile(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
  }

  /// Whether `name` in the target's parent is one venv-make made there: `buildPrefix` with `tmp`
  /// or a PID, or `oldPrefix` with a PID.
  func isOwnLeftover(_ name: String) -> Bool {
    for prefix in [buildPrefix, oldPrefix] where name.hasPrefix(prefix) {
      let rest = name.dropFirst(prefix.count)
      if prefix == buildPrefix && rest == "tmp" { return true }
      if !rest.isEmpty && rest.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
    }
    return false
  }
}
