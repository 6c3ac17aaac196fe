import PipeHTTP

/// Why a file name is not a PEP 427 wheel file name.
struct WheelFilenameError: Error, Sendable, Equatable, CustomStringConvertible {
  var filename: String
  var reason: String
  var description: String { "invalid wheel file name '\(filename)': \(reason)" }
}

/// A wheel file name taken apart per PEP 427:
/// `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
///
/// Percent-escapes are decoded first, so a name taken from a URL (`nvdiffrast-0.4.0%2Bcu128…`)
/// reads the same as the file on disk. Tags may be compressed tag sets (`py2.py3`,
/// `manylinux_2_17_x86_64.manylinux2014_x86_64`) and are lowercased.
struct WheelFilename: Sendable, Hashable, CustomStringConvertible {
  /// A build tag: leading digits and the rest, which sort as `(number, rest)`.
  struct BuildTag: Sendable, Hashable, Comparable, CustomStringConvertible {
    var number: Int
    var rest: String
    var description: String { "\(number)\(rest)" }
    static func < (a: BuildTag, b: BuildTag) -> Bool { (a.number, a.rest) < (b.number, b.rest) }
  }

  /// The file name, percent-decoded.
  var filename: String
  /// The distribution part as written (`Flash_Attn`).
  var distribution: String
  /// The project name, PEP 503 normalised (`flash-attn`).
  var name: String
  var version: PEP440Version
  var buildTag: BuildTag?
  var pythonTags: [String]
  var abiTags: [String]
  var platformTags: [String]

  var description: String { filename }

  /// Every (python, abi, platform) triple the wheel declares, expanded from its tag sets.
  var tags: [WheelTag] {
    pythonTags.flatMap { python in
      abiTags.flatMap { abi in platformTags.map { WheelTag(interpreter: python, abi: abi, platform: $0) } }
    }
  }

  init(_ filename: String) throws(WheelFilenameError) {
    let decoded = filename.removingPercentEscapes()
    self.filename = decoded
    func fail(_ reason: String) -> WheelFilenameError { WheelFilenameError(filename: decoded, reason: reason) }

    guard decoded.hasSuffix(".whl") else { throw fail("it does not end in '.whl'") }
    let parts = decoded.dropLast(4).split(separator: "-", omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 5 || parts.count == 6 else {
      throw fail("expected 5 or 6 parts separated by '-', found \(parts.count)")
    }
    distribution = parts[0]
    // packaging's `^[\w._]+\Z`: Python's `\w` is Unicode, so `foo_bár` is a valid name.
    let nameCharacters = distribution.unicodeScalars.allSatisfy { $0.isPythonWordCharacter || $0 == "." }
    guard !distribution.isEmpty, nameCharacters, !distribution.contains("__") else {
      throw fail("invalid distribution name '\(distribution)'")
    }
    name = normalizedProjectName(distribution)
    do {
      version = try PEP440Version(parts[1])
    } catch {
      throw fail("invalid version '\(parts[1])'")
    }
    if parts.count == 6 {
      let build = parts[2]
      let digits = build.prefix { $0.isASCII && $0.isNumber }
      guard let number = Int(digits) else { throw fail("build tag '\(build)' does not start with a digit") }
      buildTag = BuildTag(number: number, rest: String(build.dropFirst(digits.count)))
    }
    var sets: [[String]] = []
    for part in parts.suffix(3) {
      let members = part.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
      guard members.allSatisfy({ !$0.isEmpty }) else { throw fail("empty tag in '\(part)'") }
      sets.append(members)
    }
    for interpreter in sets[0] where !interpreter.isPythonIdentifier {
      throw fail("invalid interpreter tag '\(interpreter)'")
    }
    pythonTags = sets[0]
    abiTags = sets[1]
    platformTags = sets[2]
  }
}

extension Unicode.Scalar {
  /// What Python's `\w` matches in a `str` pattern: letters, numbers and `_`.
  var isPythonWordCharacter: Bool {
    if self == "_" { return true }
    switch properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
      .decimalNumber, .letterNumber, .otherNumber:
      return true
    default:
      return false
    }
  }
}

extension String {
  /// Whether `str.isidentifier()` would be true, near enough for tags: a letter or `_`, then
  /// letters, numbers and `_`.
  var isPythonIdentifier: Bool {
    guard let first = unicodeScalars.first, first.isPythonWordCharacter,
      first.properties.numericType == nil
    else { return false }
    return unicodeScalars.allSatisfy(\.isPythonWordCharacter)
  }
}
