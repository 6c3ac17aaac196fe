import Foundation
import PipeKit
import TestSupport

/// A fake ComfyUI server for one test, with its own output folder, and a way to queue prompts
/// on it the way remote-queue does (a UUID `prompt_id` and a `client_id`).
final class FakeComfy: @unchecked Sendable {
  let server: FixtureServer
  let outputDirectory: String
  var port: Int { server.port }
  var remote: String { "http://127.0.0.1:\(port)" }

  init(port: Int = 0, in scratch: TemporaryDirectory, arguments: [String] = []) throws {
    let dir = try scratch.directory("fake-\(UUID().uuidString.prefix(8))")
    outputDirectory = dir + "/output"
    server = try FixtureServer(
      script: "Tests/Fixtures/fake_comfyui/fake_comfyui.py",
      arguments: ["--port", String(port), "--output-dir", outputDirectory, "--input-dir", dir + "/input"] + arguments)
  }

  /// Queues `prompt` and returns its `job` record.
  func queue(_ prompt: String, clientID: String = "rf-test", id: String? = nil) throws -> String {
    let promptID = UUID().uuidString.lowercased()
    let body = #"{"prompt":\#(prompt),"client_id":"\#(clientID)","prompt_id":"\#(promptID)"}"#
    let (status, answer) = try post("/prompt", body)
    guard status == 200 else { throw SystemError("POST /prompt: \(status) \(answer)", errno: 0) }
    let idPart = id.map { #""id":"\#($0)","# } ?? ""
    return
      #"{"type":"job",\#(idPart)"remote":"\#(remote)","prompt_id":"\#(promptID)","client_id":"\#(clientID)","number":0}"#
  }

  /// One HTTP/1.1 POST over a fresh connection: the status and the body's text.
  func post(_ path: String, _ body: String) throws -> (Int, String) {
    let connection = try TCPConnection.connect(host: "127.0.0.1", port: port, timeout: 5)
    let deadline = monotonicSeconds() + 10
    let bytes = Array(body.utf8)
    let head =
      "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
      + "Content-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
    try connection.write(Array(head.utf8) + bytes, until: deadline)
    var answer: [UInt8] = []
    while let chunk = try connection.read(until: deadline), !chunk.isEmpty { answer += chunk }
    let text = String(decoding: answer, as: UTF8.self)
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    let bodyText = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    return (status, bodyText)
  }

  /// The bytes of an output file on the server's side.
  func outputFile(_ name: String) -> [UInt8]? { readFileIfPresent("\(outputDirectory)/\(name)", limit: 1 << 24) }
}

/// Workflows from comfyui-api.md §3 and the fake's test-only nodes.
enum Workflows {
  /// W3: a seed-dependent PNG, saved under `rf/<prefix>`.
  static func noise(seed: Int, prefix: String) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":32,"height":32,"batch_size":1,"color":8421504}},"#
      + #""2":{"class_type":"ImageAddNoise","inputs":{"image":["1",0],"seed":\#(seed),"strength":0.5}},"#
      + #""3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"rf/\#(prefix)"}}}"#
  }

  /// A PNG and a `.latent` from one prompt, plus a text output that is not a file.
  static func imageAndLatent(width: Int, prefix: String) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":\#(width),"height":16,"batch_size":1,"color":255}},"#
      + #""2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"rf/\#(prefix)"}},"#
      + #""3":{"class_type":"EmptyLatentImage","inputs":{"width":\#(width),"height":64,"batch_size":1}},"#
      + #""4":{"class_type":"SaveLatent","inputs":{"samples":["3",0],"filename_prefix":"rf/\#(prefix)"}},"#
      + #""5":{"class_type":"PrimitiveString","inputs":{"value":"hello"}},"#
      + #""6":{"class_type":"PreviewAny","inputs":{"source":["5",0]}}}"#
  }

  /// FakeSleep before SaveImage: a job that takes `seconds`.
  static func slow(_ seconds: Double, prefix: String, progress: Bool = true) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":\#(Int.random(in: 0...0xFFFFFF))}},"#
      + #""2":{"class_type":"FakeSleep","inputs":{"seconds":\#(seconds),"image":["1",0],"progress":\#(progress)}},"#
      + #""3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"rf/\#(prefix)"}}}"#
  }

  static let failing =
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"#
    + #""2":{"class_type":"FakeRaise","inputs":{"message":"planned failure","image":["1",0]}}}"#
}

/// A hostile server from `Tests/Fixtures/hostile_comfyui/` in one of its modes.
func hostileServer(_ mode: String) throws -> FixtureServer {
  try FixtureServer(script: "Tests/Fixtures/hostile_comfyui/hostile_comfyui.py", arguments: ["--mode", mode])
}

/// Runs `body` on another thread after `delay` seconds.
func later(_ delay: Double, _ body: @escaping @Sendable () -> Void) {
  DispatchQueue.global().asyncAfter(deadline: .now() + delay, execute: body)
}
