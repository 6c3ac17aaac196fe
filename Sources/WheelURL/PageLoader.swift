import PipeHTTP

/// Reads find-links pages, index project pages and local directories into wheel links, each URL
/// once per run.
///
/// A page is parsed as it arrives and only its wheel links are kept; a page over `maxPageBytes`
/// is an error. From a page read over http or https only links to that same scheme or to https
/// are kept: a remote page cannot send wheel-url to `file://`, `ftp://` or plain http.
public final class PageLoader {
  /// The largest page read (HTML or JSON), in bytes: 256 MiB.
  static let defaultMaxPageBytes = 256 << 20
  var maxPageBytes = PageLoader.defaultMaxPageBytes
  enum Page {
    /// The wheel links found, and the URL they were read from (after redirects).
    case links(WheelLinks, url: String)
    /// Nothing at that URL (404, 410, a missing path).
    case missing(url: String, status: Int?)
    case failed(FetchError)
  }

  let fetcher: Fetcher
  private var cache: [String: Page] = [:]
  /// Hosts that could not be reached (after the client's retries), with the failure: later
  /// URLs on them fail at once instead of waiting through the retries again.
  private var unreachable: [String: FetchError] = [:]

  public init(fetcher: Fetcher) { self.fetcher = fetcher }

  func load(_ url: String, accept: String? = nil) -> Page {
    if let page = cache[url] { return page }
    let host = Self.host(of: url)
    if let failure = unreachable[host] {
      return .failed(
        FetchError(kind: failure.kind, url: url, message: "\(url): \(host) unreachable (\(failure.message))"))
    }
    let page = read(url, accept: accept)
    if case .failed(let error) = page, case .network = error.kind, error.isTemporary { unreachable[host] = error }
    cache[url] = page
    return page
  }

  /// `scheme://authority` of a URL.
  static func host(of url: String) -> String {
    guard let scheme = URLText.scheme(of: url) else { return url }
    let rest = url.dropFirst(scheme.count + 3)
    return scheme + "://" + rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
  }

  private func read(_ url: String, accept: String?) -> Page {
    var stream = PageStream(wheelsOnly: true)
    do {
      let found = try fetcher.stream(
        url, accept: accept, limit: maxPageBytes, restart: { stream = PageStream(wheelsOnly: true) },
        consume: { stream.feed($0) })
      switch found {
      case .document(let finalURL, let contentType):
        var links: [PageLink]
        if let json = stream.json {
          links = try Self.parse(json, contentType: contentType, url: finalURL)
        } else {
          links = stream.finishHTML(url: finalURL)
        }
        if let scheme = URLText.scheme(of: finalURL), URLText.isRemote(finalURL) {
          links.removeAll { $0.scheme != scheme && $0.scheme != "https" }
        }
        return .links(WheelLinks(links), url: finalURL)
      case .directory(let dirURL, let names):
        var links = names.filter { $0.hasSuffix(".whl") }.map {
          PageLink(href: URLText.percentEncodedPath($0), base: dirURL)
        }
        if names.contains("index.html"),
          case .document(let pageURL, _, let body) = try fetcher.get(dirURL + "index.html")
        {
          links += FindLinksPage.links(body, url: pageURL)
        }
        return .links(WheelLinks(links), url: dirURL)
      case .missing(let missingURL, let status):
        return .missing(url: missingURL, status: status)
      }
    } catch {
      return .failed(error)
    }
  }

  /// A body as PEP 691 JSON or as HTML links.
  static func parse(_ body: [UInt8], contentType: String?, url: String) throws(FetchError) -> [PageLink] {
    guard SimpleIndex.isJSON(contentType: contentType, body: body) else { return FindLinksPage.links(body, url: url) }
    do {
      return try SimpleIndex.parseJSON(body, url: url).map {
        PageLink(
          href: $0.url, base: url, sha256: $0.sha256, requiresPython: $0.requiresPython, yanked: $0.yanked,
          listedAs: $0.listedAs)
      }
    } catch {
      throw FetchError(kind: .unreadable, url: url, message: error.message)
    }
  }
}
