/// The few Python literals an `.npy` header is made of: the header is the `repr` of a dict such
/// as `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
///
/// This parses that subset (strings, integers, `True`/`False`/`None`, tuples, lists, dicts with
/// string keys) instead of evaluating anything. Python 2's `3L` integers are accepted.
indirect enum PythonLiteral: Equatable {
  case string(String)
  case int(Int)
  case bool(Bool)
  case none
  case tuple([PythonLiteral])
  case list([PythonLiteral])
  /// Keys in order, with their values.
  case dict(keys: [String], values: [PythonLiteral])

  /// Parses `text`, which must hold exactly one literal (surrounding whitespace allowed).
  static func parse(_ text: String) throws -> PythonLiteral {
    var parser = PythonLiteralParser(chars: Array(text.unicodeScalars))
    parser.skipSpace()
    let value = try parser.value(depth: 0)
    parser.skipSpace()
    guard parser.index == parser.chars.count else { throw parser.fail("unexpected text after the dict") }
    return value
  }
}

private struct PythonLiteralParser {
  let chars: [Unicode.Scalar]
  var index = 0

  func fail(_ message: String) -> TensorFormatError {
    .malformed("npy header is not a Python literal: \(message) at character \(index + 1)")
  }

  var current: Unicode.Scalar? { index < chars.count ? chars[index] : nil }

  mutating func skipSpace() {
    while let c = current, c == " " || c == "\t" || c == "\n" || c == "\r" { index += 1 }
  }

  mutating func value(depth: Int) throws -> PythonLiteral {
    guard depth < 32 else { throw fail("nesting too deep") }
    guard let c = current else { throw fail("unexpected end") }
    switch c {
    case "'", "\"": return .string(try string(quote: c))
    case "(": return try sequence(close: ")", depth: depth)
    case "[": return try sequence(close: "]", depth: depth)
    case "{": return try dict(depth: depth)
    case "-", "+", "0"..."9": return .int(try integer())
    default:
      for (word, literal) in [("True", PythonLiteral.bool(true)), ("False", .bool(false)), ("None", .none)]
      where word.unicodeScalars.elementsEqual(chars[index..<min(chars.count, index + word.unicodeScalars.count)]) {
        index += word.unicodeScalars.count
        return literal
      }
      throw fail("unexpected character '\(c)'")
    }
  }

  mutating func string(quote: Unicode.Scalar) throws -> String {
    index += 1
    var out = String.UnicodeScalarView()
    while let c = current {
      index += 1
      if c == quote { return String(out) }
      guard c == "\\" else {
        out.append(c)
        continue
      }
      guard let e = current else { break }
      index += 1
      switch e {
      case "n": out.append("\n")
      case "t": out.append("\t")
      case "r": out.append("\r")
      default: out.append(e)
      }
    }
    throw fail("unterminated string")
  }

  mutating func integer() throws -> Int {
    var text = ""
    if let c = current, c == "-" || c == "+" {
      text.unicodeScalars.append(c)
      index += 1
    }
    while let c = current, ("0"..."9").contains(c) {
      text.unicodeScalars.append(c)
      index += 1
    }
    if let c = current, c == "L" || c == "l" { index += 1 }
    guard let value = Int(text) else { throw fail("integer '\(text)' is not a valid 64-bit integer") }
    return value
  }

  /// A tuple `( … )` or list `[ … ]`. As in Python, `(x)` without a comma is just `x`.
  mutating func sequence(close: Unicode.Scalar, depth: Int) throws -> PythonLiteral {
    index += 1
    var items: [PythonLiteral] = []
    var sawComma = false
    while true {
      skipSpace()
      if current == close {
        index += 1
        break
      }
      items.append(try value(depth: depth + 1))
      skipSpace()
      if current == "," {
        index += 1
        sawComma = true
      } else if current != close {
        throw fail("expected ',' or '\(close)'")
      }
    }
    if close == "]" { return .list(items) }
    return items.count == 1 && !sawComma ? items[0] : .tuple(items)
  }

  mutating func dict(depth: Int) throws -> PythonLiteral {
    index += 1
    var keys: [String] = []
    var values: [PythonLiteral] = []
    while true {
      skipSpace()
      if current == "}" {
        index += 1
        return .dict(keys: keys, values: values)
      }
      guard let q = current, q == "'" || q == "\"" else { throw fail("expected a string key") }
      let key = try string(quote: q)
      skipSpace()
      guard current == ":" else { throw fail("expected ':'") }
      index += 1
      skipSpace()
      keys.append(key)
      values.append(try value(depth: depth + 1))
      skipSpace()
      if current == "," {
        index += 1
      } else if current != "}" {
        throw fail("expected ',' or '}'")
      }
    }
  }
}
