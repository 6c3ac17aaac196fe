#if canImport(Glibc)
  import Glibc
#endif

/// Removes a file or a directory tree, never following symbolic links (`rm -rf`): a link is
/// removed itself, and the tree is walked through descriptors opened with `O_NOFOLLOW`, so a
/// directory swapped for a link while the walk runs is not entered.
public func removeTree(_ path: String) {
  let slash = path.lastIndex(of: "/")
  let parent = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
  let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
  let directory = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
  guard directory >= 0 else { return }
  defer { close(directory) }
  removeEntry(Array(name.utf8CString), in: directory)
}

/// Removes `name` (NUL-terminated, as the directory holds it: not necessarily UTF-8) in the
/// directory `directory`, and what it holds, without following links. The C functions are
/// `unlinkat`, `openat` with `O_NOFOLLOW` and `fdopendir`.
private func removeEntry(_ name: [CChar], in directory: Int32) {
  if unlinkat(directory, name, 0) == 0 || (errno != EISDIR && errno != EPERM) { return }
  let fd = openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
  guard fd >= 0 else { return }
  if let stream = fdopendir(fd) {
    var names: [[CChar]] = []
    while let entry = readdir(stream) {
      let child = withUnsafeBytes(of: entry.pointee.d_name) { $0.prefix { $0 != 0 }.map { CChar(bitPattern: $0) } }
      if child != [46] && child != [46, 46] { names.append(child + [0]) }
    }
    for child in names { removeEntry(child, in: dirfd(stream)) }
    closedir(stream)
  } else {
    close(fd)
  }
  unlinkat(directory, name, AT_REMOVEDIR)
}
