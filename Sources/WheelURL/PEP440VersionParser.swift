/// A cursor over the lowercased ASCII bytes of a version, following PEP 440's appendix regex.
struct PEP440VersionParser {
  let text: String
  let bytes: [UInt8]
  var index = 0

  init(_ text: String) {
    self.text = text
    let trimmed = text.trimmingPythonWhitespace()
    bytes = Array(trimmed.lowercased().utf8)
  }

  var atEnd: Bool { index == bytes.count }

  func fail(_ reason: String) -> PEP440Error {
    PEP440Error(message: "invalid version '\(text)': \(reason)")
  }

  func isDigit(at k: Int) -> Bool { k < bytes.count && bytes[k] >= 0x30 && bytes[k] <= 0x39 }
  func isSeparator(at k: Int) -> Bool {
    k < bytes.count && (bytes[k] == UInt8(ascii: ".") || bytes[k] == UInt8(ascii: "-") || bytes[k] == UInt8(ascii: "_"))
  }

  /// Reads a run of decimal digits, or returns `nil` (consuming nothing) when there is none.
  mutating func number() throws(PEP440Error) -> Int? {
    guard isDigit(at: index) else { return nil }
    var value = 0
    while isDigit(at: index) {
      let (times, o1) = value.multipliedReportingOverflow(by: 10)
      let (sum, o2) = times.addingReportingOverflow(Int(bytes[index] - 0x30))
      if o1 || o2 { throw fail("number too large") }
      value = sum
      index += 1
    }
    return value
  }

  /// Consumes `word` if the bytes at the cursor spell it.
  mutating func take(_ word: String) -> Bool {
    let w = Array(word.utf8)
    guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { return false }
    index += w.count
    return true
  }

  /// The number after a pre/post/dev label: an optional separator and digits, 0 when omitted.
  /// As in PEP 440's regex, the separator is taken even when no digits follow (`1.0a-` is `1.0a0`).
  mutating func labelNumber() throws(PEP440Error) -> Int {
    if isSeparator(at: index) { index += 1 }
    return try number() ?? 0
  }

  /// Tries each spelling after an optional separator; restores the cursor when none matches.
  mutating func label(_ words: [String]) -> String? {
    let save = index
    if isSeparator(at: index) { index += 1 }
    for word in words where take(word) { return word }
    index = save
    return nil
  }

  mutating func parseVersion() throws(PEP440Error) -> PEP440Version {
    if bytes.isEmpty { throw fail("empty") }
    _ = take("v")
    guard var first = try number() else { throw fail("expected a release number") }
    var epoch = 0
    if take("!") {
      epoch = first
      guard let n = try number() else { throw fail("expected a release number after the epoch") }
      first = n
    }
    var release = [first]
    while bytes.count > index + 1, bytes[index] == UInt8(ascii: "."), isDigit(at: index + 1) {
      index += 1
      release.append(try number()!)
    }
    var version = PEP440Version(epoch: epoch, release: release)
    let phases: [String: PEP440Version.Phase] = [
      "alpha": .alpha, "a": .alpha, "beta": .beta, "b": .beta,
      "preview": .releaseCandidate, "pre": .releaseCandidate, "rc": .releaseCandidate, "c": .releaseCandidate,
    ]
    if let word = label(["alpha", "a", "beta", "b", "preview", "pre", "rc", "c"]) {
      version.pre = .init(phase: phases[word]!, number: try labelNumber())
    }
    if bytes.count > index + 1, bytes[index] == UInt8(ascii: "-"), isDigit(at: index + 1) {
      index += 1
      version.post = try number()
    } else if label(["post", "rev", "r"]) != nil {
      version.post = try labelNumber()
    }
    if label(["dev"]) != nil { version.dev = try labelNumber() }
    if take("+") { version.localSegments = try localSegments() }
    if !atEnd { throw fail("unexpected '\(String(decoding: bytes[index...], as: UTF8.self))'") }
    return version
  }

  /// Local label segments: ASCII letters and digits, separated by `.`, `-` or `_`.
  mutating func localSegments() throws(PEP440Error) -> [PEP440Version.LocalSegment] {
    var segments: [PEP440Version.LocalSegment] = []
    while true {
      let start = index
      while index < bytes.count, bytes[index].isASCIIAlphanumeric { index += 1 }
      guard index > start else { throw fail("empty local label segment") }
      let part = String(decoding: bytes[start..<index], as: UTF8.self)
      if part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
        let trimmed = part.drop { $0 == "0" }
        segments.append(.number(trimmed.isEmpty ? "0" : String(trimmed)))
      } else {
        segments.append(.text(part))
      }
      guard isSeparator(at: index) else { return segments }
      index += 1
    }
  }
}

extension UInt8 {
  var isASCIIAlphanumeric: Bool {
    (0x30...0x39).contains(self) || (0x61...0x7A).contains(self) || (0x41...0x5A).contains(self)
  }
}

extension Unicode.Scalar {
  /// Whether Python's `str.isspace()` is true for this scalar (what `str.strip()` and the `\\s`
  /// of `re` match, so what `packaging` strips around versions and specifiers).
  var isPythonWhitespace: Bool {
    switch value {
    case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
      true
    default: false
    }
  }
}

extension String {
  /// The string without the leading and trailing characters Python's `str.strip()` removes.
  func trimmingPythonWhitespace() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.isPythonWhitespace }),
      let last = scalars.lastIndex(where: { !$0.isPythonWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }

  /// Whether any scalar is one Python's `str.isspace()` accepts.
  var containsPythonWhitespace: Bool { unicodeScalars.contains(where: \.isPythonWhitespace) }

  /// The string without leading and trailing spaces, tabs, carriage returns and newlines.
  public func trimmingASCIIWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
    guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
      return ""
    }
    return String(self[first...last])
  }
}
