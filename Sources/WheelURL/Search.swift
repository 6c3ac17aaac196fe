import PipeHTTP
import PipeKit

/// One request's way through the layers, remembering what it saw for the miss report.
struct Search {
  let request: Request
  let env: WheelEnv
  let ranking: TagRanking
  let resolver: Resolver

  var candidates: [Candidate] = []
  var tried: [JSON] = []
  var notes: [String] = []
  var fetchErrors: [FetchError] = []
  /// Pages that answered, with links or with a 404.
  var pagesRead = 0
  var sawFiles = false

  init(request: Request, env: WheelEnv, ranking: TagRanking, resolver: Resolver) {
    self.request = request
    self.env = env
    self.ranking = ranking
    self.resolver = resolver
  }

  var name: String { request.requirement.name }

  var variables: TemplateVariables {
    TemplateVariables(env: env, package: name, version: request.exactVersion)
  }

  mutating func run(layers: [[Source]], knownByName: Bool) -> Outcome {
    for layer in layers {
      let outcome: Outcome?
      do {
        if layer.allSatisfy(\.isPage) {
          outcome = try fromPages(layer)
        } else {
          outcome = try fromOther(layer[0])
        }
      } catch {
        return .failure(error)
      }
      if let outcome { return outcome }
    }
    return miss(knownByName: knownByName)
  }

  /// A template, a PyPI variant or PyPI.
  mutating func fromOther(_ source: Source) throws(ErrorRecord) -> Outcome? {
    switch source.kind {
    case .pypi:
      return .requirement(request.requirementRecord())
    case .pypiVariant(let package, let builds):
      var variables = variables
      if !builds.isEmpty, let cuda = env.cuda {
        guard let build = Self.variantCUDA(for: cuda, among: builds) else {
          let have = builds.joined(separator: ", ")
          tried.append([
            "source": .string(source.name),
            "result": .string("PyPI has \(name) builds for CUDA \(have) only, none for CUDA \(cuda)"),
          ])
          notes.append("PyPI has \(name) builds for CUDA \(have) only")
          return nil
        }
        if build != cuda {
          var built = env
          built.cuda = build
          variables = TemplateVariables(env: built, package: name, version: request.exactVersion)
          resolver.note(
            "\(name): PyPI has no build for CUDA \(cuda); chose the one for CUDA \(build), the newest at or below it (CUDA \(cuda.major) minor-version compatibility)"
          )
        }
      }
      let expanded: String
      do {
        expanded = try variables.expand(package)
      } catch {
        try note(error, source: source)
        return nil
      }
      let extras = request.requirement.extras.isEmpty ? "" : "[\(request.requirement.extras.joined(separator: ","))]"
      let marker = request.requirement.marker.map { "; " + $0 } ?? ""
      return .requirement(
        request.requirementRecord(spec: expanded + extras + request.requirement.specifierText + marker))
    case .template(let template, let platforms):
      return try fromTemplate(source, template: template, platforms: platforms)
    case .findLinks, .index:
      return try fromPages([source])
    }
  }

  /// The newest of `builds` in `cuda`'s major and not above it.
  static func variantCUDA(for cuda: CUDAVersion, among builds: [String]) -> CUDAVersion? {
    builds.compactMap(CUDAVersion.init).filter { build in
      build.major == cuda.major && (build.minor ?? 0) <= (cuda.minor ?? 0)
    }.max { ($0.minor ?? 0) < ($1.minor ?? 0) }
  }

  mutating func fromTemplate(_ source: Source, template: String, platforms: [String]) throws(ErrorRecord)
    -> Outcome?
  {
    let platform = "\(env.os)_\(env.arch)"
    guard platforms.isEmpty || platforms.contains(platform) else {
      tried.append(["source": .string(source.name), "result": .string("only for \(platforms.joined(separator: ", "))")])
      return nil
    }
    let url: String
    do {
      url = try variables.expand(template)
    } catch {
      try note(error, source: source)
      return nil
    }
    let file = IndexFile(url: url)
    guard let candidate = judge(specifiers: request.requirement.specifiers).candidate(file, page: url) else {
      tried.append(["source": .string(source.name), "url": .string(url), "result": .string("not a wheel of \(name)")])
      return nil
    }
    candidates.append(candidate)
    sawFiles = true
    if let why = candidate.rejection ?? versionRejection(candidate) {
      tried.append(["source": .string(source.name), "url": .string(url), "result": .string(why)])
      return nil
    }
    guard try exists(candidate, source: source) else { return nil }
    return .wheel(record(candidate, source: source.name))
  }

