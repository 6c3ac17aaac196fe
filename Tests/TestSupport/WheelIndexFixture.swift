/// The fake wheel index (`Tests/Fixtures/wheel_index/wheel_index.py`), started once per test
/// process: served on loopback and written as local files (`flat/`, `simple/`, `links.html`).
public enum WheelIndexFixture {
  public static let directory: String = {
    let dir = try! TemporaryDirectory.shared.directory("wheel-index")
    return dir
  }()

  public static let server: FixtureServer = {
    try! FixtureServer(script: "Tests/Fixtures/wheel_index/wheel_index.py", arguments: ["--write-dir", directory])
  }()

  /// `http://127.0.0.1:<port>`.
  public static var url: String { server.baseURL }

  /// The local copy, written by the server as it starts.
  public static var localDirectory: String {
    _ = server
    return directory
  }
}
