#if canImport(Glibc)
  import Glibc
#endif

/// URL text as the tools handle it: `http://`, `https://` and `file://` URLs, local paths turned
/// into `file://` URLs, relative references resolved, and percent-escapes.
public enum URLText {
  /// The URL for what a user typed: a URL is kept (a bare `host.tld/path` that is not a local
  /// path gets `https://`); a path, relative or absolute, becomes a `file://` URL of its absolute
  /// form.
  /// - Throws: `URLTextError` for a scheme other than http, https and file.
  public static func from(userInput text: String) throws(URLTextError) -> String {
    if let scheme = scheme(of: text) {
      guard ["http", "https", "file"].contains(scheme) else {
        throw URLTextError(text: text, reason: "unsupported scheme '\(scheme)' (use http, https, file or a path)")
      }
      return text
    }
    let firstSegment = text.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
    let looksLikeHost = !text.hasPrefix(".") && !text.hasPrefix("/") && firstSegment.contains(".")
    if looksLikeHost && access(text, F_OK) != 0 { return "https://" + text }
    return fileURL(forPath: absolutePath(text))
  }

  /// The lowercased scheme of `text` when it starts with `scheme://`, else `nil`.
  public static func scheme(of text: String) -> String? {
    let utf8 = text.utf8
    guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon != utf8.startIndex else { return nil }
    let after = utf8[utf8.index(after: colon)...]
    guard after.starts(with: "//".utf8) else { return nil }
    let scheme = utf8[..<colon]
    func isLetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
    guard isLetter(scheme.first!),
      scheme.allSatisfy({
        isLetter($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-")
          || $0 == UInt8(ascii: ".")
      })
    else { return nil }
    return String(decoding: scheme, as: UTF8.self).lowercased()
  }

  public static func isRemote(_ url: String) -> Bool {
    let scheme = scheme(of: url)
    return scheme == "http" || scheme == "https"
  }

  /// The local path of a `file://` URL (`file:///a%20b` → `/a b`), or `nil` for other URLs.
  public static func path(ofFileURL url: String) -> String? {
    guard scheme(of: url) == "file" else { return nil }
    var rest = Substring(url.dropFirst("file://".count))
    if rest.hasPrefix("localhost/") { rest = rest.dropFirst("localhost".count) }
    guard rest.hasPrefix("/") else { return nil }
    if let end = rest.firstIndex(where: { $0 == "?" || $0 == "#" }) { rest = rest[..<end] }
    return String(rest).removingPercentEscapes()
  }

  /// `file://` and the path, percent-encoded where a URL needs it.
  public static func fileURL(forPath path: String) -> String {
    "file://" + percentEncodedPath(path)
  }

  /// The path with every byte outside RFC 3986's unreserved, sub-delims, `:`, `@` and `/`
  /// percent-encoded.
  public static func percentEncodedPath(_ path: String) -> String {
    percentEncoded(path, keeping: "-._~!$&'()*+,;=:@/")
  }

  /// `text` with every byte percent-encoded except ASCII letters, digits and the bytes of `keep`
  /// (`"-._~"`, RFC 3986's unreserved set, for a query value).
  public static func percentEncoded(_ text: String, keeping keep: String = "-._~") -> String {
    let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8).union(keep.utf8)
    let hex = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    for b in text.utf8 {
      if allowed.contains(b) {
        out.append(b)
      } else {
        out += [UInt8(ascii: "%"), hex[Int(b >> 4)], hex[Int(b & 15)]]
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// `path` made absolute against the working directory, with `.` and `..` segments removed.
  public static func absolutePath(_ path: String) -> String {
    var full = path
    if !path.hasPrefix("/") {
      var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
      let cwd = getcwd(&buffer, buffer.count).map { String(cString: $0) } ?? "/"
      full = cwd + "/" + path
    }
    let trailing = full.hasSuffix("/") && full.count > 1
    let normalised = removingDotSegments(full)
    return trailing && !normalised.hasSuffix("/") ? normalised + "/" : normalised
  }

  /// Resolves a reference found in a page (an `href`) against the page's URL, per RFC 3986 §5.2.
  public static func resolve(_ reference: String, against base: String) -> String {
    if scheme(of: reference) != nil || reference.hasPrefix("data:") { return reference }
    guard let baseScheme = scheme(of: base) else { return reference }
    let utf8 = base.utf8
    let afterScheme = utf8.index(utf8.startIndex, offsetBy: baseScheme.utf8.count + 3)
    let authorityEnd = utf8[afterScheme...].firstIndex(where: isPathEnd(slashToo: true)) ?? utf8.endIndex
    let origin = String(base[..<authorityEnd])
    let basePath = String(splitSuffix(String(base[authorityEnd...])).0)
    if reference.hasPrefix("//") { return baseScheme + ":" + reference }
    if reference.isEmpty { return origin + basePath }
    if reference.hasPrefix("#") || reference.hasPrefix("?") { return origin + basePath + reference }
    let (refPath, suffix) = splitSuffix(reference)
    if refPath.hasPrefix("/") { return origin + removingDotSegments(refPath) + suffix }
    let directory: String
    if let slash = basePath.utf8.lastIndex(of: UInt8(ascii: "/")) {
      directory = String(basePath[...slash])
    } else {
      directory = "/"
    }
    return origin + removingDotSegments(directory + refPath) + suffix
  }

  private static func isPathEnd(slashToo: Bool) -> (UInt8) -> Bool {
    { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") || (slashToo && $0 == UInt8(ascii: "/")) }
  }

  /// `a/b?c#d` → (`a/b`, `?c#d`).
  static func splitSuffix(_ text: String) -> (String, String) {
    guard let cut = text.utf8.firstIndex(where: isPathEnd(slashToo: false)) else { return (text, "") }
    return (String(text[..<cut]), String(text[cut...]))
  }

  /// RFC 3986 §5.2.4 on an absolute path.
  static func removingDotSegments(_ path: String) -> String {
    let bytes = Array(path.utf8)
    let hasDotSegment = bytes.indices.dropLast().contains {
      bytes[$0] == UInt8(ascii: "/") && bytes[$0 + 1] == UInt8(ascii: ".")
    }
    guard hasDotSegment else { return path.hasPrefix("/") ? path : "/" + path }
    var output: [Substring] = []
    let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
    for (k, segment) in segments.enumerated() {
      let last = k == segments.count - 1
      switch segment {
      case ".":
        if last { output.append("") }
      case "..":
        if !output.isEmpty { output.removeLast() }
        if last { output.append("") }
      default: output.append(segment)
      }
    }
    return "/" + output.joined(separator: "/")
  }

  /// The last path segment of a URL, without query or fragment, percent-decoded.
  public static func lastSegment(of url: String) -> String {
    let (path, _) = splitSuffix(url)
    guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path.removingPercentEscapes() }
    return String(path[path.utf8.index(after: slash)...]).removingPercentEscapes()
  }

  /// The fragment after `#`, or `nil`.
  public static func fragment(of url: String) -> String? {
    url.utf8.firstIndex(of: UInt8(ascii: "#")).map { String(url[url.utf8.index(after: $0)...]) }
  }

  /// The URL without its fragment.
  public static func removingFragment(_ url: String) -> String {
    url.utf8.firstIndex(of: UInt8(ascii: "#")).map { String(url[..<$0]) } ?? url
  }
}

/// Text that cannot be used as a source location.
public struct URLTextError: Error, Sendable, Equatable, CustomStringConvertible {
  public var text: String
  public var reason: String
  public var description: String { "'\(text)': \(reason)" }
}

extension String {
  /// The string with each `%XX` escape decoded; invalid escapes and non-UTF-8 results are kept as
  /// written.
  public func removingPercentEscapes() -> String {
    guard utf8.contains(UInt8(ascii: "%")) else { return self }
    let bytes = Array(utf8)
    var out: [UInt8] = []
    var k = 0
    func hex(_ b: UInt8) -> UInt8? {
      switch b {
      case 0x30...0x39: b - 0x30
      case 0x41...0x46: b - 0x41 + 10
      case 0x61...0x66: b - 0x61 + 10
      default: nil
      }
    }
    while k < bytes.count {
      if bytes[k] == UInt8(ascii: "%"), k + 2 < bytes.count, let hi = hex(bytes[k + 1]), let lo = hex(bytes[k + 2]) {
        out.append(hi << 4 | lo)
        k += 3
      } else {
        out.append(bytes[k])
        k += 1
      }
    }
    return String(validating: out, as: UTF8.self) ?? self
  }
}
