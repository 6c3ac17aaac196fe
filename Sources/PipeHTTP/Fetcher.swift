import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What a location holds.
public enum FetchResult: Sendable, Equatable {
  /// A document: its final URL (after redirects), content type when the server said, and bytes.
  case document(url: String, contentType: String?, body: [UInt8])
  /// A local directory: the names in it (hidden ones left out), sorted.
  case directory(url: String, names: [String])
  /// Nothing there: a 404 or 410, or a local path that does not exist.
  case missing(url: String, status: Int?)
}

/// Why a location could not be read.
public struct FetchError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// `--offline` forbids the network and the location is remote.
    case offline
    /// No HTTP answer (connection, timeout, name resolution, libcurl missing).
    case network(HTTPFailure.Kind)
    /// An HTTP status other than success or not-found.
    case status(Int)
    /// A local file that exists but cannot be read.
    case unreadable
    /// The document is larger than the limit the caller gave, in bytes.
    case tooLarge(limit: Int)
  }

  public var kind: Kind
  public var url: String
  public var message: String
  public var attempts: Int

  public init(kind: Kind, url: String, message: String, attempts: Int = 1) {
    self.kind = kind
    self.url = url
    self.message = message
    self.attempts = attempts
  }

  public var description: String { message }

  /// Whether trying again later may help: the network failed, not the request.
  public var isTemporary: Bool {
    switch kind {
    case .network(let kind): kind == .connection || kind == .timeout || kind == .resolve
    case .status(let status): status >= 500
    default: false
    }
  }
}

/// Reads locations: http and https through `HTTPClient`, `file://` URLs and local directories
/// from the file system. With `offline` set it never touches the network.
public struct Fetcher: Sendable {
  public var client: HTTPClient
  public var offline: Bool
  /// The largest local file read as a document.
  public var maxFileBytes = 256 << 20

  public init(client: HTTPClient = HTTPClient(), offline: Bool = false) {
    self.client = client
    self.offline = offline
  }

  /// Reads a document or lists a directory. `accept` is sent as the `Accept` header.
  public func get(_ url: String, accept: String? = nil) throws(FetchError) -> FetchResult {
    if let path = URLText.path(ofFileURL: url) { return try readLocal(path, url: url) }
    let response = try send(.get, url, headers: accept.map { ["Accept: \($0)"] } ?? [])
    switch response.status {
    case 200..<300:
      return .document(url: response.url, contentType: response.contentType, body: response.body)
    case 404, 410:
      return .missing(url: url, status: response.status)
    default:
      throw FetchError(
        kind: .status(response.status), url: url, message: "\(url): HTTP \(response.status)",
        attempts: response.attempts)
    }
  }

  /// What `stream` found: a document (its bytes went to the consumer), a local directory, or
  /// nothing.
  public enum Streamed: Sendable, Equatable {
    /// The final URL (after redirects) and the content type when the server said.
    case document(url: String, contentType: String?)
    case directory(url: String, names: [String])
    case missing(url: String, status: Int?)
  }

