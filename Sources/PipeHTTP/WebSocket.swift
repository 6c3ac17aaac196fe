import PipeKit

/// An RFC 6455 WebSocket client over a plain TCP connection (`ws://`; no TLS, no extensions).
///
/// `connect` performs the opening handshake and checks `Sec-WebSocket-Accept`; `receive`
/// returns whole text and binary messages, answering pings and the peer's close on its own;
/// `close` runs the closing handshake. Every call is bounded by a timeout, and frames and
/// messages over the limits end the connection with close code 1009.
public final class WebSocket: @unchecked Sendable {
  public struct Options: Sendable {
    /// Seconds for the TCP connection and the opening handshake each.
    public var connectTimeout: Double = 10
    /// Seconds a write (a message, a pong, a close) may take.
    public var writeTimeout: Double = 10
    /// The largest frame payload accepted.
    public var maxFrameBytes: Int = 16 << 20
    /// The largest message accepted, fragments joined.
    public var maxMessageBytes: Int = 64 << 20
    public init() {}
  }

  /// Where to connect: host (an IPv6 literal without brackets), port and request target.
  public struct Endpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var target: String

    public init(host: String, port: Int, target: String) {
      self.host = host
      self.port = port
      self.target = target
    }

    /// Parses `ws://host[:port]/path?query` (`http://` is read as `ws://`; the port defaults
    /// to 80). `wss` and `https` are refused: this client has no TLS.
    public init(url: String) throws(WebSocketError) {
      let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
      guard parts.count == 2 else { throw WebSocketError(.handshake, "'\(url)' is not a URL") }
      let scheme = parts[0].lowercased()
      guard scheme == "ws" || scheme == "http" else {
        throw WebSocketError(.handshake, "'\(scheme)' is not supported: plain ws:// or http:// only")
      }
      let rest = parts[1]
      let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
      let authority = rest[..<authorityEnd]
      var target = String(rest[authorityEnd...])
      if target.isEmpty || target.hasPrefix("?") { target = "/" + target }
      var hostPart = Substring(authority)
      var portText: Substring?
      if authority.hasPrefix("[") {
        guard let close = authority.firstIndex(of: "]") else {
          throw WebSocketError(.handshake, "bad IPv6 host in '\(url)'")
        }
        hostPart = authority[authority.index(after: authority.startIndex)..<close]
        let after = authority[authority.index(after: close)...]
        if after.hasPrefix(":") { portText = after.dropFirst() }
      } else if let colon = authority.lastIndex(of: ":") {
        hostPart = authority[..<colon]
        portText = authority[authority.index(after: colon)...]
      }
      let port = portText.map { Int($0) } ?? 80
      guard let port, (1...65535).contains(port), !hostPart.isEmpty else {
        throw WebSocketError(.handshake, "bad host or port in '\(url)'")
      }
      self.init(host: String(hostPart), port: port, target: target)
    }

