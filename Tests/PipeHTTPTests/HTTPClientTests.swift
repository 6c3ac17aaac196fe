import PipeKit
import TestSupport
import Testing

@testable import PipeHTTP

#if canImport(Glibc)
  import Glibc
#endif

/// The HTTP client against the fake wheel index on loopback.
@Suite struct HTTPClientTests {
  let base = WheelIndexFixture.url

  /// A client that retries quickly, so the tests stay fast.
  var client: HTTPClient {
    var options = HTTPClient.Options()
    options.backoff = 0.05
    options.connectTimeout = 2
    options.totalTimeout = 5
    return HTTPClient(options: options)
  }

  func count(_ key: String) throws -> Int {
    let response = try client.send(.get, "\(base)/count/\(key)")
    return try JSON.parse(response.body)["count"]?.intValue ?? -1
  }

  @Test func getsAPage() throws {
    let response = try client.send(.get, "\(base)/links.html")
    #expect(response.status == 200)
    #expect(response.contentType == "text/html")
    #expect(String(decoding: response.body, as: UTF8.self).contains("nvdiffrast-0.4.0%2Bcu128torch2.8"))
    #expect(response.attempts == 1)
  }

  @Test func sendsTheUserAgentAndHeaders() throws {
    let response = try client.send(.get, "\(base)/headers", headers: ["Accept: application/x-test"])
    let headers = try JSON.parse(response.body)
    #expect(headers["user-agent"] == .string("comfy-pipes/\(pipeKitVersion)"))
    #expect(headers["accept"] == "application/x-test")
  }

  @Test func aResetConnectionIsRetried() throws {
    let key = "reset-\(UInt32.random(in: 0...UInt32.max))"
    let response = try client.send(.get, "\(base)/flaky/\(key)/2/links.html")
    #expect(response.status == 200)
    #expect(response.attempts == 3)
    #expect(try count(key) == 3)
  }

  @Test func retriesStopAfterTheLimit() throws {
    let key = "down-\(UInt32.random(in: 0...UInt32.max))"
    var options = client.options
    options.retries = 2
    let error = #expect(throws: HTTPFailure.self) {
      try HTTPClient(options: options).send(.get, "\(base)/flaky/\(key)/100/links.html")
    }
    #expect(error?.kind == .connection)
    #expect(error?.attempts == 3)
    #expect(try count(key) == 3)
  }

  @Test func a404IsAnAnswerAndNotRetried() throws {
    let key = "gone-\(UInt32.random(in: 0...UInt32.max))"
    let response = try client.send(.get, "\(base)/flaky/\(key)/0/no/such/page")
    #expect(response.status == 404)
    #expect(response.attempts == 1)
    #expect(try count(key) == 1)
  }

  @Test func a500IsNotRetriedEither() throws {
    let response = try client.send(.get, "\(base)/status/503/x")
    #expect(response.status == 503)
    #expect(response.attempts == 1)
  }

  @Test func aRefusedConnectionFailsAfterRetries() throws {
    // A port that was just free: bind, note the port, close.
    let error = #expect(throws: HTTPFailure.self) {
      try client.send(.get, "http://127.0.0.1:\(try closedPort())/x")
    }
    #expect(error?.kind == .connection)
    #expect(error?.attempts == 4)
  }

  @Test func theTotalTimeoutEndsASlowRequest() throws {
    var options = client.options
    options.totalTimeout = 0.3
    options.retries = 1
    let start = monotonicSeconds()
    let error = #expect(throws: HTTPFailure.self) {
      try HTTPClient(options: options).send(.get, "\(base)/sleep/3/links.html")
    }
    #expect(error?.kind == .timeout)
    #expect(error?.attempts == 2)
    #expect(monotonicSeconds() - start < 2.5)
  }

  @Test func headAndRangedGet() throws {
    let file = "\(base)/files/simplepkg-1.0.0-py3-none-any.whl"
    let head = try client.send(.head, file)
    #expect(head.status == 200 && head.body.isEmpty)
    let ranged = try client.send(.get, file, range: "0-3")
    #expect(ranged.status == 206)
    #expect(ranged.body == Array("fake".utf8))
  }
}

/// A loopback port with nothing listening on it.
func closedPort() throws -> Int {
  let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
  defer { close(fd) }
  var address = sockaddr_in()
  address.sin_family = sa_family_t(AF_INET)
  address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
  var length = socklen_t(MemoryLayout<sockaddr_in>.size)
  let bound = withUnsafeMutablePointer(to: &address) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
      bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
    }
  }
  guard bound else { throw SystemError("bind", errno: errno) }
  return Int(UInt16(bigEndian: address.sin_port))
}
