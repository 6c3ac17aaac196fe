import PipeHTTP
import PipeKit

/// What a request comes to.
public enum Outcome {
  case wheel(JSONObject)
  case requirement(JSONObject)
  case failure(ErrorRecord)
}

/// Turns requests into wheels: tries the sources for a package in order and picks the best
/// wheel for the env from the first that has one.
///
/// Sources come in layers, tried in this order: `--template NAME=URL` for the package; the
/// user's own sources (`--find-links`, `--index`, a config's `[sources]`), whose candidates are
/// pooled and ranked together; sources a config adds for its packages (E3's cuda-wheels index);
/// then the registry's, one at a time. A package that no layer knows is a plain PyPI
/// requirement and passes through.
public final class Resolver {
  let pages: PageLoader
  let registry: Registry
  /// `--find-links`, `--index` and config `[sources]`, for every package.
  public var userSources: [Source] = []
  /// `--template NAME=URL`, by normalised name.
  public var templates: [String: [Source]] = [:]
  /// Check every chosen URL exists.
  public var verify = false
  /// Notes for stderr (a choice the env did not determine).
  public var note: (String) -> Void = { _ in }
  /// Find-links pages of the user's that were missing, noted once each.
  var missingPages: Set<String> = []
  /// Notes already given by `noteOnce`.
  private var noted: Set<String> = []
  /// Tag rankings by interpreter and platforms: building one hashes a thousand tags.
  private var rankings: [String: TagRanking] = [:]

  public init(pages: PageLoader, registry: Registry = .builtin) {
    self.pages = pages
    self.registry = registry
  }

  var fetcher: Fetcher { pages.fetcher }

  /// `note`, the first time this text comes up.
  func noteOnce(_ text: String) {
    if noted.insert(text).inserted { note(text) }
  }

  /// The layers of sources for a request, in the order they are tried.
  func layers(for request: Request) -> [[Source]] {
    let name = request.requirement.name
    var layers: [[Source]] = (templates[name] ?? []).map { [$0] }
    if !userSources.isEmpty { layers.append(userSources) }
    let registered = registry.sources(for: name)
    for source in request.extraSources where !registered.contains(source) { layers.append([source]) }
    layers += registered.map { [$0] }
    return layers
  }

  public func resolve(_ request: Request, env: WheelEnv?) -> Outcome {
    if request.passThrough { return .requirement(request.requirementRecord()) }
    if let url = request.requirement.url { return direct(request, url: url) }
    let layers = layers(for: request)
    let knownByName = layers.count > (userSources.isEmpty ? 0 : 1)
    if !knownByName && userSources.isEmpty { return .requirement(request.requirementRecord()) }
    guard let env else {
      return .failure(
        ErrorRecord(
          code: "no-env",
          message:
            "no env record for \(request.requirement.name): pipe cuda-detect into wheel-url, or pass --env FILE",
          id: request.id))
    }
    let adjusted: WheelEnv
    let ranking: TagRanking
    do {
      adjusted = try env.adjusted(request.settings)
      ranking = try self.ranking(for: adjusted)
    } catch {
      return .failure(ErrorRecord(code: "bad-env", message: error.message, id: request.id))
    }
    var search = Search(request: request, env: adjusted, ranking: ranking, resolver: self)
    return search.run(layers: layers, knownByName: knownByName)
  }

  func ranking(for env: WheelEnv) throws(InputError) -> TagRanking {
    let key = "\(env.pythonTag ?? "")-\(env.abi ?? "")-\(env.platformTags.joined(separator: ","))"
    if let ranking = rankings[key] { return ranking }
    let ranking = try env.tagRanking()
    rankings[key] = ranking
    return ranking
  }

  /// `name @ url`: a wheel URL is the answer itself; anything else passes through.
  func direct(_ request: Request, url: String) -> Outcome {
    let filename = URLText.lastSegment(of: url)
    guard let wheel = try? WheelFilename(filename) else { return .requirement(request.requirementRecord()) }
    var record: JSONObject = [
      "type": "wheel", "name": .string(wheel.name), "version": .string(wheel.version.description),
      "url": .string(URLText.removingFragment(url)), "filename": .string(wheel.filename),
    ]
    if let fragment = URLText.fragment(of: url), fragment.lowercased().hasPrefix("sha256=") {
      record["sha256"] = .string(String(fragment.dropFirst(7)).lowercased())
    }
    record["source"] = "direct"
    return .wheel(request.answer(record))
  }
}
