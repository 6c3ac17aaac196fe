import PipeHTTP

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

/// What may stand as one requirement on an installer's command line: checked before venv-make
/// hands a `requirement` record's `spec` to uv or pip, so that nothing from a record or a config
/// can be read as an option (`--index-url=…`, `-e`, `-r`, `--target`).
public enum RequirementSpec {
  /// The schemes a bare VCS URL may have after `git+`, `hg+`, `svn+` or `bzr+`.
  static let vcsSchemes: Set<String> = ["http", "https", "ssh", "file", "git"]

  /// Why `text` is not a requirement, or `nil` when it is one: a PEP 508 requirement
  /// (`name[extras] specifiers ; marker`), a direct reference (`name @ scheme://…`), or a bare
  /// VCS URL (`git+https://…`, as pip and uv accept it). An option never is one: nothing that
  /// starts with `-`, and nothing with a line break or another control character in it.
  public static func problem(_ text: String) -> String? {
    let spec = text.trimmingASCIIWhitespace()
    if spec.isEmpty { return "a requirement cannot be empty" }
    if spec.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
      return "a requirement cannot contain a line break or another control character"
    }
    if spec.hasPrefix("-") {
      return "'\(spec)' is an installer option, not a requirement; give a requirement such as numpy>=1.26"
    }
    if let plus = spec.firstIndex(of: "+"), ["git", "hg", "svn", "bzr"].contains(spec[..<plus]) {
      let url = String(spec[spec.index(after: plus)...])
      guard let scheme = URLText.scheme(of: url), vcsSchemes.contains(scheme) else {
        return "'\(spec)' is not a VCS URL such as git+https://host/repo.git@tag"
      }
      if spec.contains(where: { $0 == " " || $0 == "\t" }) { return "a VCS URL cannot contain spaces: '\(spec)'" }
      return nil
    }
    do {
      let requirement = try Requirement(spec)
      if let url = requirement.url, URLText.scheme(of: url) == nil {
        return "'\(url)' in '\(spec)' is not a URL such as https://host/x.whl or file:///path/x.whl"
      }
      return nil
    } catch {
      return error.message
    }
  }

  /// Whether `name` is a project name per PEP 508 (so, among other things, never an option).
  public static func isProjectName(_ name: String) -> Bool { isValidProjectName(name) }
}

/// Whether `name` is a valid project name per PEP 508: ASCII letters and digits, with `.`, `_`
/// and `-` allowed inside.
public func isValidProjectName(_ name: String) -> Bool {
  guard let first = name.first, let last = name.last else { return false }
  let alnum: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
  return alnum(first) && alnum(last) && name.allSatisfy { alnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
}

/// The PEP 503 normalised form of a project name: lowercase, each run of `-`, `_` and `.`
/// replaced by one `-`.
public func normalizedProjectName(_ name: String) -> String {
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
