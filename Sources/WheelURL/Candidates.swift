/// A wheel file that may answer a request, with what the env thinks of it.
struct Candidate: Sendable {
  var file: IndexFile
  /// The wheel as the page means it: the name it is listed under (an alias's), which is what
  /// is matched and ranked.
  var wheel: WheelFilename
  /// The file that is installed, when it is not `wheel` (an alias).
  var aliasOf: WheelFilename?
  /// Where it was listed: the page URL that was read.
  var page: String
  /// Its best PEP 425 tag's position in the env's ranking (0 is best), or `nil` when the env
  /// cannot install it.
  var tagRank: Int?
  /// Why the env cannot use it, or `nil` when it can (the version is checked separately).
  var rejection: String?
}

/// Judging and ordering candidate wheels for one request and env.
struct CandidateJudge {
  let env: WheelEnv
  let ranking: TagRanking
  let request: Request
  /// The specifiers that apply: the request's, or a pin from a source's version template.
  let specifiers: PEP440SpecifierSet

  /// Whether yanked files may be chosen: only for an exact `==` pin (PEP 592).
  var allowsYanked: Bool {
    specifiers.specifiers.count == 1 && [.equal, .arbitrary].contains(specifiers.specifiers[0].op)
      && !specifiers.specifiers[0].isWildcard
  }

  /// The candidate for a file of the requested project, or `nil` when the file is not a valid
  /// wheel of it.
  func candidate(_ file: IndexFile, page: String) -> Candidate? {
    guard let real = try? WheelFilename(file.filename), real.name == request.requirement.name else { return nil }
    var wheel = real
    var aliasOf: WheelFilename?
    if let listed = file.listedAs, let alias = try? WheelFilename(listed), alias.name == real.name {
      wheel = alias
      aliasOf = real
    }
    let rank = ranking.bestRank(of: wheel)
    return Candidate(
      file: file, wheel: wheel, aliasOf: aliasOf, page: page, tagRank: rank, rejection: rejection(file, wheel, rank))
  }

  /// Why the env cannot use the wheel, apart from its version.
  func rejection(_ file: IndexFile, _ wheel: WheelFilename, _ rank: Int?) -> String? {
    if case .mismatch(let why) = matchLocalLabel(wheel.version.local, cudaShort: env.cudaShort, torch: env.torchVersion)
    {
      return why
    }
    if rank == nil {
      let tags = "\(wheel.pythonTags.joined(separator: "."))-\(wheel.abiTags.joined(separator: "."))"
      return
        "tags \(tags)-\(wheel.platformTags.joined(separator: ".")) do not fit \(env.pythonTag ?? "python?") on \(env.platformTags.first ?? env.arch)"
    }
    if let requires = file.requiresPython, let python = env.pythonFullVersion ?? env.pythonVersion,
      let set = try? PEP440SpecifierSet(requires), let version = try? PEP440Version(python),
      !set.contains(version, allowPrereleases: true)
    {
      return "requires python \(requires)"
    }
    if let reason = file.yanked, !allowsYanked {
      return reason.isEmpty ? "yanked" : "yanked: \(reason)"
    }
    return nil
  }

  /// The usable candidates whose version the specifiers admit, best first: highest version,
  /// then best tag, then highest build tag. Pre-releases only as PEP 440 allows.
  func ranked(_ candidates: [Candidate]) -> [Candidate] {
    let usable = candidates.filter { $0.rejection == nil }
    return specifiers.filter(usable) { $0.wheel.version }.sorted { a, b in
      if a.wheel.version != b.wheel.version { return a.wheel.version > b.wheel.version }
      if a.tagRank != b.tagRank { return (a.tagRank ?? .max) < (b.tagRank ?? .max) }
      return (a.wheel.buildTag?.number ?? -1, a.wheel.buildTag?.rest ?? "")
        > (b.wheel.buildTag?.number ?? -1, b.wheel.buildTag?.rest ?? "")
    }
  }
}
