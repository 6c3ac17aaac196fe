/// One clause of a PEP 440 version specifier: `>=1.2`, `~=2.2.0`, `==1.2.*`, `!=1.3+local`, `===foo`.
///
/// `matches(_:)` applies the operator alone; the pre-release policy lives in
/// `PEP440SpecifierSet.contains(_:allowPrereleases:)`.
struct PEP440Specifier: Sendable, Hashable, CustomStringConvertible {
  enum Operator: String, Sendable, CaseIterable {
    case compatible = "~="
    case equal = "=="
    case notEqual = "!="
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case less = "<"
    case greater = ">"
    case arbitrary = "==="
  }

  var op: Operator
  /// The version text after the operator, trimmed (for `==1.2.*` it is `1.2.*`).
  var versionText: String
  /// The parsed version (for a wildcard, the prefix before `.*`); `nil` only for `===` with text
  /// that is not a PEP 440 version.
  var version: PEP440Version?
  /// `==V.*` or `!=V.*`.
  var isWildcard: Bool

  /// Parses one clause. Enforces PEP 440's restrictions: `.*` only after a release with `==`/`!=`,
  /// local labels only with `==`/`!=`, and at least two release segments with `~=`.
  init(_ text: String) throws(PEP440Error) {
    let clause = text.trimmingPythonWhitespace()
    func fail(_ reason: String) -> PEP440Error { PEP440Error(message: "invalid specifier '\(clause)': \(reason)") }
    guard
      let op = Operator.allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count })
        .first(where: { clause.hasPrefix($0.rawValue) })
    else { throw fail("expected an operator (~=, ==, !=, <=, >=, <, >, ===)") }
    self.op = op
    versionText = String(clause.dropFirst(op.rawValue.count)).trimmingPythonWhitespace()
    isWildcard = versionText.hasSuffix(".*")
    if versionText.isEmpty { throw fail("missing version") }
    if versionText.containsPythonWhitespace || versionText.contains(where: { $0 == ";" || $0 == ")" }) {
      throw fail("unexpected character in version '\(versionText)'")
    }
    if op == .arbitrary {
      version = try? PEP440Version(versionText)
      return
    }
    let parsed: PEP440Version
    do {
      parsed = try PEP440Version(isWildcard ? String(versionText.dropLast(2)) : versionText)
    } catch {
      throw fail(error.message)
    }
    version = parsed
    if isWildcard {
      guard op == .equal || op == .notEqual else { throw fail("'.*' is only allowed with == and !=") }
      guard parsed.pre == nil, parsed.post == nil, parsed.dev == nil, parsed.local == nil else {
        throw fail("'.*' must follow a release segment")
      }
    }
    if parsed.local != nil, op != .equal, op != .notEqual {
      throw fail("a local version label is only allowed with == and !=")
    }
    if op == .compatible, parsed.release.count < 2 {
      throw fail("~= needs at least two release segments")
    }
  }

  /// The clause with its version normalised (`>= 1.0-1` → `>=1.0.post1`).
  var description: String {
    guard op != .arbitrary, let version else { return op.rawValue + versionText }
    return op.rawValue + version.description + (isWildcard ? ".*" : "")
  }

  /// Whether the clause itself names a pre-release, which lets the set admit pre-releases.
  /// `!=` and wildcards never do.
  var mentionsPrerelease: Bool {
    guard op != .notEqual, !isWildcard else { return false }
    return version?.isPrerelease ?? false
  }

  /// Whether `candidate` satisfies the operator, ignoring the pre-release policy.
  func matches(_ candidate: PEP440Version) -> Bool {
    // PEP 440: `===` compares the candidate's version string as written, not normalised.
    if op == .arbitrary { return (candidate.written ?? candidate.description).lowercased() == versionText.lowercased() }
    guard let v = version else { return false }
    switch op {
    case .arbitrary:
      return false
    case .equal, .notEqual:
      let equal: Bool
      if isWildcard {
        let base = PEP440Version(epoch: v.epoch, release: v.release)
        equal = candidate >= base.devZero && candidate < base.nextPrefixDevZero
      } else if v.local != nil {
        equal = candidate == v
      } else {
        equal = candidate.publicVersion == v
      }
      return equal == (op == .equal)
    case .compatible:
      let prefix = PEP440Version(epoch: v.epoch, release: Array(v.release.dropLast()))
      return candidate >= v && candidate < prefix.nextPrefixDevZero
    case .greaterOrEqual:
      return candidate >= v
    case .lessOrEqual:
      return candidate.publicVersion <= v
    case .less:
      // `<V` excludes V's own pre-releases unless V is one: below V.dev0 when V is final or post.
      var bound = v
      if !v.isPrerelease { bound.dev = 0 }
      return candidate < bound
    case .greater:
      // `>V` excludes V's post-releases (and V+local) unless V is itself a post or dev release.
      if let dev = v.dev {
        var next = v
        next.dev = dev + 1
        return candidate >= next
      }
      if let post = v.post {
        var next = v
        next.post = post + 1
        next.dev = 0
        return candidate >= next
      }
      let sameRelease =
        candidate.epoch == v.epoch && candidate.trimmedRelease == v.trimmedRelease && candidate.pre == v.pre
      return candidate > v && !(sameRelease && (candidate.dev == nil || candidate.post != nil))
    }
  }
}

