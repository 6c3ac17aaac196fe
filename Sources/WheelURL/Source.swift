import PipeKit

/// Where wheels for a package may be found. URLs are templates over `TemplateVariables`.
public struct Source: Sendable, Equatable {
  public enum Kind: Sendable, Equatable {
    /// A page of links to wheels (pip's `--find-links`), or a local directory of wheels.
    case findLinks(url: String)
    /// A PEP 503 / PEP 691 simple index: the project's page is `<url>/<name>/`. `version`, a
    /// template, pins the version (detectron2's builds).
    case index(url: String, version: String?)
    /// The URL of one wheel; `platforms` limits the env platforms it is tried on (empty: all).
    case template(url: String, platforms: [String])
    /// A plain PyPI package whose name is a template (`spconv-cu{cuda_short2}`). `cuda`, when
    /// not empty, lists the CUDA versions PyPI has the package for: the newest at or below the
    /// env's, in its major, is the one named (CUDA minor-version compatibility), and an env
    /// with none of them is a miss.
    case pypiVariant(package: String, cuda: [String])
    /// A plain PyPI package.
    case pypi
  }

  var kind: Kind
  /// A short name for records and messages: the registry source's name, or where it came from.
  var name: String

  public init(_ kind: Kind, name: String) {
    self.kind = kind
    self.name = name
  }

  /// The URL template, for the kinds that have one.
  var urlTemplate: String? {
    switch kind {
    case .findLinks(let url), .index(let url, _), .template(let url, _): url
    case .pypiVariant, .pypi: nil
    }
  }

  /// Whether wheels are read from a page (find-links or index), as opposed to a URL template or
  /// a PyPI name.
  var isPage: Bool {
    switch kind {
    case .findLinks, .index: true
    default: false
    }
  }

  /// Reads one source object: `{"kind": "find-links"|"index"|"template"|"pypi-variant"|"pypi",
  /// "url", "version", "platforms", "package", "cuda", "name"}`.
  init(json: JSON, defaultName: String) throws(InputError) {
    guard case .object(let object) = json, let kind = object["kind"]?.stringValue else {
      throw InputError("a source must be an object with a \"kind\"")
    }
    let url = object["url"]?.stringValue
    func need(_ value: String?, _ key: String) throws(InputError) -> String {
      guard let value, !value.isEmpty else { throw InputError("a \(kind) source needs \"\(key)\"") }
      return value
    }
    name = object["name"]?.stringValue ?? defaultName
    switch kind {
    case "find-links": self.kind = .findLinks(url: try need(url, "url"))
    case "index": self.kind = .index(url: try need(url, "url"), version: object["version"]?.stringValue)
    case "template":
      let platforms = object["platforms"]?.arrayValue?.compactMap(\.stringValue) ?? []
      self.kind = .template(url: try need(url, "url"), platforms: platforms)
    case "pypi-variant":
      let cuda = object["cuda"]?.arrayValue?.compactMap(\.stringValue) ?? []
      guard cuda.allSatisfy({ CUDAVersion($0)?.minor != nil }) else {
        throw InputError("a pypi-variant source's \"cuda\" must list versions like 12.6")
      }
      self.kind = .pypiVariant(package: try need(object["package"]?.stringValue, "package"), cuda: cuda)
    case "pypi": self.kind = .pypi
    default: throw InputError("unknown source kind '\(kind)'")
    }
  }
}
