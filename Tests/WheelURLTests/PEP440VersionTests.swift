import Testing

@testable import WheelURL

/// Cases from PEP 440's "Normalization" section, plus the PEP's other spellings.
@Test(arguments: [
  ("1.1RC1", "1.1rc1"), ("1.0+UBUNTU", "1.0+ubuntu"),
  ("00", "0"), ("09000", "9000"), ("1.0001", "1.1"), ("1.0+foo0100", "1.0+foo0100"), ("1.0+0100", "1.0+100"),
  ("1.1.a1", "1.1a1"), ("1.1-a1", "1.1a1"), ("1.1_a1", "1.1a1"), ("1.0a.1", "1.0a1"), ("1.0a-1", "1.0a1"),
  ("1.1alpha1", "1.1a1"), ("1.1beta2", "1.1b2"), ("1.1c3", "1.1rc3"), ("1.1pre4", "1.1rc4"), ("1.1preview5", "1.1rc5"),
  ("1.2a", "1.2a0"), ("1.2-rc", "1.2rc0"),
  ("1.2-post2", "1.2.post2"), ("1.2post2", "1.2.post2"), ("1.2_post2", "1.2.post2"), ("1.2.post-2", "1.2.post2"),
  ("1.0-r4", "1.0.post4"), ("1.0-rev4", "1.0.post4"), ("1.0r4", "1.0.post4"),
  ("1.2.post", "1.2.post0"), ("1.2-post", "1.2.post0"), ("1.0-1", "1.0.post1"),
  ("1.2-dev2", "1.2.dev2"), ("1.2dev2", "1.2.dev2"), ("1.2_dev_2", "1.2.dev2"), ("1.2.dev", "1.2.dev0"),
  ("1.0+ubuntu-1", "1.0+ubuntu.1"), ("1.0+ubuntu_1", "1.0+ubuntu.1"), ("1.0+Ubuntu.01", "1.0+ubuntu.1"),
  ("v1.0", "1.0"), ("V1.0", "1.0"), (" 1.0\n", "1.0"), ("\t1.0 ", "1.0"),
  ("0!1.0", "1.0"), ("1!1.0", "1!1.0"), ("2014!2.0rc1.post2.dev3+local.7", "2014!2.0rc1.post2.dev3+local.7"),
  ("1.0a1.post1.dev1", "1.0a1.post1.dev1"), ("1.0.post1.dev1", "1.0.post1.dev1"), ("1.0RC1-1", "1.0rc1.post1"),
  ("0.4.0+cu124torch2.4", "0.4.0+cu124torch2.4"), ("2.8.3+cu12torch2.8cxx11abiTRUE", "2.8.3+cu12torch2.8cxx11abitrue"),
])
func normalisesVersion(input: String, normalised: String) throws {
  #expect(try PEP440Version(input).description == normalised)
}

@Test(arguments: [
  "", " ", "a", "1.0-", "1.0.", "1..0", ".1", "1.0+", "1.0+a..b", "1.0+_a", "1.0+a+b", "1.0+ü", "1!", "!1.0",
  "1.0a1b1", "1.0.post1.post2", "1.0 beta", "1.0dev1a1", "1.0.dev1.post1", "1.0-dev-post", "1.0 +local",
  "1.0beta.alpha", "1.0-local", "1.0_", "99999999999999999999999", "1.0+é",
])
func rejectsInvalidVersion(input: String) {
  #expect(throws: PEP440Error.self) { try PEP440Version(input) }
}

/// PEP 440's "Summary of permitted suffixes and relative ordering", with local versions placed as
/// the PEP specifies (after the public version, numbers after text, shorter before longer).
let orderedVersions = [
  "1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12", "1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456",
  "1.0b2.post345", "1.0rc1.dev456", "1.0rc1", "1.0", "1.0+abc", "1.0+abc.a", "1.0+abc.5", "1.0+abc.7", "1.0+5",
  "1.0+10", "1.0.post456.dev34", "1.0.post456", "1.0.15", "1.1.dev1", "1.1", "1!0.1",
]

