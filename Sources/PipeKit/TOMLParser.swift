/// The TOML reader's cursor and its lexical rules: whitespace, newlines, comments, keys and the
/// four kinds of string. Values are read in `TOMLValues.swift`, tables in `TOML.swift`.
struct TOMLParser {
  let text: [Unicode.Scalar]
  var index = 0
  /// How many `[` and `{` enclose the cursor; deeper than `maxDepth` is refused.
  var depth = 0
  let maxDepth = 256
  /// Counts table headers, so tables made by dotted keys close when their section ends.
  var section = 0

  init(_ source: String) { text = Array(source.unicodeScalars) }

  var current: Unicode.Scalar? { index < text.count ? text[index] : nil }

  func scalar(at position: Int) -> Unicode.Scalar? { position < text.count ? text[position] : nil }

  func starts(with word: String, at position: Int? = nil) -> Bool {
    var k = position ?? index
    for s in word.unicodeScalars {
      guard k < text.count, text[k] == s else { return false }
      k += 1
    }
    return true
  }

  /// An error at `position` (the cursor by default), with its line and column.
  func error(_ message: String, at position: Int? = nil) -> TOMLError {
    let end = min(position ?? index, text.count)
    var line = 1
    var lineStart = 0
    for k in 0..<end where text[k] == "\n" {
      line += 1
      lineStart = k + 1
    }
    return TOMLError(line: line, column: end - lineStart + 1, message: message)
  }

  /// How a character is named in messages: `'='`, `a newline`, `U+0007`, `end of input`.
  func describe(_ c: Unicode.Scalar?) -> String {
    guard let c else { return "end of input" }
    switch c {
    case "\n", "\r": return "a newline"
    case "\t": return "a tab"
    case _ where isControl(c):
      let hex = String(c.value, radix: 16, uppercase: true)
      return "U+" + String(repeating: "0", count: 4 - hex.count) + hex
    default: return "'\(Character(c))'"
    }
  }

  /// Control characters TOML forbids in strings and comments: all but tab below U+0020, and DEL.
  func isControl(_ c: Unicode.Scalar) -> Bool { (c.value < 0x20 && c != "\t") || c.value == 0x7F }

  mutating func skipSpaces() {
    while let c = current, c == " " || c == "\t" { index += 1 }
  }

  /// Consumes `\n` or `\r\n` and returns true, or returns false when the cursor is not at one.
  mutating func skipNewline() throws(TOMLError) -> Bool {
    if current == "\n" {
      index += 1
      return true
    }
    guard current == "\r" else { return false }
    guard scalar(at: index + 1) == "\n" else { throw error("carriage return not followed by a newline") }
    index += 2
    return true
  }

  /// Consumes a `#` comment up to (not including) the end of its line.
  mutating func skipComment() throws(TOMLError) {
    guard current == "#" else { return }
    index += 1
    while let c = current, c != "\n", c != "\r" {
      if isControl(c) { throw error("control character \(describe(c)) in a comment") }
      index += 1
    }
  }

  /// Skips spaces, newlines and comments (between array elements).
  mutating func skipBlank() throws(TOMLError) {
    while true {
      skipSpaces()
      if current == "#" {
        try skipComment()
      } else if try !skipNewline() {
        return
      }
    }
  }

  /// Requires the rest of the line to be blank or a comment.
  mutating func expectLineEnd(_ context: String) throws(TOMLError) {
    skipSpaces()
    try skipComment()
    guard let c = current, c != "\n", c != "\r" else { return }
    throw error("expected a newline \(context), found \(describe(c))")
  }

  /// Reads a key (`a`, `"quoted key"`, `'literal'`, `a . b."c"`) and the spaces after it.
  mutating func parseKey() throws(TOMLError) -> TOMLKey {
    var key = TOMLKey()
    while true {
      skipSpaces()
      if key.parts.count == maxDepth { throw error("key has more than \(maxDepth) parts") }
      key.positions.append(index)
      switch current {
      case "\"", "'":
        if starts(with: "\"\"\"") || starts(with: "'''") { throw error("a key cannot be a multi-line string") }
        key.parts.append(current == "\"" ? try parseBasicString() : try parseLiteralString())
      case let c? where isBareKeyScalar(c):
        let start = index
        while let c = current, isBareKeyScalar(c) { index += 1 }
        key.parts.append(String(String.UnicodeScalarView(text[start..<index])))
      default:
        throw error("expected a key, found \(describe(current))")
      }
      skipSpaces()
      guard current == "." else { return key }
      index += 1
    }
  }

