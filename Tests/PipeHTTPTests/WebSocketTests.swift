import PipeHTTP
import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The client against the fake ComfyUI server's `/ws` (a real RFC 6455 server in Python).
@Suite(.serialized) struct WebSocketTests {
  static let scratch = TemporaryDirectory()

  func server() throws -> FixtureServer {
    let dir = try Self.scratch.directory("ws-\(UInt32.random(in: 0...UInt32.max))")
    return try FixtureServer(
      script: "Tests/Fixtures/fake_comfyui/fake_comfyui.py",
      arguments: ["--port", "0", "--output-dir", dir + "/out", "--input-dir", dir + "/in"])
  }

  @Test func handshakeFirstStatusPingAndClose() throws {
    let fake = try server()
    let socket = try WebSocket.connect(
      "ws://127.0.0.1:\(fake.port)/ws?clientId=unit-1", headers: ["X-Test: 1"])
    guard case .text(let text)? = try socket.receive(timeout: 5) else {
      Issue.record("no first message")
      return
    }
    let first = try #require(try JSON.parse(text).objectValue)
    #expect(first.type == "status")
    #expect(first["data"]?["sid"]?.stringValue == "unit-1")
    try socket.ping([1, 2, 3])
    try socket.send(text: #"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#)
    guard case .text(let flags)? = try socket.receive(timeout: 5) else {
      Issue.record("no feature_flags answer")
      return
    }
    #expect(flags.contains("feature_flags"))
    #expect(try socket.receive(timeout: 0.1) == nil, "nothing more: a timeout, not an error")
    socket.close()
    #expect(throws: WebSocketError.self) { try socket.receive(timeout: 0.1) }
  }

  @Test func theApiAliasAndNameResolution() throws {
    let fake = try server()
    let socket = try WebSocket.connect("http://localhost:\(fake.port)/api/ws?clientId=unit-2")
    #expect(try socket.receive(timeout: 5) != nil)
    socket.close()
  }

  @Test func connectingToAClosedPortFailsFast() throws {
    let start = monotonicSeconds()
    #expect(throws: WebSocketError.self) { try WebSocket.connect("ws://127.0.0.1:1/ws") }
    #expect(monotonicSeconds() - start < 2)
  }

  @Test func aPlainHTTPRouteIsNotAWebSocket() throws {
    let fake = try server()
    do {
      _ = try WebSocket.connect("ws://127.0.0.1:\(fake.port)/history")
      Issue.record("connected to a plain route")
    } catch {
      #expect(error.kind == .handshake)
    }
  }
}
