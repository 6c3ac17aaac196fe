import PipeKit
import Testing

@testable import WheelURL

/// PEP 440 versions and specifiers, PEP 427 wheel names and PEP 425 tag priority, held to
/// `packaging` on a few thousand generated cases each.
@Suite(.enabled(if: Differential.hasPackaging, Differential.skipReason))
struct DifferentialPackagingTests {
  static let whitespace = [" ", "\t", "\n", "\u{202F}", "\u{2029}", "\u{0C}", "\u{0B}", "\u{A0}", "\u{3000}"]

  /// A version string in any spelling PEP 440 allows, sometimes broken on purpose.
  static func versionText(_ g: inout SeededGenerator, valid: Bool = false) -> String {
    func sep() -> String { g.pick(["", "", ".", "-", "_"]) }
    func number() -> String {
      g.chance(0.1) ? "0" + String(g.int(0...9)) : String(g.int(0...(g.chance(0.7) ? 12 : 99_999)))
    }
    func randomCase(_ s: String) -> String { g.chance(0.2) ? s.uppercased() : s }
    var text = g.chance(0.1) ? g.pick(["v", "V"]) : ""
    if g.chance(0.1) { text += "\(g.int(0...3))!" }
    text += (0..<g.int(1...4)).map { _ in number() }.joined(separator: ".")
    if g.chance(0.3) {
      text += sep() + randomCase(g.pick(["a", "alpha", "b", "beta", "c", "rc", "pre", "preview"]))
      if g.chance(0.8) { text += sep() + number() }
    }
    if g.chance(0.25) {
      if g.chance(0.3) {
        text += "-" + number()
      } else {
        text += sep() + randomCase(g.pick(["post", "rev", "r"])) + (g.chance(0.8) ? sep() + number() : "")
      }
    }
    if g.chance(0.2) { text += sep() + randomCase("dev") + (g.chance(0.8) ? sep() + number() : "") }
    if g.chance(0.2) {
      let segments = (0..<g.int(1...3)).map { _ in
        g.pick(["cu128", "torch2", "8", "007", "Local", "abc", "pt28cu128", "0"])
      }
      text += "+" + segments.map { $0 }.joined(separator: g.pick([".", "-", "_"]))
    }
    if valid { return text }
    if g.chance(0.15) {
      var scalars = Array(text.unicodeScalars)
      let insert = g.pick(["+", "!", ".", "-", "_", "x", "é", "*", " ", "\u{200B}", "٣"] as [Unicode.Scalar])
      scalars.insert(insert, at: g.int(0...scalars.count))
      text = String(String.UnicodeScalarView(scalars))
    }
    if g.chance(0.2) { text = g.pick(whitespace) + text }
    if g.chance(0.2) { text += g.pick(whitespace) }
    return text
  }

  @Test func versionsNormaliseAsPackagingDoes() throws {
    let seed = Differential.seed(default: 440)
    var g = SeededGenerator(seed: seed)
    let texts = (0..<3000).map { _ in Self.versionText(&g) }
    let expected = try Differential.reference("version", texts.map { .string($0) })
    for (text, answer) in zip(texts, expected) {
      let ours = (try? PEP440Version(text))?.description
      #expect(ours == answer.stringValue, "seed \(seed): version \(JSON.string(text).serialized)")
    }
  }

  @Test func versionsOrderAsPackagingDoes() throws {
    let seed = Differential.seed(default: 441)
    var g = SeededGenerator(seed: seed)
    let pairs = (0..<3000).map { _ in (Self.versionText(&g, valid: true), Self.versionText(&g, valid: true)) }
    let expected = try Differential.reference("order", pairs.map { .array([.string($0.0), .string($0.1)]) })
    for ((a, b), answer) in zip(pairs, expected) {
      let ours = PEP440Version.compare(try PEP440Version(a), try PEP440Version(b))
      #expect(ours == answer.intValue, "seed \(seed): compare \(a) with \(b)")
    }
  }