  func isBareKeyScalar(_ c: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
  }

  /// Reads `"…"` with escapes.
  mutating func parseBasicString() throws(TOMLError) -> String {
    let start = index
    index += 1
    var out = String.UnicodeScalarView()
    while true {
      guard let c = current, c != "\n", c != "\r" else { throw error("unterminated string", at: start) }
      if c == "\"" {
        index += 1
        return String(out)
      } else if c == "\\" {
        out.append(try parseEscape())
      } else if isControl(c) {
        throw error("control character \(describe(c)) in a string; escape it")
      } else {
        out.append(c)
        index += 1
      }
    }
  }

  /// Reads `'…'`, taken as written.
  mutating func parseLiteralString() throws(TOMLError) -> String {
    let start = index
    index += 1
    var out = String.UnicodeScalarView()
    while true {
      guard let c = current, c != "\n", c != "\r" else { throw error("unterminated string", at: start) }
      index += 1
      if c == "'" { return String(out) }
      if isControl(c) { throw error("control character \(describe(c)) in a literal string", at: index - 1) }
      out.append(c)
    }
  }

  /// Reads `"""…"""` (escapes, line-ending backslash) or `'''…'''` (as written). A newline right
  /// after the opening delimiter is dropped; CRLF becomes LF; up to two quotes may precede the
  /// closing delimiter.
  mutating func parseMultilineString(literal: Bool) throws(TOMLError) -> String {
    let start = index
    let quote: Unicode.Scalar = literal ? "'" : "\""
    index += 3
    _ = try skipNewline()
    var out = String.UnicodeScalarView()
    while true {
      guard let c = current else { throw error("unterminated multi-line string", at: start) }
      if c == quote {
        var run = 0
        while scalar(at: index + run) == quote { run += 1 }
        if run >= 3 {
          if run > 5 { throw error("too many quotes at the end of a multi-line string", at: index + 5) }
          out.append(contentsOf: repeatElement(quote, count: run - 3))
          index += run
          return String(out)
        }
        out.append(contentsOf: repeatElement(quote, count: run))
        index += run
      } else if c == "\\" && !literal {
        var k = index + 1
        while let s = scalar(at: k), s == " " || s == "\t" { k += 1 }
        if scalar(at: k) == "\n" || (scalar(at: k) == "\r" && scalar(at: k + 1) == "\n") {
          index = k
          while true {
            if current == " " || current == "\t" {
              index += 1
            } else if try !skipNewline() {
              break
            }
          }
        } else {
          out.append(try parseEscape())
        }
      } else if try skipNewline() {
        out.append("\n")
      } else if isControl(c) {
        throw error("control character \(describe(c)) in a string")
      } else {
        out.append(c)
        index += 1
      }
    }
  }

  /// Reads one escape sequence after `\` in a basic string.
  mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
    let start = index
    index += 1
    guard let e = current else { throw error("unterminated string") }
    index += 1
    switch e {
    case "b": return "\u{08}"
    case "t": return "\t"
    case "n": return "\n"
    case "f": return "\u{0C}"
    case "r": return "\r"
    case "\"": return "\""
    case "\\": return "\\"
    case "u", "U":
      let count = e == "u" ? 4 : 8
      var value: UInt32 = 0
      for _ in 0..<count {
        guard let h = current, let digit = h.properties.isASCIIHexDigit ? UInt32(String(h), radix: 16) : nil else {
          throw error("\\\(e) needs \(count) hexadecimal digits", at: start)
        }
        value = value << 4 | digit
        index += 1
      }
      guard let scalar = Unicode.Scalar(value) else {
        throw error("\\\(e) escape is not a Unicode scalar value", at: start)
      }
      return scalar
    default:
      throw error(
        isControl(e)
          ? "invalid escape sequence: '\\' before \(describe(e))"
          : "invalid escape sequence '\\\(Character(e))'", at: start)
    }
  }
}
