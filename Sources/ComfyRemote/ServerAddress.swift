import PipeHTTP
import PipeKit

/// One ComfyUI server: scheme, host, port and an optional path prefix (for a server behind a
/// reverse proxy at `https://host/comfy`).
///
/// `baseURL` is the form every record carries in `remote`: `scheme://host:port[/prefix]`, the
/// port always written, no trailing slash, IPv6 hosts in brackets.
public struct ServerAddress: Hashable, Sendable, CustomStringConvertible {
  /// `http` or `https`.
  public var scheme: String
  /// The host as it goes into a URL: a name, an IPv4 address, or `[v6]` with brackets.
  public var host: String
  public var port: Int
  /// `""` or a path such as `/comfy` (leading slash, no trailing slash).
  public var prefix: String

  public init(scheme: String = "http", host: String, port: Int, prefix: String = "") {
    self.scheme = scheme
    self.host = host
    self.port = port
    self.prefix = prefix
  }

  /// The ComfyUI port, used when a bare host is given.
  public static let defaultPort = 8188
  /// The most servers one port range may name.
  public static let maxRange = 1024

  /// `scheme://host:port[/prefix]`.
  public var baseURL: String { "\(scheme)://\(host):\(port)\(prefix)" }
  public var description: String { baseURL }

  /// The URL of an API path such as `/prompt` on this server.
  public func url(_ path: String) -> String { baseURL + path }

  /// The `ws://` URL of the event socket for `clientID`; `nil` over https, where remote-fetch
  /// polls instead.
  public func webSocketURL(clientID: String) -> String? {
    guard scheme == "http" else { return nil }
    return "ws://\(host):\(port)\(prefix)/ws?clientId=\(URLText.percentEncoded(clientID))"
  }

  /// One server from a job record's `remote`; a list, a range or a bad address is refused.
  public static func parseOne(_ text: String) throws(UsageError) -> ServerAddress {
    let found = try parseItem(Substring(text).trimmingSpaces())
    guard found.count == 1 else { throw UsageError("'\(text)' names \(found.count) servers, not one") }
    return found[0]
  }

  /// Parses every `--to` value (each may be a comma list) in order; a server named twice is kept
  /// once, at its first place.
  /// - Throws: `UsageError` naming the bad item.
  public static func parse(_ texts: [String]) throws(UsageError) -> [ServerAddress] {
    var seen: Set<ServerAddress> = []
    var result: [ServerAddress] = []
    for text in texts {
      for address in try parseList(text) where seen.insert(address).inserted { result.append(address) }
    }
    return result
  }

  /// Parses a comma-separated list of addresses: `host`, `host:port`, `host:first-last`,
  /// `[v6]:port`, `http(s)://host[:port][/prefix]` (a port range is allowed there too).
  /// Spaces around items are ignored; an empty item is an error.
  public static func parseList(_ text: String) throws(UsageError) -> [ServerAddress] {
    var result: [ServerAddress] = []
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
      let trimmed = item.trimmingSpaces()
      guard !trimmed.isEmpty else { throw UsageError("server list '\(text)' has an empty item") }
      result += try parseItem(trimmed)
    }
    return result
  }

  /// Parses one address, which names several servers when it has a port range.
  static func parseItem(_ text: String) throws(UsageError) -> [ServerAddress] {
    func bad(_ why: String) -> UsageError { UsageError("server address '\(text)': \(why)") }
    var rest = Substring(text)
    var scheme = "http"
    var explicitScheme = false
    if let range = rest.firstRange(of: "://") {
      scheme = rest[..<range.lowerBound].lowercased()
      guard scheme == "http" || scheme == "https" else { throw bad("the scheme must be http or https") }
      rest = rest[range.upperBound...]
      explicitScheme = true
    }
    guard !rest.contains("?") && !rest.contains("#") else { throw bad("a query or fragment is not allowed") }
    var prefix = ""
    if let slash = rest.firstIndex(of: "/") {
      guard explicitScheme else { throw bad("a path needs a URL with http:// or https://") }
      prefix = String(rest[slash...])
      rest = rest[..<slash]
      while prefix.hasSuffix("/") { prefix.removeLast() }
      guard !prefix.contains("//") else { throw bad("the path has an empty segment") }
    }
    guard !rest.contains("@") else { throw bad("user information is not allowed; send credentials with --header") }
    var host: String
    var portText: Substring?
    if rest.hasPrefix("[") {
      guard let close = rest.firstIndex(of: "]") else { throw bad("an IPv6 address misses its ']'") }
      let inside = rest[rest.index(after: rest.startIndex)..<close]
      guard isIPv6(inside) else { throw bad("'\(inside)' is not an IPv6 address") }
      host = "[\(inside.lowercased())]"
      let after = rest[rest.index(after: close)...]
      if !after.isEmpty {
        guard after.hasPrefix(":") else { throw bad("expected ':PORT' after the IPv6 address") }
        portText = after.dropFirst()
      }
    } else {
      let colons = rest.filter { $0 == ":" }.count
      guard colons <= 1 else { throw bad("write an IPv6 address in brackets, as [::1]:8188") }
      if let colon = rest.firstIndex(of: ":") {
        host = String(rest[..<colon])
        portText = rest[rest.index(after: colon)...]
      } else {
        host = String(rest)
      }
      guard !host.isEmpty else { throw bad("the host is empty") }
      guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") })
      else { throw bad("'\(host)' is not a host name") }
      host = host.lowercased()
    }
    let ports: ClosedRange<Int>
    if let portText {
      ports = try parsePorts(portText, bad: bad)
    } else {
      let port = explicitScheme ? (scheme == "https" ? 443 : 80) : defaultPort
      ports = port...port
    }
    return ports.map { ServerAddress(scheme: scheme, host: host, port: $0, prefix: prefix) }
  }

  private static func parsePorts(_ text: Substring, bad: (String) -> UsageError) throws(UsageError) -> ClosedRange<
    Int
  > {
    func port(_ digits: Substring) throws(UsageError) -> Int {
      guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let value = Int(digits), (1...65535).contains(value)
      else { throw bad("'\(digits)' is not a port (1-65535)") }
      return value
    }
    guard !text.isEmpty else { throw bad("the port is empty") }
    guard let dash = text.firstIndex(of: "-") else {
      let single = try port(text)
      return single...single
    }
    let first = try port(text[..<dash])
    let last = try port(text[text.index(after: dash)...])
    guard first <= last else { throw bad("the port range \(first)-\(last) is reversed") }
    guard last - first < maxRange else { throw bad("the port range names more than \(maxRange) servers") }
    return first...last
  }

  private static func isIPv6(_ text: Substring) -> Bool {
    let address = text.split(separator: "%", maxSplits: 1).first ?? ""
    guard address.contains(":"), address.count >= 2 else { return false }
    return address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
      && address.split(separator: "::", omittingEmptySubsequences: false).count <= 2
  }
}
