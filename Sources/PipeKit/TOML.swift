/// A TOML 1.0 reader that produces the project's `JSON` value.
///
/// The document becomes a `.object` whose keys keep the order they were written in. Tables and
/// inline tables become objects, arrays and arrays of tables become arrays, strings and booleans
/// map as they are. Integers (decimal, hex, octal, binary) become `.number` in decimal. Floats
/// become `.number` with their text minus `_` and a leading `+`; `inf`, `+inf`, `-inf` and `nan`
/// (any sign), which JSON cannot hold, become `.string("inf")`, `.string("-inf")` and
/// `.string("nan")`. Offset date-times, local date-times, dates and times become `.string` of
/// their text as written.
public enum TOML {
  /// Parses a TOML 1.0 document.
  ///
  /// - Throws: `TOMLError` at the first syntax error, or when a key or table is defined twice.
  public static func parse(_ text: String) throws(TOMLError) -> JSON {
    var parser = TOMLParser(text)
    return try parser.parseDocument()
  }
}

/// Why a text is not a TOML 1.0 document, with the line and column (1-based, counted in Unicode
/// scalars) where reading stopped.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public var message: String

  public init(line: Int, column: Int, message: String) {
    self.line = line
    self.column = column
    self.message = message
  }

  /// `line 3, column 7: expected '=' after key`.
  public var description: String { "line \(line), column \(column): \(message)" }
}

/// A table under construction, remembering how it came to be so that redefinitions are caught.
final class TOMLTable {
  enum Origin: Equatable {
    /// Created only as a parent by a header such as `[a.b]` (for `a`); a later `[a]` may define it.
    case implicit
    /// Defined by a `[header]`, or an element of an array of tables; closed to dotted keys.
    case header
    /// Created by a dotted key (`a.b = 1`) in the given header section; closed to headers.
    case dotted(section: Int)
  }

  enum Entry {
    case value(JSON)
    case table(TOMLTable)
    case tables([TOMLTable])
  }

  var origin: Origin
  private(set) var keys: [String] = []
  private(set) var entries: [String: Entry] = [:]

  init(origin: Origin) { self.origin = origin }

  subscript(key: String) -> Entry? {
    get { entries[key] }
    set {
      if entries.updateValue(newValue!, forKey: key) == nil { keys.append(key) }
    }
  }

  var json: JSON {
    var object = JSONObject()
    for key in keys {
      switch entries[key]! {
      case .value(let value): object[key] = value
      case .table(let table): object[key] = table.json
      case .tables(let tables): object[key] = .array(tables.map(\.json))
      }
    }
    return .object(object)
  }
}

/// A possibly dotted key with the position of each part, for error messages.
struct TOMLKey {
  var parts: [String] = []
  var positions: [Int] = []

  /// The first `count` parts joined with dots (`a.b`); quoting is not restored.
  func path(_ count: Int) -> String { parts.prefix(count).joined(separator: ".") }
}

extension TOMLParser {
  mutating func parseDocument() throws(TOMLError) -> JSON {
    if current == "\u{FEFF}" { index += 1 }
    let root = TOMLTable(origin: .header)
    var table = root
    var path: [String] = []
    while true {
      skipSpaces()
      guard let c = current else { break }
      if c == "#" {
        try skipComment()
      } else if try skipNewline() {
        continue
      } else if c == "[" {
        (table, path) = try parseHeader(root: root)
        try expectLineEnd("after the table header")
      } else {
        let key = try parseKey()
        guard current == "=" else { throw error("expected '=' after key") }
        index += 1
        skipSpaces()
        let value = try parseValue()
        try insert(value, at: key, into: table, under: path, section: section)
        try expectLineEnd("after the value")
      }
    }
    return root.json
  }

  /// Reads `[a.b]` or `[[a.b]]` and returns the table that the following keys go into, and its
  /// path.
  mutating func parseHeader(root: TOMLTable) throws(TOMLError) -> (TOMLTable, [String]) {
    index += 1
    let isArray = current == "["
    if isArray { index += 1 }
    let key = try parseKey()
    guard current == "]" else { throw error("expected ']' after the table name, found \(describe(current))") }
    index += 1
    if isArray {
      guard current == "]" else { throw error("expected ']]' to close the array-of-tables header") }
      index += 1
    }
    section += 1
    var table = root
    for (n, part) in key.parts.enumerated() {
      let name = key.path(n + 1)
      let isLast = n == key.parts.count - 1
      let position = key.positions[n]
      switch table[part] {
      case nil:
        let created = TOMLTable(origin: isLast ? .header : .implicit)
        table[part] = isLast && isArray ? .tables([created]) : .table(created)
        table = created
      case .table(let existing):
        if isLast && isArray { throw error("cannot define [[\(name)]]: '\(name)' is already a table", at: position) }
        if isLast {
          guard existing.origin == .implicit else {
            throw error("table [\(name)] is defined more than once", at: position)
          }
          existing.origin = .header
        }
        table = existing
      case .tables(let list):
        if isLast && !isArray { throw error("cannot define [\(name)]: '\(name)' is an array of tables", at: position) }
        if isLast {
          let created = TOMLTable(origin: .header)
          table[part] = .tables(list + [created])
          table = created
        } else {
          table = list[list.count - 1]
        }
      case .value(let value):
        throw error("cannot define table '\(key.path(key.parts.count))': '\(name)' is \(kind(value))", at: position)
      }
    }
    return (table, key.parts)
  }

  /// Stores `value` under a possibly dotted `key` in `table`, creating the tables that dotted
  /// keys name. `path` is the table's own path, for messages; `section` counts headers, so dotted
  /// tables stay closed after their section.
  mutating func insert(
    _ value: JSON, at key: TOMLKey, into table: TOMLTable, under path: [String] = [], section: Int
  ) throws(TOMLError) {
    var table = table
    for n in 0..<key.parts.count - 1 {
      let name = (path + key.parts.prefix(n + 1)).joined(separator: ".")
      let position = key.positions[n]
      switch table[key.parts[n]] {
      case nil:
        let created = TOMLTable(origin: .dotted(section: section))
        table[key.parts[n]] = .table(created)
        table = created
      case .table(let existing):
        switch existing.origin {
        case .header:
          throw error("cannot add to table [\(name)] with a dotted key: it is defined by a header", at: position)
        case .dotted(let defined) where defined != section:
          throw error("cannot add to table '\(name)' outside the section that defined it", at: position)
        case .implicit:
          existing.origin = .dotted(section: section)
        case .dotted:
          break
        }
        table = existing
      case .tables:
        throw error("cannot add to array of tables '\(name)' with a dotted key", at: position)
      case .value(let value):
        throw error("cannot add to '\(name)': it is \(kind(value))", at: position)
      }
    }
    let last = key.parts[key.parts.count - 1]
    guard table[last] == nil else {
      let name = (path + key.parts).joined(separator: ".")
      throw error("duplicate key '\(name)'", at: key.positions[key.parts.count - 1])
    }
    table[last] = .value(value)
  }

  private func kind(_ value: JSON) -> String {
    switch value {
    case .object: "an inline table, which cannot be extended"
    case .array: "an array, which cannot be extended"
    default: "already a value"
    }
  }
}
