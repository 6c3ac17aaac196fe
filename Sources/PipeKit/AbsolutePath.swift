#if canImport(Glibc)
  import Glibc
#endif

/// `path` made absolute against the working directory, for paths that records carry (a record
/// is read by other processes, in other directories). Nothing else is changed: `..` is left to
/// the kernel, which resolves it through symbolic links as a lexical clean-up would not.
/// The corresponding C function is `getcwd`.
public func absolutePath(_ path: String) -> String {
  if path.hasPrefix("/") || path.isEmpty { return path }
  var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
  guard getcwd(&buffer, buffer.count) != nil else { return path }
  let cwd = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  var rest = Substring(path)
  while rest.hasPrefix("./") { rest = rest.dropFirst(2).drop { $0 == "/" } }
  if rest == "." || rest.isEmpty { return cwd }
  return cwd == "/" ? "/\(rest)" : "\(cwd)/\(rest)"
}

/// `directory` without its trailing slashes (`out/` → `out`; `/` stays `/`), so that the paths
/// joined to it read `out/name`, never `out//name`. Every tool that takes a directory to write
/// under (`-o DIR`, `--dir DIR`) joins through this.
public func withoutTrailingSlashes(_ directory: String) -> String {
  var text = Substring(directory)
  while text.count > 1 && text.hasSuffix("/") { text = text.dropLast() }
  return String(text)
}