  /// Pools the candidates of one or more pages and picks the best.
  mutating func fromPages(_ sources: [Source]) throws(ErrorRecord) -> Outcome? {
    var pooled: [Candidate] = []
    var specifiers = request.requirement.specifiers
    for source in sources {
      guard let template = source.urlTemplate else { continue }
      let base: String
      do {
        base = try variables.expand(template)
        if case .index(_, let version?) = source.kind {
          let pin = try variables.expand(version)
          specifiers = try PEP440SpecifierSet("==" + pin)
        }
      } catch let error as TemplateError {
        try note(error, source: source)
        continue
      } catch {
        tried.append(["source": .string(source.name), "result": .string("\(error)")])
        continue
      }
      let isIndex = if case .index = source.kind { true } else { false }
      let urls = isIndex ? SimpleIndex.projectURLs(base: base, name: request.requirement.name) : [base]
      for url in urls {
        let failures = fetchErrors.count
        let found = load(url, source: source, accept: isIndex ? SimpleIndex.accept : nil)
        pooled += found
        if !found.isEmpty || fetchErrors.count > failures { break }
      }
    }
    candidates += pooled
    let judge = judge(specifiers: specifiers)
    for candidate in judge.ranked(pooled) {
      if try exists(candidate, source: nil) {
        return .wheel(record(candidate, source: candidate.page))
      }
    }
    return nil
  }

  /// The candidates on one page, with what happened noted for the miss report.
  mutating func load(_ url: String, source: Source, accept: String?) -> [Candidate] {
    switch resolver.pages.load(url, accept: accept) {
    case .links(let links, let pageURL):
      pagesRead += 1
      let files = links.files(for: name)
      if !files.isEmpty { sawFiles = true }
      tried.append(["source": .string(source.name), "url": .string(url), "result": .string("\(files.count) files")])
      let judge = judge(specifiers: request.requirement.specifiers)
      return files.compactMap { judge.candidate($0, page: pageURL) }
    case .missing(_, let status):
      pagesRead += 1
      if case .findLinks = source.kind, !source.name.hasPrefix("registry"), !resolver.missingPages.contains(url) {
        resolver.missingPages.insert(url)
        resolver.note("\(url): \(status.map { "HTTP \($0)" } ?? "not found"); the page lists no wheels")
      }
      tried.append([
        "source": .string(source.name), "url": .string(url),
        "result": .string(status.map { "HTTP \($0)" } ?? "not found"),
      ])
    case .failed(let error):
      fetchErrors.append(error)
      tried.append(["source": .string(source.name), "url": .string(url), "result": .string(error.message)])
    }
    return []
  }

  func judge(specifiers: PEP440SpecifierSet) -> CandidateJudge {
    CandidateJudge(env: env, ranking: ranking, request: request, specifiers: specifiers)
  }

  func versionRejection(_ candidate: Candidate) -> String? {
    let specifiers = request.requirement.specifiers
    guard !specifiers.specifiers.isEmpty, specifiers.filter([candidate], version: { $0.wheel.version }).isEmpty else {
      return nil
    }
    return "version \(candidate.wheel.version) is not \(specifiers)"
  }

  /// With `--verify`, whether the chosen URL exists; always true without.
  mutating func exists(_ candidate: Candidate, source: Source?) throws(ErrorRecord) -> Bool {
    guard resolver.verify else { return true }
    do {
      if try resolver.fetcher.exists(candidate.file.url) { return true }
      tried.append([
        "source": .string(source?.name ?? candidate.page), "url": .string(candidate.file.url),
        "result": "does not exist (--verify)",
      ])
      return false
    } catch {
      fetchErrors.append(error)
      tried.append([
        "source": .string(source?.name ?? candidate.page), "url": .string(candidate.file.url),
        "result": .string(error.message),
      ])
      return false
    }
  }

