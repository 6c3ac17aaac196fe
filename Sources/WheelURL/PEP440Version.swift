/// Why a version, specifier or requirement is not valid PEP 440 / PEP 508 text.
public struct PEP440Error: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// A version number as PEP 440 defines it: `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`.
///
/// Parsing accepts every spelling PEP 440 permits (any case, a leading `v`, `alpha`/`beta`/`c`/
/// `pre`/`preview`, `rev`/`r`, the implicit post release `1.0-1`, `-`/`_`/`.` separators, omitted
/// numbers) and `description` gives the normalised form. Versions compare and hash per PEP 440:
/// `1.0 == 1.0.0`, `1.0.dev0 < 1.0a1 < 1.0 < 1.0+local < 1.0.post1`.
struct PEP440Version: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// A pre-release phase, in PEP 440 order.
  enum Phase: Int, Sendable, Hashable {
    case alpha, beta, releaseCandidate
    /// The normalised spelling: `a`, `b` or `rc`.
    var label: String { ["a", "b", "rc"][rawValue] }
  }

  /// A pre-release marker: phase and number (`rc2`).
  struct PreRelease: Sendable, Hashable {
    var phase: Phase
    var number: Int
  }

  /// One part of a local label. Numbers compare numerically and sort after text, which
  /// compares lexically (PEP 440, "Local version identifiers").
  enum LocalSegment: Sendable, Hashable, Comparable, CustomStringConvertible {
    case text(String)
    /// Decimal digits without leading zeros (kept as text, so any length compares correctly).
    case number(String)

    var description: String {
      switch self {
      case .text(let s), .number(let s): s
      }
    }

    static func < (a: LocalSegment, b: LocalSegment) -> Bool {
      switch (a, b) {
      case (.text(let x), .text(let y)): x < y
      case (.number(let x), .number(let y)): (x.count, x) < (y.count, y)
      case (.text, .number): true
      case (.number, .text): false
      }
    }
  }

  var epoch = 0
  var release: [Int]
  var pre: PreRelease?
  var post: Int?
  var dev: Int?
  var localSegments: [LocalSegment] = []
  /// The text this version was parsed from, exactly as given (`nil` for a version built from
  /// parts). `===` compares it, case-insensitively; equality, order and hashing ignore it.
  var written: String?

  init(
    epoch: Int = 0, release: [Int], pre: PreRelease? = nil, post: Int? = nil, dev: Int? = nil,
    localSegments: [LocalSegment] = []
  ) {
    self.epoch = epoch
    self.release = release
    self.pre = pre
    self.post = post
    self.dev = dev
    self.localSegments = localSegments
  }

  /// Parses and normalises `text`; surrounding whitespace (Python's `str.isspace` set, as
  /// `packaging` strips it: `\u{202F}`, `\u{2029}`, `\u{0C}`, `\u{0B}` as well as ASCII) is ignored.
  init(_ text: String) throws(PEP440Error) {
    var parser = PEP440VersionParser(text)
    self = try parser.parseVersion()
    written = text
  }

  /// The normalised form, e.g. `1!2.0rc1.post2.dev3+ubuntu.1`.
  var description: String {
    var text = epoch == 0 ? "" : "\(epoch)!"
    text += release.map(String.init).joined(separator: ".")
    if let pre { text += pre.phase.label + String(pre.number) }
    if let post { text += ".post\(post)" }
    if let dev { text += ".dev\(dev)" }
    if let local { text += "+" + local }
    return text
  }

  /// The normalised local label without the `+`, or `nil` when there is none.
  var local: String? {
    localSegments.isEmpty ? nil : localSegments.map(\.description).joined(separator: ".")
  }

  /// The public version: this version without its local label.
  var publicVersion: PEP440Version {
    var copy = self
    copy.localSegments = []
    copy.written = nil
    return copy
  }

  /// Epoch and release only (`1!2.0rc1+x` → `1!2.0`).
  var baseVersion: PEP440Version { PEP440Version(epoch: epoch, release: release) }

  /// A pre-release in PEP 440's sense: it has a pre-release or a development release segment.
  var isPrerelease: Bool { pre != nil || dev != nil }
  var isPostrelease: Bool { post != nil }
  var isDevrelease: Bool { dev != nil }

  /// The release segment without trailing zeros, as compared (`1.0.0` → `[1]`).
  var trimmedRelease: ArraySlice<Int> {
    var end = release.count
    while end > 1, release[end - 1] == 0 { end -= 1 }
    return release[..<end]
  }

  static func == (a: PEP440Version, b: PEP440Version) -> Bool { compare(a, b) == 0 }
  static func < (a: PEP440Version, b: PEP440Version) -> Bool { compare(a, b) < 0 }

  func hash(into hasher: inout Hasher) {
    hasher.combine(epoch)
    hasher.combine(Array(trimmedRelease))
    hasher.combine(pre)
    hasher.combine(post)
    hasher.combine(dev)
    hasher.combine(localSegments)
  }

  /// Three-way comparison per PEP 440: -1, 0 or 1.
  static func compare(_ a: PEP440Version, _ b: PEP440Version) -> Int {
    func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : (x == y ? 0 : 1) }
    if a.epoch != b.epoch { return order(a.epoch, b.epoch) }
    for k in 0..<max(a.release.count, b.release.count) {
      let x = k < a.release.count ? a.release[k] : 0
      let y = k < b.release.count ? b.release[k] : 0
      if x != y { return order(x, y) }
    }
    // Pre-release key: a bare dev release sorts before every pre-release; no pre-release after.
    func preKey(_ v: PEP440Version) -> (Int, Int, Int) {
      if let pre = v.pre { return (1, pre.phase.rawValue, pre.number) }
      return v.post == nil && v.dev != nil ? (0, 0, 0) : (2, 0, 0)
    }
    let (preA, preB) = (preKey(a), preKey(b))
    if preA != preB { return preA < preB ? -1 : 1 }
    if a.post != b.post { return order(a.post ?? -1, b.post ?? -1) }
    if a.dev != b.dev { return order(a.dev ?? Int.max, b.dev ?? Int.max) }
    if a.localSegments == b.localSegments { return 0 }
    return a.localSegments.lexicographicallyPrecedes(b.localSegments) ? -1 : 1
  }
}
