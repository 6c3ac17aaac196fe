import ComfyRemote
import PipeKit
import Testing

@Suite struct ServerAddressTests {
  func urls(_ text: String) throws -> [String] { try ServerAddress.parseList(text).map(\.baseURL) }

  @Test(arguments: [
    ("10.0.0.5:8188", ["http://10.0.0.5:8188"]),
    ("gpu-box", ["http://gpu-box:8188"]),
    ("GPU.Example.com:9000", ["http://gpu.example.com:9000"]),
    ("http://h:8188/", ["http://h:8188"]),
    ("https://comfy.example.com/api/comfy/", ["https://comfy.example.com:443/api/comfy"]),
    ("http://h", ["http://h:80"]),
    ("HTTP://h:1/p", ["http://h:1/p"]),
    ("[::1]:8188", ["http://[::1]:8188"]),
    ("[::1]", ["http://[::1]:8188"]),
    ("http://[FE80::1%eth0]:81/x", ["http://[fe80::1%eth0]:81/x"]),
    ("h:8188-8190", ["http://h:8188", "http://h:8189", "http://h:8190"]),
    ("https://h:10-11/p", ["https://h:10/p", "https://h:11/p"]),
    ("a:1, b:2 ,[::1]:3", ["http://a:1", "http://b:2", "http://[::1]:3"]),
    ("h:65535", ["http://h:65535"]),
    ("h:7-7", ["http://h:7"]),
  ])
  func goodAddresses(text: String, expected: [String]) throws {
    #expect(try urls(text) == expected)
  }

  @Test(arguments: [
    ("", "empty item"), ("a:1,,b:2", "empty item"), ("a:1,", "empty item"), (" , ", "empty item"),
    ("h:", "port is empty"), ("h:0", "not a port"), ("h:65536", "not a port"), ("h:80a", "not a port"),
    ("h:-5", "not a port"), ("h:+5", "not a port"), ("h:8191-8188", "reversed"), ("h:1-2000", "more than"),
    ("h:1-", "not a port"), ("ftp://h:1", "scheme"), ("ws://h:1", "scheme"), ("::1", "brackets"),
    ("[::1", "']'"), ("[zz::1]:5", "not an IPv6"), ("[::1]x", "':PORT'"), ("h:1/p", "needs a URL"),
    ("http://u:p@h:1", "credentials"), ("http://h:1/?q=1", "query"), ("http://:8188", "host is empty"),
    ("h o:1", "not a host"), ("http://h:1//x", "empty segment"), (":8188", "host is empty"),
  ])
  func badAddresses(text: String, why: String) {
    #expect {
      try ServerAddress.parseList(text)
    } throws: { error in
      guard let usage = error as? UsageError else { return false }
      return usage.message.contains(why)
    }
  }

  @Test func repeatedServersAreKeptOnceInOrder() throws {
    let servers = try ServerAddress.parse(["b:2,a:1", "a:1-2", "http://b:2"])
    #expect(servers.map(\.baseURL) == ["http://b:2", "http://a:1", "http://a:2"])
  }

  @Test func urlsAreBuiltOnTheBase() throws {
    let server = try #require(try ServerAddress.parseList("https://h/comfy").first)
    #expect(server.url("/prompt") == "https://h:443/comfy/prompt")
    #expect(server.prefix == "/comfy" && server.port == 443 && server.scheme == "https")
  }

  @Test func serverOSReadsBothVocabularies() {
    #expect(ServerOS(reported: "nt") == .windows)
    #expect(ServerOS(reported: "win32") == .windows)
    #expect(ServerOS(reported: "posix") == .posix)
    #expect(ServerOS(reported: "linux") == .posix)
    #expect(ServerOS(reported: "darwin") == .posix)
  }
}
