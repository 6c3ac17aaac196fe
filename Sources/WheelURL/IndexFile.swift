import PipeHTTP

/// One file an index or a find-links page links to.
struct IndexFile: Sendable, Equatable {
  /// The file name: the URL's last path segment, percent-decoded.
  var filename: String
  /// The absolute URL, without its fragment.
  var url: String
  /// The hex SHA-256 the index gives (`#sha256=` or PEP 691 `hashes`), lowercased.
  var sha256: String?
  /// `data-requires-python` / `requires-python`.
  var requiresPython: String?
  /// `nil` when not yanked; the reason (maybe empty) when yanked.
  var yanked: String?
  /// The wheel file name the page lists this file under, when it is not `filename`: an alias
  /// (see `FindLinksPage`). Matching uses it; what is installed is still `filename`.
  var listedAs: String?

  init(
    url: String, sha256: String? = nil, requiresPython: String? = nil, yanked: String? = nil, listedAs: String? = nil
  ) {
    let fragment = URLText.fragment(of: url)
    self.url = URLText.removingFragment(url)
    self.filename = URLText.lastSegment(of: self.url)
    var hash = sha256
    if hash == nil, let fragment, fragment.lowercased().hasPrefix("sha256=") {
      hash = String(fragment.dropFirst("sha256=".count))
    }
    self.sha256 = hash?.lowercased()
    self.requiresPython = requiresPython
    self.yanked = yanked
    self.listedAs = listedAs == filename ? nil : listedAs
  }

  /// The PEP 503 normalised project name a wheel file name starts with, or `nil` for a file
  /// that is not a wheel.
  var projectKey: String? {
    guard filename.hasSuffix(".whl"), let dash = filename.firstIndex(of: "-") else { return nil }
    return normalizedProjectName(String(filename[..<dash]))
  }
}

/// The wheel links of a page, by project, read once per URL and run. Links are resolved into
/// files only for the project asked for.
struct WheelLinks: Sendable {
  private(set) var byProject: [String: [PageLink]] = [:]
  private(set) var count = 0

  init(_ links: [PageLink]) {
    for link in links {
      guard let key = link.projectKey else { continue }
      byProject[key, default: []].append(link)
      count += 1
    }
  }

  func files(for project: String) -> [IndexFile] { (byProject[normalizedProjectName(project)] ?? []).map(\.file) }
}