@Test(arguments: zip(orderedVersions.dropLast(), orderedVersions.dropFirst()))
func ordersVersions(lower: String, higher: String) throws {
  let (a, b) = (try PEP440Version(lower), try PEP440Version(higher))
  #expect(a < b)
  #expect(!(b < a))
  #expect(a != b)
}

@Test func sortsShuffledVersions() throws {
  let versions = try orderedVersions.reversed().map { try PEP440Version($0) }
  #expect(versions.sorted().map(\.description) == orderedVersions)
}

@Test(arguments: [
  ("1.0", "1.0.0"), ("1.0", "1.0.0.0"), ("1.1", "1.01"), ("1.0rc1", "1.0c1"), ("1.0+abc.7", "1.0+abc.007"),
  ("1.0.post0", "1.0-0"), ("v1.0", "1.0"), ("0!1.0", "1.0"),
])
func comparesEqual(a: String, b: String) throws {
  let (x, y) = (try PEP440Version(a), try PEP440Version(b))
  #expect(x == y)
  #expect(Set([x, y]).count == 1)
}

@Test(arguments: [("1.0", "1.0+local"), ("1.0", "1.0.post0"), ("1.0", "1!1.0"), ("1.0a0", "1.0")])
func comparesUnequal(a: String, b: String) throws {
  #expect(try PEP440Version(a) != PEP440Version(b))
}

@Test(arguments: [
  // version, pre-release, post-release, dev release
  ("1.0", false, false, false), ("1.0a1", true, false, false), ("1.0.dev0", true, false, true),
  ("1.0.post1", false, true, false), ("1.0.post1.dev1", true, true, true), ("1.0rc1.post1", true, true, false),
  ("1.0+local", false, false, false),
])
func classifiesVersion(text: String, pre: Bool, post: Bool, dev: Bool) throws {
  let version = try PEP440Version(text)
  #expect(version.isPrerelease == pre)
  #expect(version.isPostrelease == post)
  #expect(version.isDevrelease == dev)
}

@Test(
  arguments: [
    // version, public, local, base
    ("1.0", "1.0", nil, "1.0"), ("1.0+abc.5", "1.0", "abc.5", "1.0"),
    ("1!2.0rc1.post2.dev3+Ubuntu-1", "1!2.0rc1.post2.dev3", "ubuntu.1", "1!2.0"),
    ("0.4.0%2B", nil, nil, nil),
  ] as [(String, String?, String?, String?)])
func splitsPublicAndLocal(text: String, publicText: String?, local: String?, base: String?) {
  let version = try? PEP440Version(text)
  #expect(version?.publicVersion.description == publicText)
  #expect(version?.local == local)
  #expect(version?.baseVersion.description == base)
}

@Test func exposesSegments() throws {
  let version = try PEP440Version("3!1.2.3b4.post5.dev6+x.7")
  #expect(version.epoch == 3)
  #expect(version.release == [1, 2, 3])
  #expect(version.pre == .init(phase: .beta, number: 4))
  #expect(version.post == 5)
  #expect(version.dev == 6)
  #expect(version.localSegments == [.text("x"), .number("7")])
}

@Test func reportsWhyAVersionIsInvalid() {
  #expect(throws: PEP440Error(message: "invalid version '1.0-': unexpected '-'")) { try PEP440Version("1.0-") }
}

/// packaging's `Version` strips surrounding whitespace as Python's `str.strip()` does.
@Test(arguments: ["\u{202F}1.0", "1.0\u{2029}", "\u{0C}1.0", "1.0\u{0B}", "\u{3000}1.0\u{85}", " \t1.0\r\n"])
func stripsUnicodeWhitespaceAroundVersions(text: String) throws {
  let version = try PEP440Version(text)
  #expect(version.description == "1.0")
  #expect(version.written == text)
}

@Test(arguments: ["\u{200B}1.0", "1.0\u{FEFF}", "1.\u{202F}0"])
func refusesWhatPythonDoesNotStrip(text: String) {
  #expect(throws: PEP440Error.self) { try PEP440Version(text) }
}
