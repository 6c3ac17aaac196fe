import Testing

@testable import WheelURL

/// (specifier set, candidate, matches), pre-releases allowed so that only the operators are tested.
/// Cases follow PEP 440's "Version specifiers" examples.
@Test(arguments: [
  // Compatible release: ~=2.2 is >=2.2,==2.*; ~=1.4.5 is >=1.4.5,==1.4.*.
  ("~=2.2", "2.2", true), ("~=2.2", "2.3", true), ("~=2.2", "2.9.1", true), ("~=2.2", "3.0", false),
  ("~=2.2", "2.1", false), ("~=2.2", "3.0.dev0", false), ("~=1.4.5", "1.4.5", true), ("~=1.4.5", "1.4.9", true),
  ("~=1.4.5", "1.5.0", false), ("~=2.2.post3", "2.2.post3", true), ("~=2.2.post3", "2.3", true),
  ("~=2.2.post3", "2.2", false), ("~=2.2.post3", "3.0", false), ("~=1.4.5a4", "1.4.5a4", true),
  ("~=1.4.5a4", "1.4.5", true), ("~=1.4.5a4", "1.4.6", true), ("~=1.4.5a4", "1.5.0", false),
  ("~=2.2.0", "2.2.1", true), ("~=2.2.0", "2.3", false), ("~=1.4.5.0", "1.4.5.9", true), ("~=1.4.5.0", "1.4.6", false),
  ("~=1!1.0", "1!1.5", true), ("~=1!1.0", "1.5", false), ("~=2.2", "2.2+local", true),
  // Version matching: given 1.1.post1, ==1.1 and ==1.1.0 do not match, ==1.1.post1 and ==1.1.* do.
  ("==1.1", "1.1.post1", false), ("==1.1.post1", "1.1.post1", true), ("==1.1.*", "1.1.post1", true),
  ("==1.1", "1.1.0", true), ("==1.1.0", "1.1", true), ("==1.1", "1.1a1", false), ("==1.1a1", "1.1a1", true),
  ("==1.1.*", "1.1a1", true), ("==1.1.*", "1.10", false), ("==1.1.*", "1.1.5", true), ("==1.1.*", "1.2", false),
  ("==1.0.0.*", "1.0", true), ("==1.*", "1.99.post1+x", true), ("==1.1.*", "1.1.dev0", true),
  ("==1!1.*", "1.1", false), ("==1!1.*", "1!1.2", true), ("==v1.1", "1.1", true),
  // Local labels: a public specifier ignores the candidate's label; a local one must match exactly.
  ("==1.1", "1.1+cu128", true), ("==1.1+cu128", "1.1+cu128", true), ("==1.1+cu128", "1.1", false),
  ("==1.1+cu128", "1.1+cu126", false), ("==1.1+abc.7", "1.1+abc.007", true), ("==1.1+cu128", "1.1+cu128.1", false),
  // Version exclusion: given 1.1.post1, !=1.1 matches, !=1.1.post1 and !=1.1.* do not.
  ("!=1.1", "1.1.post1", true), ("!=1.1.post1", "1.1.post1", false), ("!=1.1.*", "1.1.post1", false),
  ("!=1.1", "1.1+local", false), ("!=1.1+a", "1.1+b", true), ("!=1.1.*", "1.2", true),
  // Inclusive ordered comparison.
  ("<=2.0", "2.0", true), ("<=2.0", "2.0+local", true), ("<=2.0", "1.9", true), ("<=2.0", "2.0.post1", false),
  (">=2.0", "2.0", true), (">=2.0", "2.0+local", true), (">=2.0", "2.0rc1", false), (">=2.0", "1.9.9", false),
  // Exclusive ordered comparison: <V admits no pre-release of V, >V no post-release (or local) of V.
  ("<3.0", "2.9", true), ("<3.0", "2.99a1", true), ("<3.0", "3.0a1", false), ("<3.0", "3.0.dev0", false),
  ("<3.0", "3.0", false), ("<3.0rc1", "3.0b1", true), ("<3.0rc1", "3.0rc1", false), ("<3.0.post1", "3.0", true),
  ("<3.0.post1", "3.0a1", true), ("<0.1", "0.0.9+local", true),
  (">1.7", "1.7.1", true), (">1.7", "1.7.0.post1", false), (">1.7", "1.7+local", false), (">1.7", "1.7", false),
  (">1.7.post2", "1.7.1", true), (">1.7.post2", "1.7.0.post3", true), (">1.7.post2", "1.7.0", false),
  (">1.7.post2", "1.7.post2+local", false), (">1.7.post2", "1.7.post3.dev0", true), (">1.0a1", "1.0a2", true),
  (">1.0a1", "1.0a1.post1", false), (">1.0a1", "1.0", true), (">1.0.dev1", "1.0.dev2", true),
  (">1.0.dev1", "1.0", true), (">1.0.dev1", "1.0.post1", true), (">1.0.dev1", "1.0.dev1+local", false),
  // Arbitrary equality compares the text.
  ("===1.0", "1.0", true), ("===1.0", "1.0.0", false), ("===1.0+Local", "1.0+local", true), ("===foobar", "1.0", false),
  // Sets: every clause must match.
  (">=1.2,<2", "1.5", true), (">=1.2,<2", "2.0", false), (">=1.2,<2", "1.1", false), (">= 1.2 , < 2 ", "1.9", true),
  (">=1.0,!=1.5.*,<2", "1.5.3", false), (">=1.0,!=1.5.*,<2", "1.6", true), ("", "7.0", true),
])
func matchesSpecifier(spec: String, candidate: String, expected: Bool) throws {
  let set = try PEP440SpecifierSet(spec)
  #expect(set.contains(try PEP440Version(candidate), allowPrereleases: true) == expected)
}

