import PipeHTTP

/// The links of an HTML page: pip's find-links pages and PEP 503 project pages.
///
/// Reads every `<a href>` (attribute values in double, single or no quotes, HTML entities
/// decoded), honours `<base href>`, and keeps PEP 503's `data-requires-python` and
/// `data-yanked`. An anchor whose text is a wheel file name other than the href's is an alias
/// (the cuda-wheels index lists one torch-free build under every torch of its CUDA line this
/// way, and comfy-env matches the text): the text is kept as the name the page lists the file
/// under. Anchors are found by a byte scan, not a full HTML parser: what index pages
/// contain is all it has to understand. Links are resolved against the page only when their
/// project is asked for, so a page of thousands of links costs one pass over its bytes.
enum FindLinksPage {
  static func links(_ html: [UInt8], url: String) -> [PageLink] {
    var stream = PageStream(wheelsOnly: false)
    html.withUnsafeBytes { stream.feed($0) }
    return stream.finishHTML(url: url)
  }

  /// Every link of the page as a resolved file.
  static func parse(_ html: [UInt8], url: String) -> [IndexFile] { links(html, url: url).map(\.file) }
}

/// Reads a page as its bytes arrive, so a page of a million links never sits in memory whole:
/// HTML is scanned up to its last complete tag and only the links kept (with `wheelsOnly`, only
/// links to wheels); a PEP 691 JSON page (its first byte is `{`) is kept whole to be parsed at
/// the end. Links are stored against the page's URL, which is known at the end (after
/// redirects).
struct PageStream {
  let wheelsOnly: Bool
  /// Bytes after the last complete tag, scanned when more arrive.
  private var pending: [UInt8] = []
  private(set) var json: [UInt8]?
  private var decided = false
  /// Links with `base` empty (the page) or the `<base href>` as written.
  private var links: [PageLink] = []
  private var baseHref = ""

  init(wheelsOnly: Bool) { self.wheelsOnly = wheelsOnly }

  var isJSON: Bool { json != nil }

  mutating func feed(_ chunk: UnsafeRawBufferPointer) {
    if !decided, let first = chunk.first(where: { !AnchorScanner.isSpace($0) }) {
      decided = true
      if first == UInt8(ascii: "{") { json = [] }
    }
    if json != nil {
      json!.append(contentsOf: chunk)
      return
    }
    pending.append(contentsOf: chunk)
    // The tag or comment left unfinished at the end waits for the next bytes.
    let unfinished = scan(pending, final: false)
    pending.removeFirst(unfinished ?? pending.count)
  }

  /// Reads the tags in `bytes`; unless `final`, returns where an unfinished one starts.
  private mutating func scan(_ bytes: [UInt8], final: Bool) -> Int? {
    var scanner = AnchorScanner(bytes, final: final)
    while let tag = scanner.nextTag() {
      if tag.isBase {
        if let href = tag.href { baseHref = href }
      } else if let href = tag.href, !href.isEmpty {
        let link = PageLink(
          href: href, base: baseHref, requiresPython: tag.requiresPython, yanked: tag.yanked,
          listedAs: tag.text.flatMap { PageLink.alias($0, href: href) })
        if !wheelsOnly || link.isWheel { links.append(link) }
      }
    }
    return scanner.unfinished
  }

  /// The HTML page's links, their base resolved against `url`, the page's final URL.
  mutating func finishHTML(url: String) -> [PageLink] {
    if !pending.isEmpty { _ = scan(pending, final: true) }
    pending = []
    let base = baseHref.isEmpty ? url : URLText.resolve(baseHref, against: url)
    var found = links
    links = []
    for k in found.indices { found[k].base = found[k].base.isEmpty ? url : base }
    return found
  }
}

/// A link as a page or directory gives it, resolved into an `IndexFile` only when asked for.
///
/// Kept small (40 bytes and the `href`'s text), since a page may hold a million: the rarely set
/// hash, Requires-Python and yanked mark live in one shared box, absent when all are nil.
struct PageLink: Sendable {
  var href: String
  var base: String
  private let extras: Extras?

  private final class Extras: Sendable {
    let sha256: String?
    let requiresPython: String?
    let yanked: String?
    let listedAs: String?

    init(sha256: String?, requiresPython: String?, yanked: String?, listedAs: String?) {
      self.sha256 = sha256
      self.requiresPython = requiresPython
      self.yanked = yanked
      self.listedAs = listedAs
    }
  }

