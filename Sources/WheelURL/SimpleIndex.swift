import PipeHTTP
import PipeKit

/// PEP 503 (HTML) and PEP 691 (JSON) simple repository API: where a project's page is and how
/// to read it.
enum SimpleIndex {
  /// The `Accept` header: JSON preferred, HTML accepted (PEP 691 content negotiation).
  static let accept =
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"

  /// The project page URLs to try, in order: the PEP 503 normalised name, then the spellings the
  /// cuda-wheels index uses for some packages (`o_voxel`), then the name as asked.
  static func projectURLs(base: String, name: String) -> [String] {
    let root = base.hasSuffix("/") ? base : base + "/"
    let normalized = normalizedProjectName(name)
    var urls: [String] = []
    for spelling in [normalized, normalized.replacingAll("-", with: "_"), name] {
      let url = root + URLText.percentEncodedPath(spelling) + "/"
      if !urls.contains(url) { urls.append(url) }
    }
    return urls
  }

  /// Whether a body is PEP 691 JSON: by its content type, or for a local file by its first byte.
  static func isJSON(contentType: String?, body: [UInt8]) -> Bool {
    if let type = contentType?.lowercased() { return type.contains("json") }
    return body.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
  }

  /// The files of a PEP 691 project page.
  /// - Throws: `InputError` when the body is not a PEP 691 document.
  static func parseJSON(_ body: [UInt8], url: String) throws(InputError) -> [IndexFile] {
    let document: JSON
    do {
      document = try JSON.parse(body)
    } catch {
      throw InputError("\(url): not JSON: \(error)")
    }
    guard let files = document["files"]?.arrayValue else {
      throw InputError("\(url): a PEP 691 page needs a \"files\" list")
    }
    return files.compactMap { file in
      guard let href = file["url"]?.stringValue else { return nil }
      let yanked: String? =
        switch file["yanked"] {
        case .bool(true): ""
        case .string(let reason): reason
        default: nil
        }
      return IndexFile(
        url: URLText.resolve(href, against: url), sha256: file["hashes"]?["sha256"]?.stringValue,
        requiresPython: file["requires-python"]?.stringValue, yanked: yanked,
        listedAs: file["filename"]?.stringValue.flatMap { PageLink.alias($0, href: href) })
    }
  }
}