/// Pre-releases are excluded unless a clause names one or the caller allows them.
@Test(arguments: [
  // specifier set, candidate, default, allowPrereleases: true, allowPrereleases: false
  (">=1.0", "2.0a1", false, true, false), (">=1.0", "2.0", true, true, true), (">=1.0a1", "2.0b1", true, true, false),
  (">=1.0.dev0", "1.5.dev1", true, true, false), (">=1.0,!=1.5a1", "2.0a1", false, true, false),
  (">=1.0a1,<2", "1.5b1", true, true, false), ("==1.1.*", "1.1a1", false, true, false),
  ("<3.0", "2.9rc1", false, true, false), ("", "1.0a1", false, true, false), ("==2.0rc1", "2.0rc1", true, true, false),
  ("~=1.4.5a4", "1.4.5b1", true, true, false), (">=1.0", "1.0.post1", true, true, true),
  (">=1.0", "1.1+local", true, true, true),
])
func appliesPrereleasePolicy(spec: String, candidate: String, byDefault: Bool, allowed: Bool, refused: Bool) throws {
  let set = try PEP440SpecifierSet(spec)
  let version = try PEP440Version(candidate)
  #expect(set.contains(version) == byDefault)
  #expect(set.contains(version, allowPrereleases: true) == allowed)
  #expect(set.contains(version, allowPrereleases: false) == refused)
}

/// PEP 440: pre-releases are accepted when they are the only versions that match.
@Test(
  arguments: [
    (">=1.0", ["0.9", "1.0a1", "1.1b2"], nil, ["1.1b2"]),
    (">=1.0", ["1.0", "1.1b2", "1.2"], nil, ["1.0", "1.2"]),
    (">=1.0", ["0.9", "1.1b2"], false, []),
    (">=1.0", ["1.0", "1.1b2"], true, ["1.0", "1.1b2"]),
    (">=1.0b1", ["1.0b2", "1.1"], nil, ["1.0b2", "1.1"]),
    ("", ["2.0.dev1", "1.0"], nil, ["1.0"]),
    ("<1", ["1.0", "2.0"], nil, []),
  ] as [(String, [String], Bool?, [String])])
