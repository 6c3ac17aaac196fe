/// A WebSocket frame's opcode (RFC 6455 §5.2).
public enum WebSocketOpcode: UInt8, Sendable {
  case continuation = 0x0
  case text = 0x1
  case binary = 0x2
  case close = 0x8
  case ping = 0x9
  case pong = 0xA

  /// Close, ping and pong: never fragmented, at most 125 bytes of payload.
  public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// Why a connection must end: a protocol violation or a limit, with the close code to send.
public struct WebSocketError: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The peer broke RFC 6455 (close code 1002).
    case protocolError
    /// A text message that is not UTF-8 (1007).
    case invalidText
    /// A frame or message over the size limit (1009).
    case tooBig
    /// The opening handshake failed: no 101, or a wrong `Sec-WebSocket-Accept`.
    case handshake
    /// Connecting, reading or writing failed, or the peer went away.
    case connection
    /// A deadline passed.
    case timeout
  }

  public var kind: Kind
  public var message: String

  public init(_ kind: Kind, _ message: String) {
    self.kind = kind
    self.message = message
  }

  public var description: String { message }

  /// The close code this error calls for (RFC 6455 §7.4.1).
  public var closeCode: UInt16 {
    switch kind {
    case .invalidText: 1007
    case .tooBig: 1009
    default: 1002
    }
  }
}

/// One frame, as on the wire but unmasked.
public struct WebSocketFrame: Sendable, Equatable {
  public var fin: Bool
  public var opcode: WebSocketOpcode
  public var payload: [UInt8]

  public init(fin: Bool = true, opcode: WebSocketOpcode, payload: [UInt8] = []) {
    self.fin = fin
    self.opcode = opcode
    self.payload = payload
  }

  /// The frame's bytes. A client masks with `maskKey` (4 bytes, RFC 6455 §5.3); a server
  /// sends `nil`.
  public func encoded(maskKey: [UInt8]?) -> [UInt8] {
    var out: [UInt8] = [(fin ? 0x80 : 0) | opcode.rawValue]
    let maskBit: UInt8 = maskKey == nil ? 0 : 0x80
    let n = payload.count
    if n < 126 {
      out.append(maskBit | UInt8(n))
    } else if n <= 0xFFFF {
      out += [maskBit | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
    } else {
      out.append(maskBit | 127)
      for shift in stride(from: 56, through: 0, by: -8) {
        out.append(UInt8(truncatingIfNeeded: UInt64(n) >> UInt64(shift)))
      }
    }
    guard let maskKey else { return out + payload }
    out += maskKey
    out.reserveCapacity(out.count + n)
    for (k, byte) in payload.enumerated() { out.append(byte ^ maskKey[k & 3]) }
    return out
  }

  /// Decodes the frame at the start of `bytes`: the frame and the bytes it used, or `nil` when
  /// more bytes are needed. A pure function, so every rule is testable on fixed bytes.
  /// - Parameters:
  ///   - maxPayload: frames that declare a longer payload fail with `.tooBig` before any of it
  ///     is read.
  ///   - fromServer: a server's frames must not be masked, a client's must be.
  public static func decode(
    _ bytes: ArraySlice<UInt8>, maxPayload: Int, fromServer: Bool = true
  ) throws(WebSocketError) -> (frame: WebSocketFrame, consumed: Int)? {
    let start = bytes.startIndex
    guard bytes.count >= 2 else { return nil }
    let b0 = bytes[start]
    let b1 = bytes[start + 1]
    guard b0 & 0x70 == 0 else {
      throw WebSocketError(.protocolError, "reserved bits set without a negotiated extension")
    }
    guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
      throw WebSocketError(.protocolError, "unknown opcode \(b0 & 0x0F)")
    }
    let fin = b0 & 0x80 != 0
    let masked = b1 & 0x80 != 0
    if masked == fromServer {
      throw WebSocketError(.protocolError, fromServer ? "a server frame is masked" : "a client frame is not masked")
    }
    var length = UInt64(b1 & 0x7F)
    var header = 2
    if length == 126 {
      guard bytes.count >= 4 else { return nil }
      length = UInt64(bytes[start + 2]) << 8 | UInt64(bytes[start + 3])
      guard length >= 126 else { throw WebSocketError(.protocolError, "length \(length) not in minimal form") }
      header = 4
    } else if length == 127 {
      guard bytes.count >= 10 else { return nil }
      length = 0
      for k in 2..<10 { length = length << 8 | UInt64(bytes[start + k]) }
      guard length >> 63 == 0 else { throw WebSocketError(.protocolError, "frame length has its top bit set") }
      guard length > 0xFFFF else { throw WebSocketError(.protocolError, "length \(length) not in minimal form") }
      header = 10
    }
    if opcode.isControl {
      guard fin else { throw WebSocketError(.protocolError, "a fragmented control frame") }
      guard length <= 125 else { throw WebSocketError(.protocolError, "a control frame of \(length) bytes") }
    }
    guard length <= UInt64(maxPayload) else {
      throw WebSocketError(.tooBig, "a frame of \(length) bytes is over the limit of \(maxPayload)")
    }
    let maskStart = start + header
    if masked { header += 4 }
    let total = header + Int(length)
    guard bytes.count >= total else { return nil }
    var payload = Array(bytes[(start + header)..<(start + total)])
    if masked {
      let key = Array(bytes[maskStart..<(maskStart + 4)])
      for k in payload.indices { payload[k] ^= key[k & 3] }
    }
    return (WebSocketFrame(fin: fin, opcode: opcode, payload: payload), total)
  }
}