  init(
    href: String, base: String, sha256: String? = nil, requiresPython: String? = nil, yanked: String? = nil,
    listedAs: String? = nil
  ) {
    self.href = href
    self.base = base
    let none = sha256 == nil && requiresPython == nil && yanked == nil && listedAs == nil
    extras =
      none ? nil : Extras(sha256: sha256, requiresPython: requiresPython, yanked: yanked, listedAs: listedAs)
  }

  var sha256: String? { extras?.sha256 }
  var requiresPython: String? { extras?.requiresPython }
  var yanked: String? { extras?.yanked }
  /// The wheel file name the anchor's text gives, when it is not the href's own.
  var listedAs: String? { extras?.listedAs }

  /// An anchor text that names a wheel file other than the href's (`spconv-2.3.8+cu128torch2.8-…`
  /// for an href to `spconv-2.3.8%2Bcu128torch2.11-…`), or `nil`.
  static func alias(_ text: String, href: String) -> String? {
    let name = text.trimmingASCIIWhitespace()
    guard name.hasSuffix(".whl"), !name.contains("/"), !name.contains(" ") else { return nil }
    return name == URLText.lastSegment(of: URLText.removingFragment(href)) ? nil : name
  }

  /// Whether the link's last path segment ends in `.whl` (a cheap test before `projectKey`).
  var isWheel: Bool {
    let utf8 = href.utf8
    let end = utf8.firstIndex { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "?") } ?? utf8.endIndex
    return utf8[..<end].reversed().starts(with: "lhw.".utf8)
  }

  /// The scheme the link resolves to (its own, else its base's).
  var scheme: String? { URLText.scheme(of: href) ?? URLText.scheme(of: base) }

  var file: IndexFile {
    IndexFile(
      url: URLText.resolve(href, against: base), sha256: sha256, requiresPython: requiresPython, yanked: yanked,
      listedAs: listedAs)
  }

  /// The PEP 503 normalised project a wheel link belongs to, from the bytes of its last path
  /// segment; `nil` for links that are not wheels.
  var projectKey: String? {
    let bytes = Array(href.utf8)
    var end = bytes.count
    if let cut = bytes.firstIndex(where: { $0 == UInt8(ascii: "#") || $0 == UInt8(ascii: "?") }) { end = cut }
    let start = (bytes[..<end].lastIndex(of: UInt8(ascii: "/")) ?? -1) + 1
    let segment = bytes[start..<end]
    guard segment.count > 4, segment.suffix(4).elementsEqual(".whl".utf8),
      let dash = segment.firstIndex(of: UInt8(ascii: "-"))
    else { return nil }
    var name: [UInt8] = []
    var inRun = false
    for b in segment[start..<dash] {
      if b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") {
        if !inRun { name.append(UInt8(ascii: "-")) }
        inRun = true
      } else {
        name.append((0x41...0x5A).contains(b) ? b + 0x20 : b)
        inRun = false
      }
    }
    let key = String(decoding: name, as: UTF8.self)
    return key.utf8.contains(UInt8(ascii: "%")) ? normalizedProjectName(key.removingPercentEscapes()) : key
  }
}

/// Finds `<a>` and `<base>` start tags and the attributes wheel-url reads, in HTML bytes.
struct AnchorScanner {
  struct Tag {
    var isBase = false
    var href: String?
    var requiresPython: String?
    var yanked: String?
    /// An anchor's text, up to the next tag, entities decoded.
    var text: String?
  }

  let bytes: [UInt8]
  var index = 0
  /// Whether `bytes` is the whole page. When not, a tag or comment that the bytes end inside
  /// is not read: scanning stops and `unfinished` says where it starts.
  let final: Bool
  private(set) var unfinished: Int?

  init(_ bytes: [UInt8], final: Bool = true) {
    self.bytes = bytes
    self.final = final
  }

