import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The distributions installed in a venv, read from its `*.dist-info` directories in Swift:
/// what `importlib.metadata` would list, without starting python to ask.
struct SitePackages: Sendable {
  struct Distribution: Sendable, Equatable {
    var name: String
    var version: String
    /// The `*.dist-info` directory.
    var directory: String
  }

  /// Every distribution, first one per normalised name, sorted by it.
  var distributions: [Distribution]

  /// Reads `ENV/lib/python*/site-packages` and `ENV/lib64/…` (each directory once).
  init(env: String) {
    var seen: Set<String> = []
    var found: [String: Distribution] = [:]
    for lib in ["lib", "lib64"] {
      for python in (listDirectoryNames("\(env)/\(lib)") ?? []) where python.hasPrefix("python") {
        let directory = "\(env)/\(lib)/\(python)/site-packages"
        guard let real = realpath(directory, nil) else { continue }
        defer { free(real) }
        guard seen.insert(String(cString: real)).inserted else { continue }
        for entry in listDirectoryNames(directory) ?? [] where entry.hasSuffix(".dist-info") {
          guard let dist = Self.distribution("\(directory)/\(entry)") else { continue }
          let key = Plan.normalized(dist.name)
          if found[key] == nil { found[key] = dist }
        }
      }
    }
    distributions = found.sorted { $0.key < $1.key }.map(\.value)
  }

  /// The `packages` of a `venv` record: `{"name", "version"}` for each distribution.
  var packages: [JSON] {
    distributions.map { .object(["name": .string($0.name), "version": .string($0.version)]) }
  }

  func distribution(named name: String) -> Distribution? {
    let key = Plan.normalized(name)
    return distributions.first { Plan.normalized($0.name) == key }
  }

  /// Name and version from a dist-info's `METADATA` headers (up to the first blank line).
  static func distribution(_ directory: String) -> Distribution? {
    guard let bytes = readFileIfPresent("\(directory)/METADATA", limit: 1 << 16) else { return nil }
    var name: String?
    var version: String?
    for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
      let line = line.hasSuffix("\r") ? line.dropLast() : line
      if line.isEmpty { break }
      if line.hasPrefix("Name:") {
        name = String(line.dropFirst(5)).trimmingASCIIWhitespace()
      } else if line.hasPrefix("Version:") {
        version = String(line.dropFirst(8)).trimmingASCIIWhitespace()
      }
      if name != nil && version != nil { break }
    }
    guard let name, !name.isEmpty else { return nil }
    return Distribution(name: name, version: version ?? "", directory: directory)
  }

  /// The top-level modules a distribution installs, as `inspect_env.py` finds them: its
  /// `top_level.txt`, else the `x.py` and `x/__init__.py` files of its `RECORD`; names that
  /// start with `_` are left out.
  static func topLevelModules(_ dist: Distribution) -> [String] {
    if let text = readTextFileIfPresent("\(dist.directory)/top_level.txt"), !text.isEmpty {
      return text.split(whereSeparator: \.isWhitespace).map(String.init).filter { !$0.hasPrefix("_") }
    }
    guard let record = readFileIfPresent("\(dist.directory)/RECORD", limit: 64 << 20) else { return [] }
    var names: Set<String> = []
    for line in String(decoding: record, as: UTF8.self).split(whereSeparator: \.isNewline) {
      var path = Substring(line)
      if path.hasPrefix("\"") {
        path = path.dropFirst().prefix { $0 != "\"" }
      } else {
        path = path.prefix { $0 != "," }
      }
      let parts = path.split(separator: "/", omittingEmptySubsequences: false)
      if parts.count == 1, parts[0].hasSuffix(".py"), !parts[0].hasPrefix("_") {
        names.insert(String(parts[0].dropLast(3)))
      } else if parts.count == 2, parts[1] == "__init__.py", !parts[0].hasSuffix(".dist-info"),
        !parts[0].hasSuffix(".data")
      {
        names.insert(String(parts[0]))
      }
    }
    return names.sorted()
  }
}
