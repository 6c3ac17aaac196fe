import PipeKit
import Testing

@testable import WheelURL

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
}
