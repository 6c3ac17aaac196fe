import Testing

@testable import PipeHTTP

@Test(
  arguments: [
    ("nvdiffrast-0.4.0.whl", "https://h.io/simple/nvdiffrast/", "https://h.io/simple/nvdiffrast/nvdiffrast-0.4.0.whl"),
    ("../../files/a.whl#sha256=ab", "https://h.io/simple/x/", "https://h.io/files/a.whl#sha256=ab"),
    ("/whl/a.whl", "https://h.io/simple/x/index.html", "https://h.io/whl/a.whl"),
    ("//cdn.io/a.whl", "https://h.io/x/", "https://cdn.io/a.whl"),
    ("https://other/a.whl", "https://h.io/x/", "https://other/a.whl"),
    ("a.whl", "https://h.io/whl/torch-2.8.0+cu128.html", "https://h.io/whl/a.whl"),
    ("a.whl", "file:///srv/wheels/", "file:///srv/wheels/a.whl"),
    ("./b/../a.whl", "file:///srv/wheels/page.html", "file:///srv/wheels/a.whl"),
    ("a.whl", "https://h.io", "https://h.io/a.whl"),
    ("#frag", "https://h.io/p?q=1", "https://h.io/p#frag"),
  ])
func resolvesReferences(reference: String, base: String, expected: String) {
  #expect(URLText.resolve(reference, against: base) == expected)
}

@Test func userInputBecomesURLs() throws {
  #expect(try URLText.from(userInput: "https://x.io/simple") == "https://x.io/simple")
  #expect(
    try URLText.from(userInput: "pozzettiandrea.github.io/cuda-wheels")
      == "https://pozzettiandrea.github.io/cuda-wheels")
  #expect(try URLText.from(userInput: "/srv/my wheels/") == "file:///srv/my%20wheels/")
  #expect(try URLText.from(userInput: "file:///srv/w") == "file:///srv/w")
  #expect(throws: URLTextError.self) { try URLText.from(userInput: "ftp://x/y") }
  let relative = try URLText.from(userInput: "wheels/dir")
  #expect(relative.hasPrefix("file:///") && relative.hasSuffix("/wheels/dir"))
}

@Test func fileURLsRoundTrip() {
  let path = "/tmp/a b/nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-linux_x86_64.whl"
  let url = URLText.fileURL(forPath: path)
  #expect(url == "file:///tmp/a%20b/nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-linux_x86_64.whl")
  #expect(URLText.path(ofFileURL: url) == path)
  #expect(URLText.path(ofFileURL: "file://localhost/x/y") == "/x/y")
  #expect(URLText.path(ofFileURL: "https://x/y") == nil)
  #expect(URLText.lastSegment(of: "https://h/a/b%2Bc.whl?x=1#sha256=00") == "b+c.whl")
}