  @Test func specifiersMatchAsPackagingDoes() throws {
    let seed = Differential.seed(default: 442)
    var g = SeededGenerator(seed: seed)
    var cases: [(String, [String])] = []
    for _ in 0..<2000 {
      var versions: [String] = []
      let clauses = (0..<g.int(1...3)).map { _ in
        let version = Self.versionText(&g, valid: true)
        versions.append(version)
        let op = g.pick(["==", "!=", "<=", ">=", "<", ">", "~=", "==="])
        let wildcard = (op == "==" || op == "!=") && g.chance(0.3) ? ".*" : ""
        let space = g.chance(0.2) ? g.pick(Self.whitespace) : ""
        return space + op + (g.chance(0.2) ? " " : "") + version + wildcard + space
      }
      var candidates = versions + (0..<4).map { _ in Self.versionText(&g, valid: true) }
      candidates += versions.compactMap { v in (try? PEP440Version(v))?.description }
      cases.append((clauses.joined(separator: ","), candidates))
    }
    let expected = try Differential.reference(
      "specifier", cases.map { .array([.string($0.0), .array($0.1.map { .string($0) })]) })
    for ((spec, candidates), answer) in zip(cases, expected) {
      let context = "seed \(seed): specifier \(JSON.string(spec).serialized)"
      guard let set = try? PEP440SpecifierSet(spec) else {
        #expect(answer == .null, "\(context) refused, packaging accepts it")
        continue
      }
      guard let answers = answer.arrayValue else {
        Issue.record("\(context) accepted, packaging refuses it")
        continue
      }
      let verdicts = answers.first?.arrayValue ?? []
      #expect(verdicts.count == candidates.count, "\(context): one verdict per candidate")
      for (candidate, verdict) in zip(candidates, verdicts) {
        let ours = set.contains(try PEP440Version(candidate), allowPrereleases: true)
        #expect(ours == verdict.boolValue, "\(context) candidate \(candidate)")
      }
      // PEP 440's default: pre-releases only when no final release matches (packaging's filter).
      let versions = try candidates.map { ($0, try PEP440Version($0)) }
      let kept = set.filter(versions) { $0.1 }.map { JSON.string($0.0) }
      #expect(JSON.array(kept) == answers.last, "\(context) filtering \(candidates)")
    }
  }

  @Test func wheelNamesParseAsPackagingDoes() throws {
    let seed = Differential.seed(default: 427)
    var g = SeededGenerator(seed: seed)
    let names = ["foo", "Foo", "bár", "数据", "a.b", "a_b", "a-b", "x__y", "", "foo+bar", "k", "ñ", "a\u{301}", "Ω_2"]
    var files: [String] = []
    for _ in 0..<3000 {
      var parts = [(0..<g.int(1...2)).map { _ in g.pick(names) }.joined(separator: g.pick(["", "_", "."]))]
      parts.append(Self.versionText(&g, valid: g.chance(0.9)).filter { !$0.isWhitespace })
      if g.chance(0.3) { parts.append(g.pick(["1", "12abc", "a1", "", "007x"])) }
      parts.append(g.pick(["py3", "py2.py3", "cp311", "3py", "PY3", "cp311.cp312", "py3..py2", "_x"]))
      parts.append(g.pick(["none", "cp311", "abi3", "NONE", "", "cp311.abi3"]))
      parts.append(g.pick(["any", "linux_x86_64", "manylinux_2_17_x86_64.manylinux2014_x86_64", "win_amd64", "Any"]))
      files.append(parts.joined(separator: "-") + g.pick([".whl", ".whl", ".whl", ".zip"]))
    }
    let expected = try Differential.reference("wheel", files.map { .string($0) })
    for (file, answer) in zip(files, expected) {
      var ours: JSON = .null
      if let wheel = try? WheelFilename(file) {
        ours = .array([
          .string(wheel.name), .string(wheel.version.description),
          wheel.buildTag.map { .array([.string(String($0.number)), .string($0.rest)]) } ?? .null,
          .array(wheel.tags.map(\.description).sorted().map { .string($0) }),
        ])
      }
      #expect(ours == answer, "seed \(seed): wheel \(JSON.string(file).serialized)")
    }
  }

  /// Tag priority for CPython 3.8-3.14 on glibc 2.17-2.41, x86_64 and aarch64: the same
  /// platforms, the same tags in the same order as packaging's `sys_tags` would give.
  @Test func tagPriorityMatchesPackaging() throws {
    var cases: [(Int, Int, String)] = []
    for minor in [8, 10, 11, 12, 13, 14] {
      for glibc in [17, 28, 31, 35, 41] {
        for arch in ["x86_64", "aarch64"] { cases.append((minor, glibc, arch)) }
      }
    }
    let expected = try Differential.reference("tags", cases.map { .array([.int($0.0), .int($0.1), .string($0.2)]) })
    for ((minor, glibc, arch), answer) in zip(cases, expected) {
      let pair = answer.arrayValue ?? []
      let platforms = PlatformTags.linux(arch: arch, glibc: (2, glibc))
      #expect(
        JSON.array(platforms.map { .string($0) }) == pair.first, "cp3\(minor) glibc 2.\(glibc) \(arch): platforms")
      let ranking = try TagRanking(pythonTag: "cp3\(minor)", platforms: platforms)
      let ours = ranking.tags.map(\.description)
      let theirs = pair.last?.arrayValue?.compactMap(\.stringValue) ?? []
      #expect(
        ours == theirs,
        "cp3\(minor) glibc 2.\(glibc) \(arch): first difference at \((0..<min(ours.count, theirs.count)).first { ours[$0] != theirs[$0] } ?? min(ours.count, theirs.count))"
      )
    }
  }
}