  /// A template that cannot be expanded: an unknown placeholder ends the request, a missing
  /// value only skips the source.
  mutating func note(_ error: TemplateError, source: Source) throws(ErrorRecord) {
    if case .unknown = error.kind {
      throw ErrorRecord(
        code: "unknown-placeholder", message: "\(source.name): \(error.description); fix the template",
        id: request.id, detail: ["source": .string(source.name), "placeholder": .string(error.placeholder)])
    }
    if case .missingValue(let why) = error.kind, !notes.contains(why) { notes.append(why) }
    tried.append(["source": .string(source.name), "result": .string(error.description)])
  }

  func record(_ candidate: Candidate, source: String) -> JSONObject {
    // An alias is chosen for what the page lists it as, and recorded as the file it is.
    let file = candidate.aliasOf ?? candidate.wheel
    var record: JSONObject = [
      "type": "wheel", "name": .string(file.name), "version": .string(file.version.description),
      "url": .string(candidate.file.url), "filename": .string(file.filename),
    ]
    if let real = candidate.aliasOf {
      resolver.note(
        "\(name): \(candidate.page) lists \(real.filename) as \(candidate.wheel.filename); chose it for \(env.combination), as the page means"
      )
    }
    if let sha256 = candidate.file.sha256 { record["sha256"] = .string(sha256) }
    record["source"] = .string(source)
    // Only a wheel built for one torch says which torch it was chosen for; a pure wheel needs none.
    let builtFor = candidate.wheel.version.local.flatMap(CUDALocalLabel.init)?.torch
    if env.torchVersion == nil, let torch = builtFor {
      resolver.note("\(name): the env has no torch; chose the build for torch \(torch) (install torch==\(torch).*)")
    } else if env.torchIsDefault, builtFor != nil, let torch = env.torchSeries {
      resolver.noteOnce(
        "the env has no torch; chose wheels for torch \(env.torchVersion ?? ""), comfy-env's default for CUDA \(env.cuda?.description ?? "none") (install torch==\(torch).*, or pass --torch)"
      )
    }
    return request.answer(record)
  }

  /// No layer had a wheel: pass an unknown name through, else say what is missing.
  func miss(knownByName: Bool) -> Outcome {
    if !knownByName && !sawFiles && fetchErrors.isEmpty { return .requirement(request.requirementRecord()) }
    if !sawFiles, pagesRead == 0, let first = fetchErrors.first {
      let offline = fetchErrors.allSatisfy { $0.kind == .offline }
      let temporary = fetchErrors.allSatisfy(\.isTemporary)
      let message =
        offline
        ? "\(name): --offline forbids reading \(first.url); drop --offline, or use a local mirror (a directory or file:// URL)"
        : "\(name): could not read its sources (\(first.message)); check the network or the URL, then retry"
      return .failure(
        ErrorRecord(
          code: offline ? "offline" : "fetch-failed", message: message, id: request.id,
          detail: ["tried": .array(tried)], exit: temporary ? .temporaryFailure : .failure))
    }
    if !sawFiles, request.exactVersion == nil,
      notes.contains(TemplateVariables.known["version"]!) && candidates.isEmpty
    {
      return .failure(
        ErrorRecord(
          code: "needs-version",
          message: "\(name) comes from URL templates that need an exact version; ask for \(name)==VERSION",
          id: request.id, detail: ["tried": .array(tried)]))
    }
    var notes = notes
    let offline = fetchErrors.filter { $0.kind == .offline }.count
    if offline > 0 { notes.append("\(offline) remote sources skipped for --offline") }
    if fetchErrors.count > offline { notes.append("\(fetchErrors.count - offline) sources could not be read") }
    let miss = Miss(env: env, ranking: ranking, specifiers: request.requirement.specifiers)
    return .failure(miss.error(request: request, candidates: candidates, tried: tried, notes: notes))
  }
}