    /// The `Host` header's value.
    public var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + (port == 80 ? "" : ":\(port)") }
  }

  public let endpoint: Endpoint
  public let options: Options
  private let connection: TCPConnection
  private var buffer: [UInt8]
  private var assembler: WebSocketAssembler
  private var closeSent = false
  private var finished = false

  private init(endpoint: Endpoint, options: Options, connection: TCPConnection, leftover: [UInt8]) {
    self.endpoint = endpoint
    self.options = options
    self.connection = connection
    self.buffer = leftover
    self.assembler = WebSocketAssembler(maxMessage: options.maxMessageBytes)
  }

  /// Connects and performs the opening handshake (RFC 6455 §4.1).
  /// - Parameter headers: extra request lines, `Name: value` each (for example credentials).
  public static func connect(
    _ url: String, headers: [String] = [], options: Options = Options()
  ) throws(WebSocketError) -> WebSocket {
    let endpoint = try Endpoint(url: url)
    let connection = try TCPConnection.connect(
      host: endpoint.host, port: endpoint.port, timeout: options.connectTimeout)
    let deadline = monotonicSeconds() + options.connectTimeout
    let key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
    var request = "GET \(endpoint.target) HTTP/1.1\r\nHost: \(endpoint.hostHeader)\r\nUpgrade: websocket\r\n"
    request += "Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n"
    request += "User-Agent: comfy-pipes/\(pipeKitVersion)\r\n"
    for header in headers { request += header + "\r\n" }
    try connection.write(Array((request + "\r\n").utf8), until: deadline)
    var received: [UInt8] = []
    var headerEnd: Int?
    while headerEnd == nil {
      guard let chunk = try connection.read(until: deadline) else {
        throw WebSocketError(.timeout, "no handshake answer from \(endpoint.hostHeader) in time")
      }
      guard !chunk.isEmpty else {
        throw WebSocketError(.handshake, "the server closed the connection during the handshake")
      }
      received += chunk
      headerEnd = HandshakeResponse.end(of: received)
      if headerEnd == nil && received.count > 16 << 10 {
        throw WebSocketError(.handshake, "the handshake answer is longer than 16 KiB")
      }
    }
    let response = HandshakeResponse(String(decoding: received[..<headerEnd!], as: UTF8.self))
    try response.check(key: key)
    return WebSocket(
      endpoint: endpoint, options: options, connection: connection, leftover: Array(received[headerEnd!...]))
  }

  /// The `Sec-WebSocket-Accept` value for a key (RFC 6455 §4.2.2).
  public static func acceptValue(forKey key: String) -> String {
    Base64.encode(SHA1.digest(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)))
  }

  /// The next text or binary message, or the peer's close; `nil` when `timeout` seconds pass
  /// first. Pings are answered and pongs dropped here. After a close, or an error (which sends
  /// the close code it calls for), the connection is finished and further calls throw.
  public func receive(timeout: Double) throws(WebSocketError) -> WebSocketMessage? {
    guard !finished else { throw WebSocketError(.connection, "the connection is closed") }
    let deadline = monotonicSeconds() + timeout
    while true {
      let decoded: (frame: WebSocketFrame, consumed: Int)?
      do {
        decoded = try WebSocketFrame.decode(buffer[...], maxPayload: options.maxFrameBytes)
        if let decoded {
          buffer.removeSubrange(0..<decoded.consumed)
          if let message = try assembler.add(decoded.frame) {
            switch message {
            case .ping(let payload): try send(WebSocketFrame(opcode: .pong, payload: payload))
            case .pong: break
            case .close(let code, _):
              if !closeSent { try? send(Self.closeFrame(code == 1005 ? 1000 : code, "")) }
              finish()
              return message
            default: return message
            }
          }
          continue
        }
      } catch {
        fail(error)
        throw error
      }
      let chunk: [UInt8]?
      do {
        chunk = try connection.read(until: deadline)
      } catch {
        finish()
        throw error
      }
      guard let chunk else { return nil }
      guard !chunk.isEmpty else {
        finish()
        throw WebSocketError(.connection, "the server closed the connection without a close frame")
      }
      buffer += chunk
    }
  }

  /// Sends a text message in one frame.
  public func send(text: String) throws(WebSocketError) {
    try send(WebSocketFrame(opcode: .text, payload: Array(text.utf8)))
  }

  /// Sends a binary message in one frame.
  public func send(binary: [UInt8]) throws(WebSocketError) {
    try send(WebSocketFrame(opcode: .binary, payload: binary))
  }

  /// Sends a ping; its pong is dropped by `receive`.
  public func ping(_ payload: [UInt8] = []) throws(WebSocketError) {
    try send(WebSocketFrame(opcode: .ping, payload: payload))
  }

  /// Sends any frame, masked with a fresh key.
  public func send(_ frame: WebSocketFrame) throws(WebSocketError) {
    guard !finished else { throw WebSocketError(.connection, "the connection is closed") }
    if frame.opcode == .close { closeSent = true }
    let key = (0..<4).map { _ in UInt8.random(in: 0...255) }
    do {
      try connection.write(frame.encoded(maskKey: key), until: monotonicSeconds() + options.writeTimeout)
    } catch {
      finish()
      throw error
    }
  }

  /// The closing handshake: sends `code`, waits up to `timeout` for the server's close, then
  /// closes the socket.
  public func close(code: UInt16 = 1000, reason: String = "", timeout: Double = 1) {
    guard !finished else { return }
    do {
      try send(Self.closeFrame(code, reason))
      let deadline = monotonicSeconds() + timeout
      while !finished, monotonicSeconds() < deadline {
        if case .close = try receive(timeout: deadline - monotonicSeconds()) { break }
      }
    } catch {}
    finish()
  }

  static func closeFrame(_ code: UInt16, _ reason: String) -> WebSocketFrame {
    WebSocketFrame(opcode: .close, payload: [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8.prefix(123)))
  }

  private func fail(_ error: WebSocketError) {
    if !closeSent { try? send(Self.closeFrame(error.closeCode, "")) }
    finish()
  }

  private func finish() {
    finished = true
    connection.close()
  }
}

/// The server's answer to the opening handshake.
struct HandshakeResponse {
  var statusLine: String
  var headers: [String: String] = [:]

  /// The index just past `\r\n\r\n`, or `nil`.
  static func end(of bytes: [UInt8]) -> Int? {
    guard bytes.count >= 4 else { return nil }
    for k in 3..<bytes.count
    where bytes[k] == 0x0A && bytes[k - 1] == 0x0D && bytes[k - 2] == 0x0A && bytes[k - 3] == 0x0D {
      return k + 1
    }
    return nil
  }

  init(_ text: String) {
    let lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)
    statusLine = lines.first.map(String.init) ?? ""
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let name = line[..<colon].lowercased()
      let value = line[line.index(after: colon)...].trimmingSpaces()
      headers[name] = headers[name].map { $0 + ", " + value } ?? value
    }
  }

  func check(key: String) throws(WebSocketError) {
    let words = statusLine.split(separator: " ")
    guard words.count >= 2, words[0].hasPrefix("HTTP/1."), words[1] == "101" else {
      throw WebSocketError(.handshake, "the server did not switch protocols: '\(statusLine.prefix(200))'")
    }
    guard headers["upgrade"]?.lowercased() == "websocket" else {
      throw WebSocketError(.handshake, "the answer has no 'Upgrade: websocket'")
    }
    guard headers["connection"]?.lowercased().contains("upgrade") == true else {
      throw WebSocketError(.handshake, "the answer has no 'Connection: Upgrade'")
    }
    guard headers["sec-websocket-accept"] == WebSocket.acceptValue(forKey: key) else {
      throw WebSocketError(.handshake, "wrong Sec-WebSocket-Accept in the answer")
    }
    if let extensions = headers["sec-websocket-extensions"], !extensions.isEmpty {
      throw WebSocketError(.handshake, "the server chose extensions that were not offered: \(extensions)")
    }
  }
}

extension Substring {
  /// The text without the spaces and tabs at either end.
  public func trimmingSpaces() -> String {
    String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
  }
}
