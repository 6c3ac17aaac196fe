import PipeKit
import Testing

/// PipeKit's TOML reader (what reads comfy-env.toml) held to Python's `tomllib` on generated
/// documents (tables by header, dotted key and inline table, arrays of tables, every string and
/// integer form, floats) and on the same documents broken by one edit: both refuse, or both
/// read the same values.
@Suite(.enabled(if: Differential.hasTomllib, Differential.tomlSkipReason))
struct DifferentialTOMLTests {
  static let keys = ["a", "b", "key", "x-y", "x_y", "1", "ö", "with space", "dot.ted", "quo\"te", "A", "é", "", "true"]

  static func quoted(_ key: String, _ g: inout SeededGenerator) -> String {
    let bare =
      !key.isEmpty
      && key.unicodeScalars.allSatisfy {
        ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_"
      }
    if bare && g.chance(0.8) { return key }
    if !key.contains("'") && g.chance(0.5) { return "'\(key)'" }
    return JSON.string(key).serialized
  }

  static func scalar(_ g: inout SeededGenerator, depth: Int = 0) -> String {
    switch g.int(0...9) {
    case 0: return g.pick(["0", "+7", "-17", "1_000", "9223372036854775807", "-9223372036854775808", "042", "1__0"])
    case 1: return g.pick(["0xDEADbeef", "0o755", "0b1101", "0x_1", "0o8", "0xffff_ffff"])
    case 2: return g.pick(["3.14", "-0.5", "1e3", "6.626e-34", "1_0.2_5", "-2E+2", "0.0", "+1.5", "1.", ".5", "1e"])
    case 3: return g.pick(["true", "false", "True"])
    case 4:
      return g.pick([
        #""plain""#, #""é ü 数据""#, #""tab\tq\"b\\s""#, #""nl\nline""#, #""\u00e9\U0001F600""#, #""bad \x""#,
        #""emoji 😀""#, #""\u0001""#, "\"raw\ttab\"", #""\uD800""#,
      ])
    case 5: return g.pick([#"'C:\path'"#, #"'<\i\c*>'"#, "''", "'it''s'"])
    case 6:
      return g.pick([
        "\"\"\"\nline one\nline two\"\"\"", "\"\"\"a \\\n   b\"\"\"", "'''\nraw \\n'''", "\"\"\"q\"\"x\"\"\"",
        "'''it''s'''", "\"\"\"four\"\"\"\"\"",
      ])
    default:
      guard depth < 2 else { return "1" }
      if g.chance(0.5) {
        let items = (0..<g.int(0...3)).map { _ in scalar(&g, depth: depth + 1) }
        let trailing = !items.isEmpty && g.chance(0.3) ? "," : ""
        return "[" + items.joined(separator: g.pick([",", ", ", ",\n  ", " ,"])) + trailing + "]"
      }
      var used: Set<String> = []
      var parts: [String] = []
      for _ in 0..<g.int(0...3) {
        let k = g.pick(keys)
        guard used.insert(k).inserted else { continue }
        parts.append("\(quoted(k, &g)) = \(scalar(&g, depth: depth + 1))")
      }
      return "{" + parts.joined(separator: ", ") + "}"
    }
  }

  /// Key/value lines for one table: plain keys and, where `dotted`, two-part dotted keys.
  static func body(_ g: inout SeededGenerator) -> [String] {
    var used: Set<String> = []
    var lines: [String] = []
    for _ in 0..<g.int(0...4) {
      let k = g.pick(keys)
      guard used.insert(k).inserted else { continue }
      if g.chance(0.25) {
        var inner: Set<String> = []
        for _ in 0..<g.int(1...2) {
          let j = g.pick(keys)
          guard inner.insert(j).inserted else { continue }
          lines.append("\(quoted(k, &g)) . \(quoted(j, &g)) = \(scalar(&g))")
        }
      } else {
        lines.append("\(quoted(k, &g))\(g.pick(["=", " = ", "\t= "]))\(scalar(&g))\(g.chance(0.1) ? " # note" : "")")
      }
    }
    return lines
  }

  static func document(_ g: inout SeededGenerator) -> String {
    var lines = body(&g)
    var headers: Set<String> = []
    for _ in 0..<g.int(0...3) {
      let name = g.pick(["t", "server", "deps", "ö", "a b"])
      guard headers.insert(name).inserted else { continue }
      if g.chance(0.3) {
        for _ in 0..<g.int(1...2) {
          lines.append("[[\(quoted(name, &g))]]")
          lines += body(&g)
        }
      } else {
        let sub = g.chance(0.3) ? "." + quoted(g.pick(["x", "y"]), &g) : ""
        lines.append("[\(quoted(name, &g))\(sub)]")
        lines += body(&g)
      }
    }
    return lines.joined(separator: g.chance(0.1) ? "\r\n" : "\n") + "\n"
  }

  /// The document broken (or not) by one edit.
  static func mutated(_ text: String, _ g: inout SeededGenerator) -> String {
    var scalars = Array(text.unicodeScalars)
    guard !scalars.isEmpty else { return text }
    let at = g.int(0...scalars.count - 1)
    switch g.int(0...2) {
    case 0: scalars.remove(at: at)
    case 1: scalars.insert(g.pick(["=", "[", "]", "\"", "'", ".", ",", "#", "\n", " ", "\u{0}", "\u{7F}"]), at: at)
    default:
      let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      return (lines + [lines[g.int(0...lines.count - 1)]]).joined(separator: "\n")
    }
    return String(String.UnicodeScalarView(scalars))
  }

  /// tomllib's answer in the helper's tagged form, from the reader's JSON.
  static func tagged(_ value: JSON) -> JSON {
    switch value {
    case .number(let text):
      if let n = Int64(text) { return ["int": .string(String(n))] }
      return ["float": .string(text)]
    case .array(let items): return .array(items.map(tagged))
    case .object(let object):
      var pairs: [JSON] = []
      for (key, item) in object { pairs.append(.array([.string(key), tagged(item)])) }
      return ["table": .array(pairs)]
    default: return value
    }
  }

  /// Whether two tagged values agree, floats compared as numbers.
  static func same(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
    case (.object(let x), .object(let y)):
      if let fx = x["float"]?.stringValue, let fy = y["float"]?.stringValue { return Double(fx) == Double(fy) }
      guard let tx = x["table"]?.arrayValue, let ty = y["table"]?.arrayValue else { return a == b }
      // Key order is not part of TOML's data: compare as sorted pairs.
      func sorted(_ t: [JSON]) -> [JSON] {
        t.sorted { ($0.arrayValue?.first?.stringValue ?? "") < ($1.arrayValue?.first?.stringValue ?? "") }
      }
      return same(.array(sorted(tx)), .array(sorted(ty)))
    default: return a == b
    }
  }

  @Test func documentsReadAsTomllibReadsThem() throws {
    let seed = Differential.seed(default: 1_000)
    var g = SeededGenerator(seed: seed)
    var texts: [String] = []
    for _ in 0..<3000 {
      let text = Self.document(&g)
      texts.append(g.chance(0.4) ? Self.mutated(text, &g) : text)
    }
    let expected = try Differential.reference("toml", texts.map { .string($0) })
    var valid = 0
    for (text, answer) in zip(texts, expected) {
      let context = "seed \(seed): TOML \(JSON.string(text).serialized)"
      let ours = try? TOML.parse(text)
      guard let ours else {
        #expect(answer == .null, "\(context): refused, tomllib reads it")
        continue
      }
      guard let theirs = answer["ok"] else {
        Issue.record("\(context): read, tomllib refuses it")
        continue
      }
      valid += 1
      #expect(
        Self.same(Self.tagged(ours), theirs), "\(context): \(Self.tagged(ours).serialized) vs \(theirs.serialized)")
    }
    #expect(valid > 500, "seed \(seed): too few valid documents (\(valid)) to say much")
  }
}
