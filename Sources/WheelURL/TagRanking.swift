/// One PEP 425 compatibility tag, e.g. `cp311-cp311-manylinux_2_17_x86_64`.
struct WheelTag: Sendable, Hashable, CustomStringConvertible {
  var interpreter: String
  var abi: String
  var platform: String

  var description: String { "\(interpreter)-\(abi)-\(platform)" }
}

/// Why an environment's Python tag cannot be ranked.
struct TagRankingError: Error, Sendable, Equatable, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// The wheel tags a CPython interpreter accepts, best first, in the order of
/// `packaging.tags.sys_tags()`:
///
/// 1. `cpXY-<abi>-<platform>`, `cpXY-abi3-<platform>` (`abi3t` on a free-threaded build),
///    `cpXY-none-<platform>`, each over every platform;
/// 2. `cpXW-abi3-<platform>` for each older minor W down to 2, platforms inside;
/// 3. `pyXY-none-<platform>`, `pyX-none-<platform>`, then `pyXW-none-<platform>` down to W = 0;
/// 4. `cpXY-none-any`, then `pyXY-none-any`, `pyX-none-any`, `pyXW-none-any` down to W = 0.
///
/// Platforms keep the order given (most specific first, as `env.platform_tags` lists them).
struct TagRanking: Sendable {
  /// The supported tags, best first, without repeats.
  let tags: [WheelTag]
  private let ranks: [WheelTag: Int]

  /// - Parameters:
  ///   - pythonTag: `cp311`, or `cp313t` for a free-threaded build.
  ///   - abi: the interpreter's ABI tag (`cp311`, `cp313t`, `cp311d`); derived from `pythonTag`
  ///     when `nil`. A `t` in its flags marks a free-threaded build.
  ///   - platforms: platform tags, most specific first.
  init(pythonTag: String, abi: String? = nil, platforms: [String]) throws(TagRankingError) {
    let tag = pythonTag.lowercased()
    var digits = tag.hasPrefix("cp") ? Substring(tag.dropFirst(2)) : ""
    let threadedTag = digits.hasSuffix("t")
    if threadedTag { digits = digits.dropLast() }
    guard let majorDigit = digits.first, majorDigit.isASCII, majorDigit.isNumber,
      digits.allSatisfy({ $0.isASCII && $0.isNumber })
    else { throw TagRankingError(message: "unsupported python tag '\(pythonTag)': expected cpXY or cpXYt") }
    let major = Int(String(majorDigit))!
    let minor = digits.count > 1 ? Int(digits.dropFirst()) : nil
    let nodot = String(digits)
    let abiTag = abi?.lowercased() ?? "cp\(nodot)\(threadedTag ? "t" : "")"
    let abiFlags = abiTag.hasPrefix("cp") ? abiTag.dropFirst(2).drop { $0.isASCII && $0.isNumber } : ""
    let threaded = threadedTag || abiFlags.contains("t")
    let interpreter = "cp\(nodot)"
    let platforms = platforms.map { $0.lowercased() }

    var list: [WheelTag] = []
    func add(_ interpreter: String, _ abi: String, _ platforms: [String]) {
      list += platforms.map { WheelTag(interpreter: interpreter, abi: abi, platform: $0) }
    }
    let stableABI = threaded ? "abi3t" : "abi3"
    let useStableABI = minor != nil && (major, minor!) >= (3, 2)
    let explicitABIs = threaded ? ["abi3", "abi3t", "none"] : ["abi3", "none"]
    if !explicitABIs.contains(abiTag) { add(interpreter, abiTag, platforms) }
    if useStableABI { add(interpreter, stableABI, platforms) }
    add(interpreter, "none", platforms)
    if useStableABI, let minor {
      for older in stride(from: minor - 1, through: 2, by: -1) { add("cp\(major)\(older)", stableABI, platforms) }
    }
    var pythons = minor.map { ["py\(major)\($0)"] } ?? []
    pythons.append("py\(major)")
    if let minor { pythons += stride(from: minor - 1, through: 0, by: -1).map { "py\(major)\($0)" } }
    for python in pythons { add(python, "none", platforms) }
    add(interpreter, "none", ["any"])
    for python in pythons { add(python, "none", ["any"]) }

    var ranks: [WheelTag: Int] = [:]
    var unique: [WheelTag] = []
    for tag in list where ranks[tag] == nil {
      ranks[tag] = unique.count
      unique.append(tag)
    }
    self.tags = unique
    self.ranks = ranks
  }

  /// The position of `tag` in `tags` (0 is best), or `nil` when the interpreter cannot use it.
  func rank(of tag: WheelTag) -> Int? {
    ranks[
      WheelTag(
        interpreter: tag.interpreter.lowercased(), abi: tag.abi.lowercased(), platform: tag.platform.lowercased())]
  }

  /// The best (lowest) rank among `tags`, or `nil` when none is supported.
  func bestRank(of tags: some Sequence<WheelTag>) -> Int? {
    tags.compactMap { rank(of: $0) }.min()
  }

  /// The best rank of any tag the wheel declares, or `nil` when the wheel cannot be installed.
  func bestRank(of wheel: WheelFilename) -> Int? { bestRank(of: wheel.tags) }
}
