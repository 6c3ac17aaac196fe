import PipeKit
import TestSupport
import Testing

@testable import PipeHTTP

/// Redirects followed only when the client allows it, and a body over the limit named as such.
@Suite struct RedirectTests {
  func hostile(_ mode: String, _ extra: [String] = []) throws -> FixtureServer {
    try FixtureServer(
      script: "Tests/Fixtures/hostile_comfyui/hostile_comfyui.py", arguments: ["--mode", mode] + extra)
  }

  @Test func aRedirectIsTheAnswerWhenNotFollowed() throws {
    let target = WheelIndexFixture.url
    let server = try hostile("redirect", ["--redirect-to", target])
    var options = HTTPClient.Options()
    options.totalTimeout = 5
    let followed = try HTTPClient(options: options).send(.get, "\(server.baseURL)/links.html")
    #expect(followed.status == 200 && followed.url == "\(target)/links.html")
    options.followsRedirects = false
    let kept = try HTTPClient(options: options).send(.get, "\(server.baseURL)/links.html")
    #expect(kept.status == 302)
    #expect(kept.location == "\(target)/links.html")
    #expect(kept.url == "\(server.baseURL)/links.html")
  }

  @Test func aBodyOverTheLimitIsTooLargeNotAConnectionFailure() throws {
    let server = try hostile("huge-history")
    var options = HTTPClient.Options()
    options.totalTimeout = 5
    options.maxBodyBytes = 1000
    #expect {
      _ = try HTTPClient(options: options).send(.get, "\(server.baseURL)/history/x")
    } throws: { ($0 as? HTTPFailure)?.kind == .tooLarge && ($0 as? HTTPFailure)?.attempts == 1 }
  }
}