/// A message or control event, after reassembly.
public enum WebSocketMessage: Sendable, Equatable {
  case text(String)
  case binary([UInt8])
  case ping([UInt8])
  case pong([UInt8])
  /// The peer's close frame: its code (1005 when it sent none) and reason.
  case close(code: UInt16, reason: String)
}

/// Joins fragmented messages (RFC 6455 §5.4): control frames may arrive between fragments and
/// are passed on at once; a continuation without a start, or a new message inside one, fails.
public struct WebSocketAssembler: Sendable {
  public let maxMessage: Int
  private var opcode: WebSocketOpcode?
  private var buffer: [UInt8] = []

  public init(maxMessage: Int) { self.maxMessage = maxMessage }

  /// The message `frame` completes, or `nil` while a fragmented one is still open.
  public mutating func add(_ frame: WebSocketFrame) throws(WebSocketError) -> WebSocketMessage? {
    switch frame.opcode {
    case .ping: return .ping(frame.payload)
    case .pong: return .pong(frame.payload)
    case .close: return try Self.close(frame.payload)
    case .continuation:
      guard let open = opcode else { throw WebSocketError(.protocolError, "a continuation frame with no message open") }
      try append(frame.payload)
      guard frame.fin else { return nil }
      opcode = nil
      defer { buffer = [] }
      return try Self.message(open, buffer)
    case .text, .binary:
      guard opcode == nil else { throw WebSocketError(.protocolError, "a new message inside a fragmented one") }
      if frame.fin {
        guard frame.payload.count <= maxMessage else { throw tooBig(frame.payload.count) }
        return try Self.message(frame.opcode, frame.payload)
      }
      opcode = frame.opcode
      buffer = []
      try append(frame.payload)
      return nil
    }
  }

  private mutating func append(_ bytes: [UInt8]) throws(WebSocketError) {
    guard buffer.count + bytes.count <= maxMessage else { throw tooBig(buffer.count + bytes.count) }
    buffer += bytes
  }

  private func tooBig(_ n: Int) -> WebSocketError {
    WebSocketError(.tooBig, "a message of \(n)+ bytes is over the limit of \(maxMessage)")
  }

  private static func message(_ opcode: WebSocketOpcode, _ bytes: [UInt8]) throws(WebSocketError) -> WebSocketMessage {
    guard opcode == .text else { return .binary(bytes) }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw WebSocketError(.invalidText, "a text message that is not UTF-8")
    }
    return .text(text)
  }

  /// A close frame's payload: empty, or a 2-byte code (a valid one) and a UTF-8 reason.
  static func close(_ payload: [UInt8]) throws(WebSocketError) -> WebSocketMessage {
    if payload.isEmpty { return .close(code: 1005, reason: "") }
    guard payload.count >= 2 else { throw WebSocketError(.protocolError, "a close frame with a 1-byte payload") }
    let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
    guard isValidCloseCode(code) else { throw WebSocketError(.protocolError, "close code \(code) is not allowed") }
    guard let reason = String(validating: payload[2...], as: UTF8.self) else {
      throw WebSocketError(.invalidText, "a close reason that is not UTF-8")
    }
    return .close(code: code, reason: reason)
  }

  /// Codes a peer may send (RFC 6455 §7.4): 1000–1003, 1007–1011, 1012–1014, 3000–4999.
  public static func isValidCloseCode(_ code: UInt16) -> Bool {
    switch code {
    case 1000...1003, 1007...1014, 3000...4999: true
    default: false
    }
  }
}
