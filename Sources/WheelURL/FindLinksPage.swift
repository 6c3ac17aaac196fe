import PipeHTTP

/// The links of an HTML page: pip's find-links pages and PEP 503 project pages.
///
/// Reads every `<a href>` (attribute values in double, single or no quotes, HTML entities
/// decoded), honours `<base href>`, and keeps PEP 503's `data-requires-python` and
/// `data-yanked`. Anchors are found by a byte scan, not a full HTML parser: what index pages
/// contain is all it has to understand.
enum FindLinksPage {
  static func parse(_ html: [UInt8], url: String) -> [IndexFile] {
    var scanner = TagScanner(html)
    var base = url
    var files: [IndexFile] = []
    while let (name, attributes) = scanner.nextTag() {
      if name == "base", let href = attributes["href"] {
        base = URLText.resolve(href, against: url)
      } else if name == "a", let href = attributes["href"], !href.isEmpty {
        files.append(
          IndexFile(
            url: URLText.resolve(href, against: base), requiresPython: attributes["data-requires-python"],
            yanked: attributes["data-yanked"]))
      }
    }
    return files
  }
}

/// Finds start tags and their attributes in HTML bytes.
struct TagScanner {
  let bytes: [UInt8]
  var index = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  /// The next start tag's lowercased name and attributes (names lowercased, values decoded).
  mutating func nextTag() -> (String, [String: String])? {
    while let open = find(UInt8(ascii: "<")) {
      index = open + 1
      if starts(with: "!--") {
        guard let end = find(sequence: Array("-->".utf8)) else { return nil }
        index = end + 3
        continue
      }
      let name = readName()
      guard !name.isEmpty else { continue }
      var attributes: [String: String] = [:]
      while true {
        skipSpace()
        guard index < bytes.count else { return (name, attributes) }
        if bytes[index] == UInt8(ascii: ">") {
          index += 1
          break
        }
        if bytes[index] == UInt8(ascii: "/") {
          index += 1
          continue
        }
        let key = readName()
        if key.isEmpty {
          index += 1
          continue
        }
        skipSpace()
        var value = ""
        if index < bytes.count, bytes[index] == UInt8(ascii: "=") {
          index += 1
          skipSpace()
          value = HTMLEntities.decode(readValue())
        }
        if attributes[key] == nil { attributes[key] = value }
      }
      return (name, attributes)
    }
    return nil
  }

  func find(_ byte: UInt8) -> Int? { bytes[index...].firstIndex(of: byte) }

  func find(sequence: [UInt8]) -> Int? {
    var k = index
    while k + sequence.count <= bytes.count {
      if bytes[k] == sequence[0], Array(bytes[k..<k + sequence.count]) == sequence { return k }
      k += 1
    }
    return nil
  }

  func starts(with text: String) -> Bool {
    let t = Array(text.utf8)
    return index + t.count <= bytes.count && Array(bytes[index..<index + t.count]) == t
  }

  mutating func skipSpace() {
    while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C].contains(bytes[index]) { index += 1 }
  }

  /// A tag or attribute name: letters, digits, `-`, `_`, `:`, `.`; lowercased.
  mutating func readName() -> String {
    let start = index
    while index < bytes.count {
      let b = bytes[index]
      let isNameByte =
        (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b)
        || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":") || b == UInt8(ascii: ".")
      guard isNameByte else { break }
      index += 1
    }
    return String(decoding: bytes[start..<index], as: UTF8.self).lowercased()
  }

  /// An attribute value in double quotes, single quotes or none.
  mutating func readValue() -> String {
    guard index < bytes.count else { return "" }
    let quote = bytes[index]
    if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
      index += 1
      let start = index
      let end = bytes[index...].firstIndex(of: quote) ?? bytes.count
      index = min(end + 1, bytes.count)
      return String(decoding: bytes[start..<end], as: UTF8.self)
    }
    let start = index
    while index < bytes.count, ![0x20, 0x09, 0x0A, 0x0D, 0x0C, UInt8(ascii: ">")].contains(bytes[index]) {
      index += 1
    }
    return String(decoding: bytes[start..<index], as: UTF8.self)
  }
}

/// HTML character references in attribute values.
enum HTMLEntities {
  static let named: [String: String] = ["amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}"]

  static func decode(_ text: String) -> String {
    guard text.contains("&") else { return text }
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
