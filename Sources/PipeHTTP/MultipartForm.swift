/// A `multipart/form-data` body (RFC 7578), as a browser sends a form with a file in it.
///
/// Fields and files are written in the order they are added. The boundary is random and is
/// checked against every part, so no content can end the body early. Names and file names are
/// quoted; `"`, CR and LF in them are percent-encoded as the HTML standard says.
///
/// ```swift
/// var form = MultipartForm()
/// form.addField("subfolder", "jobs/abc")
/// form.addFile("image", fileName: "in.png", contentType: "image/png", bytes: png)
/// client.send(.post, url, headers: ["Content-Type: \(form.contentType)"], body: form.body)
/// ```
public struct MultipartForm: Sendable {
  private enum Part: Sendable {
    case field(name: String, value: String)
    case file(name: String, fileName: String, contentType: String, bytes: [UInt8])
  }

  private var parts: [Part] = []
  /// The boundary; chosen when the body is rendered so that no part contains it.
  public private(set) var boundary: String

  public init(boundary: String? = nil) {
    self.boundary = boundary ?? MultipartForm.randomBoundary()
  }

  /// Adds a text field.
  public mutating func addField(_ name: String, _ value: String) {
    parts.append(.field(name: name, value: value))
  }

  /// Adds a file part with its file name and content type.
  public mutating func addFile(
    _ name: String, fileName: String, contentType: String = "application/octet-stream", bytes: [UInt8]
  ) {
    parts.append(.file(name: name, fileName: fileName, contentType: contentType, bytes: bytes))
  }

  /// The `Content-Type` header value, boundary included. Read it after `body`.
  public var contentType: String { "multipart/form-data; boundary=\(boundary)" }

  /// The encoded body. When a part happens to contain the boundary, a new one is chosen first
  /// (so read `contentType` after this).
  public var body: [UInt8] {
    mutating get {
      while parts.contains(where: { MultipartForm.contains($0, Array("--\(boundary)".utf8)) }) {
        boundary = MultipartForm.randomBoundary()
      }
      return render()
    }
  }

  private func render() -> [UInt8] {
    var out: [UInt8] = []
    let crlf: [UInt8] = [0x0D, 0x0A]
    for part in parts {
      out += Array("--\(boundary)".utf8) + crlf
      switch part {
      case .field(let name, let value):
        out += Array("Content-Disposition: form-data; name=\"\(MultipartForm.quoted(name))\"".utf8) + crlf + crlf
        out += Array(value.utf8)
      case .file(let name, let fileName, let contentType, let bytes):
        let disposition =
          "Content-Disposition: form-data; name=\"\(MultipartForm.quoted(name))\"; filename=\"\(MultipartForm.quoted(fileName))\""
        out += Array(disposition.utf8) + crlf
        out += Array("Content-Type: \(contentType.filter { $0 != "\r" && $0 != "\n" })".utf8) + crlf + crlf
        out += bytes
      }
      out += crlf
    }
    out += Array("--\(boundary)--".utf8) + crlf
    return out
  }

  /// A name as it goes between quotes: `"`, CR and LF percent-encoded.
  static func quoted(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "%22"
      case "\r": out += "%0D"
      case "\n": out += "%0A"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  private static func contains(_ part: Part, _ needle: [UInt8]) -> Bool {
    switch part {
    case .field(_, let value): Array(value.utf8).contains(subsequence: needle)
    case .file(_, _, _, let bytes): bytes.contains(subsequence: needle)
    }
  }

  static func randomBoundary() -> String {
    let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
    return "cpipes-" + String((0..<24).map { _ in digits.randomElement()! })
  }
}

extension Array where Element == UInt8 {
  /// Whether `needle` occurs in the array.
  func contains(subsequence needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
    let first = needle[0]
    var k = 0
    while k <= count - needle.count {
      if self[k] == first && self[k..<(k + needle.count)].elementsEqual(needle) { return true }
      k += 1
    }
    return false
  }
}
