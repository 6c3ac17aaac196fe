import PipeHTTP
import PipeKit
import Testing

/// The frame codec and the assembler on fixed bytes (RFC 6455 §5, with its own examples).
@Suite struct WebSocketFrameTests {
  func decode(_ bytes: [UInt8], max: Int = 1 << 20, fromServer: Bool = true) throws -> WebSocketFrame? {
    try WebSocketFrame.decode(bytes[...], maxPayload: max, fromServer: fromServer)?.frame
  }

  func failure(_ bytes: [UInt8], max: Int = 1 << 20) -> WebSocketError? {
    do {
      _ = try WebSocketFrame.decode(bytes[...], maxPayload: max)
      return nil
    } catch {
      return error
    }
  }

  @Test func rfcExamples() throws {
    // §5.7: a single-frame unmasked "Hello", and the same masked with 37 fa 21 3d.
    #expect(
      try decode([0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])
        == WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)))
    let masked: [UInt8] = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
    #expect(try decode(masked, fromServer: false)?.payload == Array("Hello".utf8))
    #expect(
      WebSocketFrame(opcode: .text, payload: Array("Hello".utf8)).encoded(maskKey: [0x37, 0xfa, 0x21, 0x3d]) == masked)
    // A fragmented "Hel" + "lo".
    #expect(
      try decode([0x01, 0x03, 0x48, 0x65, 0x6c])
        == WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)))
    // An unmasked ping "Hello".
    #expect(try decode([0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f])?.opcode == .ping)
  }

  @Test(arguments: [0, 125, 126, 65535, 65536, 200_000])
  func lengthsRoundTrip(count: Int) throws {
    let frame = WebSocketFrame(opcode: .binary, payload: (0..<count).map { UInt8(truncatingIfNeeded: $0 * 7) })
    let unmasked = frame.encoded(maskKey: nil)
    #expect(unmasked.count == count + (count < 126 ? 2 : count <= 65535 ? 4 : 10))
    let back = try #require(try WebSocketFrame.decode(unmasked[...], maxPayload: 1 << 20))
    #expect(back.frame == frame && back.consumed == unmasked.count)
    let masked = frame.encoded(maskKey: [1, 2, 3, 4])
    #expect(try decode(masked, fromServer: false) == frame)
  }

  @Test func partialInputNeedsMore() throws {
    let bytes = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 9, count: 300)).encoded(maskKey: nil)
    for cut in [0, 1, 2, 3, 4, 100, bytes.count - 1] {
      #expect(try WebSocketFrame.decode(bytes[0..<cut], maxPayload: 1 << 20) == nil, "cut at \(cut)")
    }
    // A slice that does not start at index 0, followed by the next frame.
    let two = [0xFF] + bytes + [0x81, 0x00]
    let first = try #require(try WebSocketFrame.decode(two[1...], maxPayload: 1 << 20))
    #expect(first.consumed == bytes.count)
  }

  @Test func badFramesAreProtocolErrors() {
    #expect(failure([0x81, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])?.kind == .protocolError)
    #expect(failure([0x81, 0x7e, 0x00, 0x05])?.kind == .protocolError, "126 form for a short length")
    #expect(failure([0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0x01, 0x00])?.kind == .protocolError, "127 form for 256")
    #expect(failure([0xC1, 0x00])?.kind == .protocolError, "RSV1 without an extension")
    #expect(failure([0x83, 0x00])?.kind == .protocolError, "opcode 3 is reserved")
    #expect(failure([0x09, 0x00])?.kind == .protocolError, "a fragmented ping")
    #expect(failure([0x89, 0x7e, 0x00, 0x7e] + [UInt8](repeating: 0, count: 126))?.kind == .protocolError)
    #expect(failure([0x81, 0x80, 1, 2, 3, 4])?.kind == .protocolError, "a masked server frame")
    #expect(throws: WebSocketError.self) { try decode([0x81, 0x00], fromServer: false) }
  }

  @Test func oversizeFailsBeforeThePayloadArrives() {
    let header: [UInt8] = [0x82, 0x7f, 0, 0, 0, 0x10, 0, 0, 0, 0]  // 64 GiB declared, no payload sent
    let error = failure(header, max: 16 << 20)
    #expect(error?.kind == .tooBig && error?.closeCode == 1009)
  }

  @Test func fragmentsJoinWithControlFramesBetween() throws {
    var assembler = WebSocketAssembler(maxMessage: 100)
    #expect(try assembler.add(WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8))) == nil)
    #expect(try assembler.add(WebSocketFrame(opcode: .ping, payload: [1])) == .ping([1]))
    #expect(try assembler.add(WebSocketFrame(fin: false, opcode: .continuation, payload: Array("l".utf8))) == nil)
    #expect(try assembler.add(WebSocketFrame(opcode: .pong)) == .pong([]))
    #expect(try assembler.add(WebSocketFrame(opcode: .continuation, payload: Array("o".utf8))) == .text("Hello"))
    #expect(try assembler.add(WebSocketFrame(opcode: .binary, payload: [1, 2])) == .binary([1, 2]))
  }

  @Test func assemblerRejectsWhatTheRFCForbids() {
    var fresh = WebSocketAssembler(maxMessage: 4)
    #expect(throws: WebSocketError.self) { try fresh.add(WebSocketFrame(opcode: .continuation, payload: [1])) }
    var open = WebSocketAssembler(maxMessage: 100)
    _ = try? open.add(WebSocketFrame(fin: false, opcode: .binary, payload: [1]))
    #expect(throws: WebSocketError.self) { try open.add(WebSocketFrame(opcode: .text, payload: [1])) }
    var small = WebSocketAssembler(maxMessage: 4)
    _ = try? small.add(WebSocketFrame(fin: false, opcode: .binary, payload: [1, 2, 3]))
    #expect(throws: WebSocketError.self) { try small.add(WebSocketFrame(opcode: .continuation, payload: [4, 5])) }
    var text = WebSocketAssembler(maxMessage: 100)
    #expect((try? text.add(WebSocketFrame(opcode: .text, payload: [0xC3, 0x28]))) == nil, "not UTF-8")
  }

  @Test func closeCodes() throws {
    var assembler = WebSocketAssembler(maxMessage: 100)
    #expect(try assembler.add(WebSocketFrame(opcode: .close)) == .close(code: 1005, reason: ""))
    #expect(
      try assembler.add(WebSocketFrame(opcode: .close, payload: [0x03, 0xE9] + Array("bye".utf8)))
        == .close(code: 1001, reason: "bye"))
    for bad: [UInt8] in [[0x03], [0x03, 0xED], [0x03, 0xEE], [0x00, 0x00], [0x13, 0x88]] {
      #expect(throws: WebSocketError.self) { try assembler.add(WebSocketFrame(opcode: .close, payload: bad)) }
    }
    #expect(WebSocketAssembler.isValidCloseCode(1000) && WebSocketAssembler.isValidCloseCode(4999))
  }

  @Test func acceptKeyAndSHA1() {
    // RFC 6455 §1.3's example.
    #expect(WebSocket.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    #expect(SHA1.hex([UInt8]()) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
    #expect(
      SHA1.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
        == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    #expect(SHA1.hex([UInt8](repeating: 0x61, count: 1_000_000)) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
  }

  @Test func endpoints() throws {
    #expect(
      try WebSocket.Endpoint(url: "ws://127.0.0.1:8188/ws?clientId=a")
        == .init(host: "127.0.0.1", port: 8188, target: "/ws?clientId=a"))
    #expect(try WebSocket.Endpoint(url: "http://[::1]:9/p/ws") == .init(host: "::1", port: 9, target: "/p/ws"))
    #expect(try WebSocket.Endpoint(url: "ws://h?x=1") == .init(host: "h", port: 80, target: "/?x=1"))
    #expect(try WebSocket.Endpoint(url: "ws://[::1]:9/").hostHeader == "[::1]:9")
    for bad in ["wss://h/ws", "https://h/", "ws://h:0/", "ws://:80/", "ws://h:99999/", "nope"] {
      #expect(throws: WebSocketError.self, "\(bad)") { try WebSocket.Endpoint(url: bad) }
    }
  }

  /// Random bytes never crash the decoder: each gives a frame, a need for more, or an error.
  @Test func fuzzedBytesNeverCrash() {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    for _ in 0..<20_000 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let count = Int(state >> 58)
      var bytes: [UInt8] = []
      for _ in 0..<count {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        bytes.append(UInt8(truncatingIfNeeded: state >> 33))
      }
      if let decoded = try? WebSocketFrame.decode(bytes[...], maxPayload: 1 << 10) {
        #expect(decoded.consumed <= bytes.count)
      }
    }
  }
}