extension PEP440Version {
  /// The earliest version of this release: `1.2` → `1.2.dev0`.
  fileprivate var devZero: PEP440Version { PEP440Version(epoch: epoch, release: release, dev: 0) }

  /// The earliest version after every version starting with this release: `1.2` → `1.3.dev0`.
  fileprivate var nextPrefixDevZero: PEP440Version {
    var next = release
    next[next.count - 1] += 1
    return PEP440Version(epoch: epoch, release: next, dev: 0)
  }
}

/// A comma-separated PEP 440 specifier set such as `>=1.2,<2,!=1.5.*`; empty text matches every
/// version.
struct PEP440SpecifierSet: Sendable, Hashable, CustomStringConvertible {
  var specifiers: [PEP440Specifier]

  init(_ specifiers: [PEP440Specifier]) { self.specifiers = specifiers }

  init(_ text: String) throws(PEP440Error) {
    let trimmed = text.trimmingPythonWhitespace()
    specifiers = []
    guard !trimmed.isEmpty else { return }
    for clause in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
      specifiers.append(try PEP440Specifier(String(clause)))
    }
  }

  /// The clauses, normalised and joined with `,`.
  var description: String { specifiers.map(\.description).joined(separator: ",") }

  /// Whether any clause names a pre-release (`>=2.0b1`), which admits pre-releases.
  var mentionsPrerelease: Bool { specifiers.contains(where: \.mentionsPrerelease) }

  /// Whether `version` satisfies every clause. Pre-releases (and dev releases) are excluded unless
  /// `allowPrereleases` is true, or it is `nil` and a clause names a pre-release.
  func contains(_ version: PEP440Version, allowPrereleases: Bool? = nil) -> Bool {
    if version.isPrerelease, !(allowPrereleases ?? mentionsPrerelease) { return false }
    return specifiers.allSatisfy { $0.matches(version) }
  }

  /// The items whose version satisfies the set, in their order. With `allowPrereleases` `nil`, PEP
  /// 440's default applies: pre-releases are kept only when no final release matches.
  func filter<Item>(
    _ items: some Sequence<Item>, allowPrereleases: Bool? = nil, version: (Item) -> PEP440Version
  ) -> [Item] {
    var finals: [Item] = []
    var prereleases: [Item] = []
    let allow = allowPrereleases ?? mentionsPrerelease
    for item in items {
      let v = version(item)
      guard specifiers.allSatisfy({ $0.matches(v) }) else { continue }
      if !v.isPrerelease || allow {
        finals.append(item)
      } else if allowPrereleases == nil {
        prereleases.append(item)
      }
    }
    return finals.isEmpty ? prereleases : finals
  }
}
