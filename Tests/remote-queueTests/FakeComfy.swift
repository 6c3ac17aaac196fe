import ComfyRemote
import PipeHTTP
import PipeKit
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A fake_comfyui process on loopback with its own folders, and a client to look inside it.
final class FakeComfy: @unchecked Sendable {
  let server: FixtureServer
  let root: String
  let client: ComfyClient

  var port: Int { server.port }
  var address: String { "127.0.0.1:\(port)" }
  var baseURL: String { "http://127.0.0.1:\(port)" }
  var inputDir: String { "\(root)/input" }

  init(port: Int = 0, arguments: [String] = []) throws {
    root = try TemporaryDirectory.shared.directory("comfy-\(UInt32.random(in: 0...UInt32.max))")
    server = try FixtureServer(
      script: "Tests/Fixtures/fake_comfyui/fake_comfyui.py",
      arguments: [
        "--port", "\(port)", "--output-dir", "\(root)/output", "--input-dir", "\(root)/input", "--temp-dir",
        "\(root)/temp", "--exit-with-stdin",
      ] + arguments)
    var options = HTTPClient.Options()
    options.totalTimeout = 10
    client = ComfyClient(server: ServerAddress(host: "127.0.0.1", port: server.port), options: options)
  }

  /// `count` servers on consecutive ports, for `host:first-last`.
  static func range(_ count: Int, arguments: [String] = []) throws -> [FakeComfy] {
    for _ in 0..<20 {
      let base = Int.random(in: 20000...60000)
      var started: [FakeComfy] = []
      for k in 0..<count {
        guard let one = try? FakeComfy(port: base + k, arguments: arguments) else { break }
        started.append(one)
      }
      if started.count == count { return started }
    }
    throw SystemError("no \(count) consecutive free ports", errno: 0)
  }

  /// The history entry once the prompt is finished.
  func waitHistory(_ promptID: String, timeout: Double = 15) throws -> JSONObject? {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      if let entry = try client.history(promptID: promptID) { return entry }
      usleep(30_000)
    }
    return nil
  }

  func waitRunning(_ promptID: String, timeout: Double = 10) throws -> Bool {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      if try client.queue().running(promptID) != nil { return true }
      usleep(20_000)
    }
    return false
  }

  /// Arms one of the fake's test-only faults (`POST /fake/fault`).
  func fault(_ route: String, _ mode: String, times: Int = 1) throws {
    let body: JSON = ["route": .string(route), "mode": .string(mode), "times": .int(times)]
    _ = try client.send(.post, "\(baseURL)/fake/fault", json: body)
  }

  /// The files under the server's input folder, relative to it.
  func inputFiles() -> [String] {
    var found: [String] = []
    func walk(_ dir: String, _ prefix: String) {
      for name in listDirectoryNames(dir) ?? [] {
        var info = stat()
        guard stat("\(dir)/\(name)", &info) == 0 else { continue }
        if (info.st_mode & S_IFMT) == S_IFDIR {
          walk("\(dir)/\(name)", prefix + name + "/")
        } else {
          found.append(prefix + name)
        }
      }
    }
    walk(inputDir, "")
    return found.sorted()
  }
}

/// Runs remote-queue with no `COMFY_REMOTE` from the test's own environment.
func remoteQueue(_ arguments: [String], input: String? = nil, environment: [String: String?] = [:]) throws
  -> CapturedRun
{
  var env: [String: String?] = ["COMFY_REMOTE": nil]
  for (key, value) in environment { env[key] = value }
  return try Products.run("remote-queue", arguments, input: input, environment: env)
}

func line(_ record: JSON) -> String { record.serialized + "\n" }

/// §3 W3: seed-dependent output; node 2 is titled "Noise".
func noiseWorkflow(seed: Int = 42, prefix: String = "rq_test/noise") -> JSON {
  [
    "1": ["class_type": "EmptyImage", "inputs": ["width": 16, "height": 16, "batch_size": 1, "color": 8_421_504]],
    "2": [
      "class_type": "ImageAddNoise", "inputs": ["image": ["1", 0], "seed": .int(seed), "strength": 0.5],
      "_meta": ["title": "Noise"],
    ],
    "3": ["class_type": "SaveImage", "inputs": ["images": ["2", 0], "filename_prefix": .string(prefix)]],
  ]
}

/// A slow output node for cancel tests.
func sleepWorkflow(seconds: Double = 10) -> JSON {
  ["1": ["class_type": "FakeSleep", "inputs": ["seconds": .double(seconds)]]]
}

extension JSONObject {
  /// A node input of a carried prompt.
  func input(_ node: String, _ name: String) -> JSON? { self["prompt"]?[node]?["inputs"]?[name] }
}
