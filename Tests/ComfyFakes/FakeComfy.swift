import ComfyRemote
import Foundation
import PipeHTTP
import PipeKit
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// A fake_comfyui process on loopback with its own folders, for the remote tools' tests, and a
/// ComfyRemote client to queue prompts on it and look inside it.
public final class FakeComfy: @unchecked Sendable {
  public let server: FixtureServer
  public let root: String
  public let client: ComfyClient

  public var port: Int { server.port }
  public var address: String { "127.0.0.1:\(port)" }
  /// The server's base URL, as a `job` record's `remote` names it.
  public var remote: String { "http://127.0.0.1:\(port)" }
  public var inputDir: String { "\(root)/input" }
  public var outputDirectory: String { "\(root)/output" }

  /// A new server; with `restarting`, one on the same port and folders as that (dead) server, as
  /// a ComfyUI restarted: its queue and history are gone, its input and output folders are not.
  public init(
    port: Int = 0, in scratch: TemporaryDirectory = .shared, arguments: [String] = [], restarting: FakeComfy? = nil
  ) throws {
    root = try restarting?.root ?? scratch.directory("comfy-\(UInt32.random(in: 0...UInt32.max))")
    let port = restarting?.port ?? port
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
  public static func range(_ count: Int, arguments: [String] = []) throws -> [FakeComfy] {
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

  /// Queues `prompt` (API-format JSON text) the way remote-queue does, with a UUID `prompt_id`
  /// and `clientID`, and returns its `job` record's line.
  public func queue(_ prompt: String, clientID: String = "rf-test", id: String? = nil) throws -> String {
    let promptID = UUID().uuidString.lowercased()
    let body: JSONObject = [
      "prompt": try JSON.parse(prompt), "client_id": .string(clientID), "prompt_id": .string(promptID),
    ]
    let reply = try client.postPrompt(body)
    var job: JSONObject = ["type": "job"]
    if let id { job["id"] = .string(id) }
    job["remote"] = .string(remote)
    job["prompt_id"] = .string(reply.promptID)
    job["client_id"] = .string(clientID)
    job["number"] = reply.number
    return JSON.object(job).serialized
  }

  /// The history entry once the prompt is finished.
  public func waitHistory(_ promptID: String, timeout: Double = 15) throws -> JSONObject? {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      if let entry = try client.history(promptID: promptID) { return entry }
      usleep(30_000)
    }
    return nil
  }

  public func waitRunning(_ promptID: String, timeout: Double = 10) throws -> Bool {
    let deadline = monotonicSeconds() + timeout
    while monotonicSeconds() < deadline {
      if try client.queue().running(promptID) != nil { return true }
      usleep(20_000)
    }
    return false
  }

  /// Arms one of the fake's test-only faults (`POST /fake/fault`).
  public func fault(_ route: String, _ mode: String, times: Int = 1) throws {
    let body: JSON = ["route": .string(route), "mode": .string(mode), "times": .int(times)]
    _ = try client.send(.post, "\(remote)/fake/fault", json: body)
  }

  /// The files under the server's input folder, relative to it.
  public func inputFiles() -> [String] {
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

  /// The bytes of an output file on the server's side.
  public func outputFile(_ name: String) -> [UInt8]? {
    readFileIfPresent("\(outputDirectory)/\(name)", limit: 1 << 24)
  }
}

/// A server from `Tests/Fixtures/hostile_comfyui/` in one of its modes (`--mode redirect` sends
/// everything to `redirectTo`).
public func hostileComfy(_ mode: String, redirectTo: String? = nil) throws -> FixtureServer {
  try FixtureServer(
    script: "Tests/Fixtures/hostile_comfyui/hostile_comfyui.py",
    arguments: ["--mode", mode] + (redirectTo.map { ["--redirect-to", $0] } ?? []))
}
