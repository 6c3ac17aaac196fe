import PipeKit
import TestSupport
import Testing

@testable import PipeHTTP

/// Reading locations: http through the client, file:// URLs and directories from disk.
@Suite struct FetcherTests {
  let base = WheelIndexFixture.url
  let local = WheelIndexFixture.localDirectory

  @Test func readsAPageOverHTTP() throws {
    guard case .document(let url, let type, let body) = try Fetcher().get("\(base)/links.html") else {
      Issue.record("not a document")
      return
    }
    #expect(url == "\(base)/links.html")
    #expect(type == "text/html")
    #expect(!body.isEmpty)
  }

  @Test func aMissingPageIsMissingNotAnError() throws {
    #expect(try Fetcher().get("\(base)/nothing/here") == .missing(url: "\(base)/nothing/here", status: 404))
    #expect(
      try Fetcher().get(URLText.fileURL(forPath: "\(local)/nope"))
        == .missing(url: URLText.fileURL(forPath: "\(local)/nope"), status: nil))
  }

  @Test func anErrorStatusIsAnError() throws {
    let error = #expect(throws: FetchError.self) { try Fetcher().get("\(base)/status/500/x") }
    #expect(error?.kind == .status(500))
    #expect(error?.isTemporary == true)
  }

  @Test func listsALocalDirectory() throws {
    guard case .directory(let url, let names) = try Fetcher().get(URLText.fileURL(forPath: "\(local)/simple/cumesh"))
    else {
      Issue.record("not a directory")
      return
    }
    #expect(url.hasSuffix("/simple/cumesh/"))
    #expect(names.count == 16)
    #expect(names == names.sorted())
  }

  @Test func readsALocalFile() throws {
    guard case .document(_, nil, let body) = try Fetcher().get(URLText.fileURL(forPath: "\(local)/links.html")) else {
      Issue.record("not a document")
      return
    }
    #expect(String(decoding: body, as: UTF8.self).contains("href=\"flat/"))
  }

  @Test func offlineNeverTouchesTheNetwork() throws {
    let start = monotonicSeconds()
    let error = #expect(throws: FetchError.self) {
      try Fetcher(offline: true).get("http://192.0.2.1/simple/x/")
    }
    #expect(error?.kind == .offline)
    #expect(monotonicSeconds() - start < 0.5)
    let file = URLText.fileURL(forPath: "\(local)/links.html")
    #expect(throws: Never.self) { try Fetcher(offline: true).get(file) }
  }

  @Test func existsUsesHeadThenARangedGet() throws {
    let fetcher = Fetcher()
    let name = "simplepkg-1.0.0-py3-none-any.whl"
    #expect(try fetcher.exists("\(base)/files/\(name)"))
    #expect(try fetcher.exists("\(base)/nohead/files/\(name)"))
    #expect(try !fetcher.exists("\(base)/files/nothing-1.0-py3-none-any.whl"))
    #expect(try !fetcher.exists("\(base)/nohead/files/nothing-1.0-py3-none-any.whl"))
    #expect(try fetcher.exists(URLText.fileURL(forPath: "\(local)/flat/\(name)")))
    #expect(try !fetcher.exists(URLText.fileURL(forPath: "\(local)/flat/nothing.whl")))
  }
}
