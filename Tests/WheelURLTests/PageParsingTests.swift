import PipeHTTP
import PipeKit
import TestSupport
import Testing

@testable import WheelURL

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct PageParsingTests {
  @Test func readsFindLinksAnchors() {
    let html = """
      <!DOCTYPE html><html><head><base href="https://cdn.example/whl/"></head><body>
      <!-- <a href="commented-1.0-py3-none-any.whl">no</a> -->
      <A HREF="torch_scatter-2.1.2%2Bpt28cu128-cp311-cp311-linux_x86_64.whl#sha256=ABCDEF">torch_scatter</A><br>
      <a data-requires-python="&gt;=3.9,&lt;4" href='../other/pkg-1.0-py3-none-any.whl'>pkg</a>
      <a href=bare-2.0-py3-none-any.whl data-yanked>bare</a>
      <a href="yanked-1.0-py3-none-any.whl" data-yanked="bad &amp; broken">y</a>
      <a href="https://elsewhere.example/abs-1.0-py3-none-any.whl#md5=00">abs</a>
      <a name="no-href">anchor</a>
      </body></html>
      """
    let files = FindLinksPage.parse(Array(html.utf8), url: "https://page.example/links.html")
    #expect(files.count == 5)
    #expect(files[0].url == "https://cdn.example/whl/torch_scatter-2.1.2%2Bpt28cu128-cp311-cp311-linux_x86_64.whl")
    #expect(files[0].filename == "torch_scatter-2.1.2+pt28cu128-cp311-cp311-linux_x86_64.whl")
    #expect(files[0].sha256 == "abcdef")
    #expect(files[0].projectKey == "torch-scatter")
    #expect(files[1].url == "https://cdn.example/other/pkg-1.0-py3-none-any.whl")
    #expect(files[1].requiresPython == ">=3.9,<4")
    #expect(files[2].yanked == "")
    #expect(files[3].yanked == "bad & broken")
    #expect(files[4].sha256 == nil)
    #expect(files[4].url == "https://elsewhere.example/abs-1.0-py3-none-any.whl")
  }

  @Test func readsPEP691JSON() throws {
    let json = """
      {"meta":{"api-version":"1.1"},"name":"simplepkg","files":[
       {"filename":"simplepkg-1.0-py3-none-any.whl","url":"../../files/simplepkg-1.0-py3-none-any.whl",
        "hashes":{"sha256":"AA11"},"requires-python":">=3.8","yanked":false},
       {"filename":"simplepkg-1.1-py3-none-any.whl","url":"https://files.example/simplepkg-1.1-py3-none-any.whl",
        "hashes":{},"yanked":"do not use"},
       {"filename":"simplepkg-1.2-py3-none-any.whl","url":"simplepkg-1.2-py3-none-any.whl","hashes":{},"yanked":true}]}
      """
    let files = try SimpleIndex.parseJSON(Array(json.utf8), url: "https://idx.example/simple/simplepkg/")
    #expect(
      files.map(\.url) == [
        "https://idx.example/files/simplepkg-1.0-py3-none-any.whl",
        "https://files.example/simplepkg-1.1-py3-none-any.whl",
        "https://idx.example/simple/simplepkg/simplepkg-1.2-py3-none-any.whl",
      ])
    #expect(files[0].sha256 == "aa11" && files[0].requiresPython == ">=3.8" && files[0].yanked == nil)
    #expect(files[1].yanked == "do not use")
    #expect(files[2].yanked == "")
    #expect(throws: InputError.self) { try SimpleIndex.parseJSON(Array("{}".utf8), url: "x") }
  }

  /// An anchor whose text names another wheel is an alias (the cuda-wheels index's torch-free
  /// listings): the text is what the page lists the file as; the file is the href's.
  static let aliases = """
    <a href="https://gh.example/d/spconv-2.3.8%2Bcu128torch2.11-cp311-cp311-linux_x86_64.whl#sha256=AB">spconv-2.3.8+cu128torch2.8-cp311-cp311-linux_x86_64.whl</a><br>
    <a href="https://gh.example/d/spconv-2.3.8%2Bcu128torch2.11-cp311-cp311-linux_x86_64.whl">
      spconv-2.3.8+cu128torch2.11-cp311-cp311-linux_x86_64.whl </a>
    <a href="pkg-1.0-py3-none-any.whl">download pkg-1.0-py3-none-any.whl</a>
    <a href="x-1.0-py3-none-any.whl">x &amp; co</a><a href="y-1.0-py3-none-any.whl"></a>
    <a href="z-1.0-py3-none-any.whl">z-2.0-py3-none-any.whl</a>
    """

  @Test func anAnchorTextNamingAnotherWheelIsAnAlias() throws {
    let url = "https://page.example/spconv/"
    let files = FindLinksPage.parse(Array(Self.aliases.utf8), url: url)
    #expect(files.count == 6)
    #expect(files[0].filename == "spconv-2.3.8+cu128torch2.11-cp311-cp311-linux_x86_64.whl")
    #expect(files[0].listedAs == "spconv-2.3.8+cu128torch2.8-cp311-cp311-linux_x86_64.whl")
    #expect(files[0].sha256 == "ab")
    #expect(files[1].listedAs == nil, "the text is the href's own name")
    #expect(files[2].listedAs == nil && files[3].listedAs == nil && files[4].listedAs == nil, "not a wheel name")
    #expect(files[5].listedAs == "z-2.0-py3-none-any.whl")
    for piece in [1, 2, 5, 13, 64] {
      let links = Self.streamed(Array(Self.aliases.utf8), piece: piece, url: url, wheelsOnly: true)
      #expect(links.map(\.listedAs) == files.map(\.listedAs), "pieces of \(piece)")
    }
    // PEP 691: a "filename" other than the URL's is the same kind of alias.
    let json = """
      {"files":[{"filename":"spconv-2.3.8+cu128torch2.8-cp311-cp311-linux_x86_64.whl",
        "url":"https://gh.example/d/spconv-2.3.8%2Bcu128torch2.11-cp311-cp311-linux_x86_64.whl","hashes":{}},
       {"filename":"spconv-2.3.8+cu128torch2.11-cp311-cp311-linux_x86_64.whl",
        "url":"https://gh.example/d/spconv-2.3.8%2Bcu128torch2.11-cp311-cp311-linux_x86_64.whl","hashes":{}}]}
      """
    let listed = try PageLoader.parse(Array(json.utf8), contentType: nil, url: url).map(\.file.listedAs)
    #expect(listed == ["spconv-2.3.8+cu128torch2.8-cp311-cp311-linux_x86_64.whl", nil])
  }

  @Test func knowsJSONFromHTML() {
    #expect(SimpleIndex.isJSON(contentType: "application/vnd.pypi.simple.v1+json", body: []))
    #expect(!SimpleIndex.isJSON(contentType: "text/html; charset=utf-8", body: Array("{".utf8)))
    #expect(SimpleIndex.isJSON(contentType: nil, body: Array("  {\"files\":[]}".utf8)))
    #expect(!SimpleIndex.isJSON(contentType: nil, body: Array("<html>".utf8)))
  }

  @Test func projectPagesTryTheCudaWheelsSpellings() {
    #expect(
      SimpleIndex.projectURLs(base: "https://i.example/v2", name: "O_Voxel") == [
        "https://i.example/v2/o-voxel/", "https://i.example/v2/o_voxel/", "https://i.example/v2/O_Voxel/",
      ])
    #expect(
      SimpleIndex.projectURLs(base: "https://i.example/v2/", name: "nvdiffrast") == ["https://i.example/v2/nvdiffrast/"]
    )
  }

  static let anchors = """
    <!DOCTYPE html><html><head><base href="https://cdn.example/whl/"></head><body>
    <!-- <a href="commented-1.0-py3-none-any.whl">no</a> -->
    <A HREF="torch_scatter-2.1.2%2Bpt28cu128-cp311-cp311-linux_x86_64.whl#sha256=ABCDEF">torch_scatter</A><br>
    <a data-requires-python="&gt;=3.9,&lt;4" href='../other/pkg-1.0-py3-none-any.whl'>pkg</a>
    <a href=bare-2.0-py3-none-any.whl data-yanked>bare</a><abbr title="<a href=x>">t</abbr>
    <a href="https://elsewhere.example/abs-1.0-py3-none-any.whl#md5=00">abs</a><a name="no-href">anchor</a>
    </body></html>
    """

  /// The links of `bytes` fed to a `PageStream` `piece` bytes at a time.
  static func streamed(_ bytes: [UInt8], piece: Int, url: String, wheelsOnly: Bool) -> [PageLink] {
    var stream = PageStream(wheelsOnly: wheelsOnly)
    var start = 0
    while start < bytes.count {
      let end = min(bytes.count, start + piece)
      bytes[start..<end].withUnsafeBytes { stream.feed($0) }
      start = end
    }
    return stream.finishHTML(url: url)
  }

  @Test(arguments: [1, 2, 3, 5, 7, 64, 100_000])
  func aPageReadInPiecesGivesTheSameLinks(piece: Int) {
    let bytes = Array(Self.anchors.utf8)
    let url = "https://page.example/links.html"
    let pieces = Self.streamed(bytes, piece: piece, url: url, wheelsOnly: false).map(\.file.url)
    #expect(pieces == FindLinksPage.parse(bytes, url: url).map(\.url))
    #expect(pieces.count == 5 && !pieces.contains { $0.contains("commented") })
  }

  /// A page served by the fake index from `files` (name → text), and its URL.
  func served(_ files: [String: String]) throws -> (FixtureServer, String) {
    let folder = "pages-\(UInt64.random(in: 0...UInt64.max))"
    let dir = try TemporaryDirectory.shared.directory(folder)
    for (name, text) in files { try TemporaryDirectory.shared.write("\(folder)/\(name)", text) }
    let server = try FixtureServer(
      script: "Tests/Fixtures/wheel_index/wheel_index.py", arguments: ["--serve-dir", dir])
    return (server, dir)
  }

  @Test func aRemotePageLinksOnlyToItsOwnSchemeAndHTTPS() throws {
    let page = """
      <a href="file:///etc/pkg-1.0-py3-none-any.whl">1</a><a href="ftp://ftp.example/pkg-1.1-py3-none-any.whl">2</a>
      <a href="https://a.example/pkg-1.2-py3-none-any.whl">3</a><a href="http://b.example/pkg-1.3-py3-none-any.whl">4</a>
      <a href="pkg-1.4-py3-none-any.whl">5</a><a href="//c.example/pkg-1.5-py3-none-any.whl">6</a>
      <a href="FILE:///etc/pkg-1.6-py3-none-any.whl">7</a>
      """
    let (server, dir) = try served(["page.html": page])
    guard case .links(let links, _) = PageLoader(fetcher: Fetcher()).load("\(server.baseURL)/local/page.html") else {
      Issue.record("the page did not load")
      return
    }
    #expect(
      links.files(for: "pkg").map(\.url) == [
        "https://a.example/pkg-1.2-py3-none-any.whl", "http://b.example/pkg-1.3-py3-none-any.whl",
        "\(server.baseURL)/local/pkg-1.4-py3-none-any.whl", "http://c.example/pkg-1.5-py3-none-any.whl",
      ])
    guard case .links(let local, _) = PageLoader(fetcher: Fetcher()).load(URLText.fileURL(forPath: dir + "/page.html"))
    else {
      Issue.record("the local page did not load")
      return
    }
    #expect(local.files(for: "pkg").count == 7, "a local page may name local files")
  }

  @Test func aPageOverTheLimitIsAClearError() throws {
    let page = String(repeating: "<a href=\"pkg-1.0-py3-none-any.whl\">x</a>\n", count: 100)
    let (server, dir) = try served(["big.html": page])
    for url in ["\(server.baseURL)/local/big.html", URLText.fileURL(forPath: dir + "/big.html")] {
      let loader = PageLoader(fetcher: Fetcher())
      loader.maxPageBytes = 1000
      guard case .failed(let error) = loader.load(url) else {
        Issue.record("\(url): a page of \(page.utf8.count) bytes was read under a limit of 1000")
        continue
      }
      #expect(error.kind == .tooLarge(limit: 1000))
      #expect(error.message.contains(url) && error.message.contains("1000 bytes"), "\(error.message)")
    }
    #expect(PageLoader.defaultMaxPageBytes == 256 << 20)
  }

  @Test func aFIFOIsNotWaitedOn() throws {
    let dir = try TemporaryDirectory.shared.directory("fifo-\(UInt64.random(in: 0...UInt64.max))")
    #expect(mkfifo(dir + "/links.html", 0o644) == 0)
    guard case .failed(let error) = PageLoader(fetcher: Fetcher()).load(URLText.fileURL(forPath: dir + "/links.html"))
    else {
      Issue.record("a FIFO was read as a page")
      return
    }
    #expect(error.message.contains("not a regular file"))
  }
}
