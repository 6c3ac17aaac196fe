import PipeKit
import TestSupport
import Testing

@testable import WheelURL

/// Each config schema from a fixture file → the right entries, sources and warnings.
@Suite struct ConfigFileTests {
  static let directory = "\(Products.root)/Tests/Fixtures/configs"
  let linux = (os: "linux", arch: "x86_64")

  func load(_ name: String) throws -> ConfigFile {
    try ConfigFile.load("\(Self.directory)/\(name)", platform: linux)
  }

  func summary(_ file: ConfigFile) -> [String] {
    file.entries.map { "\($0.kind == .cuda ? "cuda" : "pypi") \($0.text)\($0.envName.map { " @" + $0 } ?? "")" }
  }

  @Test func e1SimpleForm() throws {
    let file = try load("e1-simple.toml")
    #expect(file.schema == .e1)
    #expect(
      summary(file) == [
        "pypi transformers>=4.56", "pypi pillow", "cuda nvdiffrast==0.4.0", "cuda cumesh>=0.1", "pypi numpy>=1.26",
        "pypi scipy", "cuda torch-scatter==2.1.2",
      ])
    #expect(file.entries.allSatisfy { $0.settings == EnvSettings(python: "3.12", cuda: "12.6", torch: "2.7.1") })
    #expect(file.entries[0].variables == ["extra": "tqdm"])
    #expect(file.sources.count == 1)
    #expect(file.sources[0].kind == .findLinks(url: "file://\(Self.directory)/wheels/"))
  }

  @Test func e1FullFormWithANamedEnv() throws {
    let file = try load("e1-full.toml")
    #expect(file.schema == .e1)
    #expect(
      summary(file) == [
        "cuda nvdiffrast==0.4.0", "pypi numpy", "cuda torch-scatter @sam3", "cuda gsplat @sam3",
        "pypi trimesh>=4 @sam3", "pypi pymeshlab @sam3",
      ])
    #expect(file.entries[0].settings == EnvSettings())
    #expect(file.entries[2].settings == EnvSettings(python: "3.12", cuda: "12.6", torch: "2.7"))
    #expect(file.warnings == ["[sam3.conda] packages are conda's; wheel-url leaves them to venv-make or pixi"])
  }

  @Test func e3EnvFile() throws {
    let file = try load("e3.toml")
    #expect(file.schema == .e3)
    #expect(
      summary(file) == [
        "cuda nvdiffrast", "cuda cumesh", "pypi trimesh[easy]>=4", "pypi numpy",
        "pypi opencv-python-headless==4.10.0.84",
        "pypi mylib @ git+https://github.com/example/mylib@v1", "pypi pymeshlab>=2023",
      ])
    #expect(file.entries.allSatisfy { $0.settings.python == "3.11" })
    #expect(file.entries[0].extraSources == [ConfigE3.cudaWheelsIndex])
    #expect(
      file.warnings == [
        "unrecognized key 'fallback' in [cuda] (known: packages)",
        "[pypi-dependencies] torch left out: torch comes from the env",
        "[dependencies] are conda packages (cgal); wheel-url leaves them to pixi",
      ])
  }

  @Test func comfyuiEnvTomlIsTheE1SimpleForm() throws {
    let file = try load("comfyui_env.toml")
    #expect(file.schema == .e1)
    #expect(summary(file) == ["cuda nvdiffrast==0.4.0", "cuda simplepkg"])
    #expect(file.entries[0].settings.python == "3.11")
  }

  @Test func aBadTOMLFileIsAPositionedError() {
    let error = #expect(throws: ErrorRecord.self) { try load("bad-syntax.toml") }
    #expect(error?.code == "bad-config")
    #expect(error?.message.hasPrefix("\(Self.directory)/bad-syntax.toml:5:") == true)
    #expect(error?.detail?["line"] == 5)
    #expect(error?.detail?["column"]?.intValue != nil)
  }

  @Test func anUnquotedPythonIsAnErrorAtItsLine() {
    let error = #expect(throws: ErrorRecord.self) { try load("e3-python-number.toml") }
    #expect(error?.code == "bad-config")
    #expect(
      error?.message
        == "\(Self.directory)/e3-python-number.toml:2: python = 3.10 must be a string; quote it: python = \"3.10\"")
  }

  @Test func aRootFileIsNotAnEnvFile() {
    let error = #expect(throws: ErrorRecord.self) { try load("root.toml") }
    #expect(error?.message.contains("comfy-env-root.toml") == true)
  }

  @Test func aMissingFileIsNoInput() {
    let error = #expect(throws: ErrorRecord.self) { try load("nope.toml") }
    #expect(error?.code == "no-input")
    #expect(error?.exit == .noInput)
  }

  @Test func e3RefusesWhatComfyEnvRefuses() {
    let cases: [(String, String)] = [
      ("schema = 2\n", "schema = 2 is not supported"),
      ("[cuda]\npackages = [\"torch\"]\n", "must not name torch"),
      ("[feature.x]\na = 1\n", "[feature] is not allowed"),
      ("[workspace]\nname = \"x\"\n", "workspace.name is set by comfy-env"),
      ("python = \"3.11\"\n[serializers]\n", "[serializers] moved out"),
    ]
    for (text, message) in cases {
      let error = #expect(throws: ErrorRecord.self) { try ConfigFile.parse(text, path: "c.toml", platform: linux) }
      #expect(error?.message.contains(message) == true, "\(text)")
    }
  }

  @Test func variablesExpandOnceTheEnvIsKnown() throws {
    let file = try load("e1-variables.toml")
    let requests = try file.entries.map { try $0.request(file: file.path, env: TestEnvs.cudaTorch) }
    #expect(requests.map(\.text) == ["tqdm>=4", "cupy-cuda12x", "simplepkg"])
    #expect(requests.map(\.passThrough) == [true, true, false])
    let unknown = try load("e1-unknown-placeholder.toml")
    let error = #expect(throws: ErrorRecord.self) { try unknown.entries[0].request(file: "f", env: TestEnvs.cudaTorch) }
    #expect(error?.code == "unknown-placeholder")
    #expect(error?.message.contains("{cuda_majr}") == true)
  }
}
