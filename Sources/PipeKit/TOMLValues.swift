/// The TOML reader's values: strings, booleans, numbers, dates and times, arrays and inline
/// tables.
extension TOMLParser {
  mutating func parseValue() throws(TOMLError) -> JSON {
    switch current {
    case "\"":
      return .string(starts(with: "\"\"\"") ? try parseMultilineString(literal: false) : try parseBasicString())
    case "'": return .string(starts(with: "'''") ? try parseMultilineString(literal: true) : try parseLiteralString())
    case "[": return try parseArray()
    case "{": return try parseInlineTable()
    case let c? where isDigit(c) && (isDateAhead || isTimeAhead): return try parseDateTime()
    case let c? where isBareKeyScalar(c) || c == "+" || c == ".": return try parseWord()
    default: throw error("expected a value, found \(describe(current))")
    }
  }

  func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { ("0"..."9").contains($0) } ?? false }

  func digits(_ count: Int, at position: Int) -> Bool {
    (position..<position + count).allSatisfy { isDigit(scalar(at: $0)) }
  }

  var isDateAhead: Bool { digits(4, at: index) && scalar(at: index + 4) == "-" }
  var isTimeAhead: Bool { digits(2, at: index) && scalar(at: index + 2) == ":" }

  /// Reads a bare word (`true`, `false`, `inf`, `nan`) or a number.
  mutating func parseWord() throws(TOMLError) -> JSON {
    let start = index
    while let c = current, isBareKeyScalar(c) || c == "+" || c == "." { index += 1 }
    let word = String(String.UnicodeScalarView(text[start..<index]))
    switch word {
    case "true": return .bool(true)
    case "false": return .bool(false)
    case "inf", "+inf": return .string("inf")
    case "-inf": return .string("-inf")
    case "nan", "+nan", "-nan": return .string("nan")
    default:
      switch Self.number(word) {
      case .number(let text): return .number(text)
      case .outOfRange: throw error("integer '\(word)' does not fit in 64 bits", at: start)
      case .invalid: throw error("invalid value '\(word)'", at: start)
      }
    }
  }

  /// How a word reads as a TOML number.
  enum NumberReading: Equatable {
    /// The JSON number text: an integer in decimal, or a float's text without `_` and `+`.
    case number(String)
    /// An integer outside the 64-bit range, which TOML requires a reader to refuse.
    case outOfRange
    case invalid
  }

  /// Reads a TOML integer (decimal, `0x`, `0o`, `0b`) or float.
  static func number(_ word: String) -> NumberReading {
    var body = Substring(word)
    let negative = body.first == "-"
    let signed = body.first == "-" || body.first == "+"
    if signed { body = body.dropFirst() }
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where body.hasPrefix(prefix) {
      guard !signed, let digits = clean(body.dropFirst(2), radix: radix) else { return .invalid }
      return Int64(digits, radix: radix).map { .number(String($0)) } ?? .outOfRange
    }
    let exponentStart = body.firstIndex { $0 == "e" || $0 == "E" }
    let mantissa = body[..<(exponentStart ?? body.endIndex)]
    let dot = mantissa.firstIndex(of: ".")
    let integerPart = mantissa[..<(dot ?? mantissa.endIndex)]
    guard let integer = clean(integerPart, radix: 10), integer == "0" || !integer.hasPrefix("0") else {
      return .invalid
    }
    var text = (negative ? "-" : "") + integer
    if let dot {
      guard let fraction = clean(mantissa[mantissa.index(after: dot)...], radix: 10) else { return .invalid }
      text += "." + fraction
    }
    if let exponentStart {
      var exponent = body[body.index(after: exponentStart)...]
      var sign = ""
      if let first = exponent.first, first == "+" || first == "-" {
        sign = String(first)
        exponent = exponent.dropFirst()
      }
      guard let digits = clean(exponent, radix: 10) else { return .invalid }
      text += "e" + sign + digits
    }
    if dot == nil && exponentStart == nil { return Int64(text).map { .number(String($0)) } ?? .outOfRange }
    return .number(text)
  }

  /// `digits` without underscores, when it is a non-empty run of digits in `radix` with each `_`
  /// between two digits; otherwise `nil`.
  static func clean(_ digits: Substring, radix: Int) -> String? {
    guard let first = digits.first, let last = digits.last, first != "_", last != "_", !digits.contains("__")
    else { return nil }
    let text = digits.filter { $0 != "_" }
    guard text.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
    return text
  }

  /// Reads an offset date-time, local date-time, local date or local time, kept as written.
  mutating func parseDateTime() throws(TOMLError) -> JSON {
    let start = index
    if isDateAhead {
      guard digits(2, at: index + 5), scalar(at: index + 7) == "-", digits(2, at: index + 8) else {
        throw error("invalid date; expected YYYY-MM-DD")
      }
      let year = decimal(at: index, count: 4)
      let month = decimal(at: index + 5, count: 2)
      let day = decimal(at: index + 8, count: 2)
      let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
      let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
      guard (1...12).contains(month), (1...days[month - 1]).contains(day) else {
        throw error("invalid date: no day \(day) in month \(month) of \(year)")
      }
      index += 10
      let separator = current
      guard separator == "T" || separator == "t" || (separator == " " && digits(2, at: index + 1)) else {
        return try finishDateTime(from: start)
      }
      index += 1
      try parseTime()
      if current == "Z" || current == "z" {
        index += 1
      } else if current == "+" || current == "-" {
        guard digits(2, at: index + 1), scalar(at: index + 3) == ":", digits(2, at: index + 4),
          decimal(at: index + 1, count: 2) < 24, decimal(at: index + 4, count: 2) < 60
        else { throw error("invalid time offset; expected Z or ±HH:MM") }
        index += 6
      }
    } else {
      try parseTime()
    }
    return try finishDateTime(from: start)
  }

  private mutating func finishDateTime(from start: Int) throws(TOMLError) -> JSON {
    if let c = current, isBareKeyScalar(c) || c == "." || c == ":" || c == "+" {
      throw error("invalid date or time", at: start)
    }
    return .string(String(String.UnicodeScalarView(text[start..<index])))
  }

  /// Reads `HH:MM:SS` with an optional fraction of a second.
  private mutating func parseTime() throws(TOMLError) {
    guard digits(2, at: index), scalar(at: index + 2) == ":", digits(2, at: index + 3), scalar(at: index + 5) == ":",
      digits(2, at: index + 6)
    else { throw error("invalid time; expected HH:MM:SS") }
    guard decimal(at: index, count: 2) < 24, decimal(at: index + 3, count: 2) < 60,
      decimal(at: index + 6, count: 2) <= 60
    else { throw error("invalid time: hour, minute or second out of range") }
    index += 8
    if current == "." {
      index += 1
      guard isDigit(current) else { throw error("expected digits after '.' in a time") }
      while isDigit(current) { index += 1 }
    }
  }

  private func decimal(at position: Int, count: Int) -> Int {
    (position..<position + count).reduce(0) { $0 * 10 + Int(text[$1].value - 0x30) }
  }

  /// Reads `[ … ]`: values separated by commas, with newlines, comments and a trailing comma allowed.
  mutating func parseArray() throws(TOMLError) -> JSON {
    let start = index
    try enter()
    index += 1
    var items: [JSON] = []
    while true {
      try skipBlank()
      if current == nil { throw error("unterminated array", at: start) }
      if current == "]" { break }
      items.append(try parseValue())
      try skipBlank()
      if current == "," {
        index += 1
      } else if current != "]" {
        if current == nil { throw error("unterminated array", at: start) }
        throw error("expected ',' or ']' after an array element, found \(describe(current))")
      }
    }
    index += 1
    depth -= 1
    return .array(items)
  }

  /// Reads `{ key = value, … }` on one line, without a trailing comma.
  mutating func parseInlineTable() throws(TOMLError) -> JSON {
    try enter()
    index += 1
    let table = TOMLTable(origin: .header)
    skipSpaces()
    if current == "}" {
      index += 1
      depth -= 1
      return table.json
    }
    while true {
      skipSpaces()
      if current == "}" { throw error("trailing comma in an inline table") }
      let key = try parseKey()
      guard current == "=" else { throw error("expected '=' after key") }
      index += 1
      skipSpaces()
      try insert(try parseValue(), at: key, into: table, section: -1)
      skipSpaces()
      if current == "}" { break }
      guard current == "," else {
        if current == "\n" || current == "\r" { throw error("newline in an inline table") }
        throw error("expected ',' or '}' in an inline table, found \(describe(current))")
      }
      index += 1
    }
    index += 1
    depth -= 1
    return table.json
  }

  private mutating func enter() throws(TOMLError) {
    depth += 1
    if depth > maxDepth { throw error("arrays and inline tables nested deeper than \(maxDepth)") }
  }
}