  static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0C }

  static func isNameByte(_ b: UInt8) -> Bool {
    (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b) || b == UInt8(ascii: "-")
      || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b == UInt8(ascii: ".")
  }

  /// The next `<a>` or `<base>` tag.
  mutating func nextTag() -> Tag? {
    let count = bytes.count
    while index < count {
      guard let open = bytes[index...].firstIndex(of: UInt8(ascii: "<")) else {
        index = count
        return nil
      }
      index = open + 1
      if !final && count - index < 4 {
        unfinished = open
        return nil
      }
      if matches("!--") {
        index = endOfComment()
        if !final && index == count && !(count >= 3 && bytes[(count - 3)...].elementsEqual("-->".utf8)) {
          unfinished = open
          return nil
        }
        continue
      }
      let name = readName()
      let isAnchor = equalsLowercased(name, "a")
      let isBase = equalsLowercased(name, "base")
      guard isAnchor || isBase else { continue }
      var tag = Tag(isBase: isBase)
      var closed = false
      while index < count {
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
        guard index < count else { break }
        if bytes[index] == UInt8(ascii: ">") {
          index += 1
          closed = true
          break
        }
        let attribute = readName()
        if attribute.isEmpty {
          index += 1
          continue
        }
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
        var value: Range<Int>?
        if index < count, bytes[index] == UInt8(ascii: "=") {
          index += 1
          while index < count, Self.isSpace(bytes[index]) { index += 1 }
          value = readValue()
        }
        func text() -> String {
          guard let value else { return "" }
          return HTMLEntities.decode(String(decoding: bytes[value], as: UTF8.self))
        }
        if equalsLowercased(attribute, "href") {
          if tag.href == nil { tag.href = text() }
        } else if equalsLowercased(attribute, "data-requires-python") {
          tag.requiresPython = text()
        } else if equalsLowercased(attribute, "data-yanked") {
          tag.yanked = text()
        }
      }
      if !final && !closed {
        unfinished = open
        return nil
      }
      if isAnchor && closed {
        guard let end = bytes[index...].firstIndex(of: UInt8(ascii: "<")) ?? (final ? count : nil) else {
          unfinished = open
          return nil
        }
        if end > index { tag.text = HTMLEntities.decode(String(decoding: bytes[index..<end], as: UTF8.self)) }
        index = end
      }
      return tag
    }
    return nil
  }

  func matches(_ text: StaticString) -> Bool {
    let n = text.utf8CodeUnitCount
    guard index + n <= bytes.count else { return false }
    for k in 0..<n where bytes[index + k] != text.utf8Start[k] { return false }
    return true
  }

  /// Where the comment that starts at `index` ends (after `-->`), or the end of the bytes.
  func endOfComment() -> Int {
    var k = index + 3
    while k + 2 < bytes.count {
      if bytes[k] == UInt8(ascii: "-"), bytes[k + 1] == UInt8(ascii: "-"), bytes[k + 2] == UInt8(ascii: ">") {
        return k + 3
      }
      k += 1
    }
    return bytes.count
  }

  mutating func readName() -> Range<Int> {
    let start = index
    while index < bytes.count, Self.isNameByte(bytes[index]) { index += 1 }
    return start..<index
  }

  /// A value in double quotes, single quotes or none: the range of its bytes.
  mutating func readValue() -> Range<Int> {
    guard index < bytes.count else { return index..<index }
    let quote = bytes[index]
    if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
      let start = index + 1
      let end = bytes[start...].firstIndex(of: quote) ?? bytes.count
      index = min(end + 1, bytes.count)
      return start..<end
    }
    let start = index
    while index < bytes.count, !Self.isSpace(bytes[index]), bytes[index] != UInt8(ascii: ">") { index += 1 }
    return start..<index
  }

  /// Whether the bytes in `range`, lowercased, spell `word` (lowercase ASCII).
  func equalsLowercased(_ range: Range<Int>, _ word: StaticString) -> Bool {
    guard range.count == word.utf8CodeUnitCount else { return false }
    for (k, b) in bytes[range].enumerated() {
      let lower = (0x41...0x5A).contains(b) ? b + 0x20 : b
      if lower != word.utf8Start[k] { return false }
    }
    return true
  }
}

/// HTML character references in attribute values.
enum HTMLEntities {
  static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]

  static func decode(_ text: String) -> String {
    guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
    var out = ""
    var rest = Substring(text)
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      let after = rest[rest.index(after: amp)...]
      if let semi = after.prefix(12).firstIndex(of: ";"), let decoded = reference(after[..<semi]) {
        out += decoded
        rest = after[after.index(after: semi)...]
      } else {
        out += "&"
        rest = after
      }
    }
    return out + rest
  }

  static func reference(_ name: Substring) -> String? {
    if name.hasPrefix("#x") || name.hasPrefix("#X") {
      return UInt32(name.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
    }
    if name.hasPrefix("#") {
      return UInt32(name.dropFirst()).flatMap(Unicode.Scalar.init).map { String(Character($0)) }
    }
    return named[String(name)]
  }
}