func filtersCandidates(spec: String, candidates: [String], allow: Bool?, expected: [String]) throws {
  let set = try PEP440SpecifierSet(spec)
  let versions = try candidates.map { try PEP440Version($0) }
  #expect(set.filter(versions, allowPrereleases: allow) { $0 }.map(\.description) == expected)
}

@Test(arguments: [
  "1.0", "==", "=1.0", "=>1.0", "~=1", "~=1.0.*", "~=1.0+local", ">=1.0.*", "<1.0+local", "<=1.0+local",
  "==1.0a1.*", "==1.0.post1.*", "==1.0+local.*", "==1.*.*", ">=1.0,,<2", ">=1.0,", "==1.0 extra", ">=notaversion",
  "=== a b", "!=1.0+",
])
func rejectsInvalidSpecifier(spec: String) {
  #expect(throws: PEP440Error.self) { try PEP440SpecifierSet(spec) }
}

@Test(arguments: [
  (">= 1.0-1", ">=1.0.post1"), ("==1.2.*", "==1.2.*"), ("~=2.2.0", "~=2.2.0"), (" >=1.2 , <2 ", ">=1.2,<2"),
  ("===Foo", "===Foo"), ("!=v1.0RC1", "!=1.0rc1"), ("", ""), ("==1.0+Local_1", "==1.0+local.1"),
])
func normalisesSpecifierText(spec: String, normalised: String) throws {
  #expect(try PEP440SpecifierSet(spec).description == normalised)
}

@Test func readsOperatorAndVersion() throws {
  let spec = try PEP440Specifier(" == 1.2.* ")
  #expect(spec.op == .equal)
  #expect(spec.isWildcard)
  #expect(spec.version?.description == "1.2")
  #expect(spec.versionText == "1.2.*")
  #expect(try PEP440Specifier("===weird").version == nil)
}

/// PEP 440: `===` compares the candidate's version string as written (case-insensitively), never
/// the normalised version, so `1.01` is not `1.1` and `v1.0` is not `1.0` under `===`.
@Test(arguments: [
  ("===1.01", "1.01", true), ("===1.1", "1.01", false), ("===1.0", "v1.0", false), ("===V1.0", "v1.0", true),
  ("===1.0RC1", "1.0rc1", true), ("===1.0rc1", "1.0c1", false), ("===1.0-1", "1.0.post1", false),
  ("===1.0", " 1.0", false),
])
func comparesArbitraryEqualityAsWritten(spec: String, candidate: String, expected: Bool) throws {
  let set = try PEP440SpecifierSet(spec)
  #expect(set.contains(try PEP440Version(candidate), allowPrereleases: true) == expected)
}

/// packaging strips what Python's `str.strip()` strips (Unicode whitespace, `\f`, `\v`) around a
/// specifier and between its operator and version.
@Test(arguments: [
  ("\u{202F}>=1.0", ">=1.0"), (">=1.0\u{2029}", ">=1.0"), ("\u{0C}==1.0\u{0B}", "==1.0"),
  (">=\u{202F}1.0", ">=1.0"), (">=1,\u{202F}<2", ">=1,<2"), (">=1,\u{0C}<2\u{3000}", ">=1,<2"),
  ("\u{85}===1.0\u{A0}", "===1.0"), ("\u{1C}~=1.2\u{1F}", "~=1.2"),
])
func stripsUnicodeWhitespaceAroundSpecifiers(spec: String, normalised: String) throws {
  #expect(try PEP440SpecifierSet(spec).description == normalised)
}

/// Whitespace inside the version is still refused, Unicode or not; a zero-width space is not
/// whitespace to Python, so it is refused where it stands.
@Test(arguments: ["==1.0\u{202F}1", "===a\u{2029}b", "\u{200B}>=1.0", ">=1.0\u{200B}"])
func refusesWhitespaceInsideTheVersion(spec: String) {
  #expect(throws: PEP440Error.self) { try PEP440SpecifierSet(spec) }
}
