/// A PEP 508 requirement in its common forms: `name[extra,…] specifiers ; marker`, with the
/// specifiers optionally in parentheses, or `name[extra,…] @ url ; marker`.
///
/// The marker is kept as written and not evaluated.
struct Requirement: Sendable, Hashable {
  /// The project name normalised per PEP 503 (`Foo.Bar_baz` → `foo-bar-baz`).
  var name: String
  /// The extras, normalised like names, in the order written and without repeats.
  var extras: [String]
  /// The specifier text as written (trimmed, without parentheses); empty when there is none.
  var specifierText: String
  var specifiers: PEP440SpecifierSet
  /// The direct reference after `@`, or `nil`.
  var url: String?
  /// The environment marker after `;`, trimmed, or `nil`.
  var marker: String?

  init(_ text: String) throws(PEP440Error) {
    let line = text.trimmingASCIIWhitespace()
    func fail(_ reason: String) -> PEP440Error { PEP440Error(message: "invalid requirement '\(line)': \(reason)") }
    var rest = Substring(line)

    let nameEnd = rest.firstIndex { !($0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0))) }
    let rawName = rest[..<(nameEnd ?? rest.endIndex)]
    guard isValidProjectName(String(rawName)) else { throw fail("expected a project name") }
    name = normalizedProjectName(String(rawName))
    rest = rest[rawName.endIndex...].drop { $0 == " " || $0 == "\t" }

    extras = []
    if rest.first == "[" {
      guard let close = rest.firstIndex(of: "]") else { throw fail("missing ']' after extras") }
      let inner = String(rest[rest.index(after: rest.startIndex)..<close]).trimmingASCIIWhitespace()
      for part in inner.split(separator: ",", omittingEmptySubsequences: false) where !inner.isEmpty {
        let extra = String(part).trimmingASCIIWhitespace()
        guard isValidProjectName(extra) else { throw fail("invalid extra '\(extra)'") }
        let normalized = normalizedProjectName(extra)
        if !extras.contains(normalized) { extras.append(normalized) }
      }
      rest = rest[rest.index(after: close)...].drop { $0 == " " || $0 == "\t" }
    }

    marker = nil
    url = nil
    if rest.first == "@" {
      // PEP 508: after a URL, the marker's ';' must follow whitespace.
      let body = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
      let urlEnd = body.firstIndex { $0 == " " || $0 == "\t" } ?? body.endIndex
      guard urlEnd > body.startIndex else { throw fail("missing URL after '@'") }
      url = String(body[..<urlEnd])
      rest = body[urlEnd...].drop { $0 == " " || $0 == "\t" }
      guard rest.isEmpty || rest.first == ";" else { throw fail("unexpected text after the URL") }
    }
    if let semicolon = rest.firstIndex(of: ";") {
      let text = String(rest[rest.index(after: semicolon)...]).trimmingASCIIWhitespace()
      guard !text.isEmpty else { throw fail("empty marker after ';'") }
      marker = text
      rest = rest[..<semicolon]
    }

    var spec = String(rest).trimmingASCIIWhitespace()
    if spec.hasPrefix("(") {
      guard spec.hasSuffix(")") else { throw fail("missing ')' after the specifiers") }
      spec = String(spec.dropFirst().dropLast()).trimmingASCIIWhitespace()
    }
    if url != nil, !spec.isEmpty { throw fail("a URL requirement cannot have version specifiers") }
    specifierText = spec
    do {
      specifiers = try PEP440SpecifierSet(spec)
    } catch {
      throw fail(error.message)
    }
  }
}

/// Whether `name` is a valid project name per PEP 508: ASCII letters and digits, with `.`, `_`
/// and `-` allowed inside.
func isValidProjectName(_ name: String) -> Bool {
  guard let first = name.first, let last = name.last else { return false }
  let alnum: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
  return alnum(first) && alnum(last) && name.allSatisfy { alnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
}

/// The PEP 503 normalised form of a project name: lowercase, each run of `-`, `_` and `.`
/// replaced by one `-`.
func normalizedProjectName(_ name: String) -> String {
  var out = ""
  var inRun = false
  for c in name.lowercased() {
    if c == "-" || c == "_" || c == "." {
      if !inRun { out.append("-") }
      inRun = true
    } else {
      out.append(c)
      inRun = false
    }
  }
  return out
}