  /// Reads a document as `get` does, but hands its bytes to `consume` as they arrive instead of
  /// holding them (the bytes of a 404 page may reach `consume` too: ignore them on `.missing`).
  /// `restart` runs before every attempt. A document over `limit` bytes throws `.tooLarge`.
  public func stream(
    _ url: String, accept: String? = nil, limit: Int, restart: () -> Void, consume: (UnsafeRawBufferPointer) -> Void
  ) throws(FetchError) -> Streamed {
    let tooLarge = FetchError(
      kind: .tooLarge(limit: limit), url: url, message: "\(url): larger than the limit of \(limit) bytes")
    if let path = URLText.path(ofFileURL: url) {
      var info = stat()
      guard stat(path, &info) == 0 else {
        if errno == ENOENT || errno == ENOTDIR { return .missing(url: url, status: nil) }
        throw FetchError(kind: .unreadable, url: url, message: "\(path): \(String(cString: strerror(errno)))")
      }
      if (info.st_mode & S_IFMT) == S_IFDIR {
        guard case .directory(let base, let names) = try readLocal(path, url: url) else {
          return .missing(url: url, status: nil)
        }
        return .directory(url: base, names: names)
      }
      guard (info.st_mode & S_IFMT) == S_IFREG else {
        throw FetchError(kind: .unreadable, url: url, message: "\(path): not a regular file")
      }
      guard Int(info.st_size) <= limit else { throw tooLarge }
      restart()
      do {
        let fd = try FileDescriptor.open(path, O_RDONLY | O_NONBLOCK)
        try fd.closeAfter { fd in
          var buffer = [UInt8](repeating: 0, count: 1 << 20)
          var total = 0
          while true {
            let n = try buffer.withUnsafeMutableBytes { try fd.read(into: $0) }
            if n == 0 { break }
            total += n
            guard total <= limit else { throw tooLarge }
            buffer.withUnsafeBytes { consume(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
          }
        }
      } catch let error as FetchError {
        throw error
      } catch {
        throw FetchError(kind: .unreadable, url: url, message: "\(path): \(error)")
      }
      return .document(url: url, contentType: nil)
    }
    guard !offline else {
      throw FetchError(kind: .offline, url: url, message: "\(url): --offline forbids the network")
    }
    var bounded = client
    bounded.options.maxBodyBytes = limit
    let response: HTTPResponse
    do {
      response = try bounded.download(
        url, headers: accept.map { ["Accept: \($0)"] } ?? [], restart: restart,
        consume: {
          consume($0)
          return true
        })
    } catch {
      if error.kind == .tooLarge { throw tooLarge }
      throw FetchError(kind: .network(error.kind), url: url, message: error.description, attempts: error.attempts)
    }
    switch response.status {
    case 200..<300: return .document(url: response.url, contentType: response.contentType)
    case 404, 410: return .missing(url: url, status: response.status)
    default:
      throw FetchError(
        kind: .status(response.status), url: url, message: "\(url): HTTP \(response.status)",
        attempts: response.attempts)
    }
  }

  /// Whether a file is there: `stat` for a local one; for a remote one `HEAD`, then (when the
  /// server refuses HEAD) a `GET` of its first byte.
  public func exists(_ url: String) throws(FetchError) -> Bool {
    if let path = URLText.path(ofFileURL: url) {
      var info = stat()
      return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }
    let head = try send(.head, url)
    if (200..<300).contains(head.status) { return true }
    if head.status == 404 || head.status == 410 { return false }
    var ranged = client
    ranged.options.maxBodyBytes = 1 << 16
    let get = try send(.get, url, range: "0-0", using: ranged)
    return (200..<300).contains(get.status)
  }

  private func send(
    _ method: HTTPClient.Method, _ url: String, headers: [String] = [], range: String? = nil,
    using client: HTTPClient? = nil
  ) throws(FetchError) -> HTTPResponse {
    guard !offline else {
      throw FetchError(kind: .offline, url: url, message: "\(url): --offline forbids the network")
    }
    do {
      return try (client ?? self.client).send(method, url, headers: headers, range: range)
    } catch {
      throw FetchError(kind: .network(error.kind), url: url, message: error.description, attempts: error.attempts)
    }
  }

  private func readLocal(_ path: String, url: String) throws(FetchError) -> FetchResult {
    var info = stat()
    guard stat(path, &info) == 0 else {
      if errno == ENOENT || errno == ENOTDIR { return .missing(url: url, status: nil) }
      throw FetchError(kind: .unreadable, url: url, message: "\(path): \(String(cString: strerror(errno)))")
    }
    if (info.st_mode & S_IFMT) == S_IFDIR {
      guard let names = listDirectory(path) else {
        throw FetchError(kind: .unreadable, url: url, message: "\(path): \(String(cString: strerror(errno)))")
      }
      let base = url.hasSuffix("/") ? url : url + "/"
      return .directory(url: base, names: names)
    }
    do {
      let fd = try FileDescriptor.open(path, O_RDONLY)
      let body = try fd.closeAfter { try $0.readAll(limit: maxFileBytes + 1) }
      guard body.count <= maxFileBytes else {
        throw FetchError(kind: .unreadable, url: url, message: "\(path): larger than \(maxFileBytes) bytes")
      }
      return .document(url: url, contentType: nil, body: body)
    } catch let error as FetchError {
      throw error
    } catch {
      throw FetchError(kind: .unreadable, url: url, message: "\(path): \(error)")
    }
  }
}

/// The names in a directory except `.`-prefixed ones, sorted; `nil` when it cannot be read.
/// The corresponding C functions are `opendir`, `readdir` and `closedir`.
func listDirectory(_ path: String) -> [String]? {
  guard let dir = opendir(path) else { return nil }
  defer { closedir(dir) }
  var names: [String] = []
  while let entry = readdir(dir) {
    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    if !name.hasPrefix(".") { names.append(name) }
  }
  return names.sorted()
}
