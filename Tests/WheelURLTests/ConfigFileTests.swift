import PipeHTTP
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
        "cuda nvdiffrast==0.4.0 @local", "pypi numpy @local", "cuda torch-scatter @sam3", "cuda gsplat @sam3",
        "pypi trimesh>=4 @sam3", "pypi pymeshlab @sam3",
      ])
    #expect(file.entries[0].settings == EnvSettings())
    #expect(file.entries[2].settings == EnvSettings(python: "3.12", cuda: "12.6", torch: "2.7"))
    #expect(
      file.warnings == [
        "[node_reqs] names custom node packs this pack needs, which wheel-url does not install: "
          + "ComfyUI_essentials (github.com/cubiq/ComfyUI_essentials); install them into ComfyUI's custom_nodes",
        "[system] linux needs Debian packages that wheel-url does not install: sudo apt-get install -y libgl1 libopengl0",
      ])
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
    // comfy-env 0.4.46's cuda-wheels index first, the older v2 index as the fallback.
    #expect(
      file.entries[0].extraSources.map(\.urlTemplate) == [
        "https://comfy-forge.github.io/cuda-wheels/", "https://pozzettiandrea.github.io/cuda-wheels/v2/",
      ])
    #expect(
      file.warnings == [
        "unrecognized key 'fallback' in [cuda] (known: packages)",
        "[pypi-dependencies] torch left out: torch comes from the env",
        "[env_vars] (OMP_NUM_THREADS=4) is for the node's worker at run time, not the env: set these in the environment node-run starts with",
      ])
    // Conda packages cannot be built with uv: an error for the file, what to do in it.
    #expect(
      file.errors.map(\.message) == [
        "[dependencies] are conda packages (cgal), and comfy-pipes builds envs with uv or pip, not conda: list their PyPI names under [pypi-dependencies] (E1: [packages] requirements) instead, or build this env with comfy-env"
      ])
  }

  @Test func comfyuiEnvTomlIsTheE1SimpleForm() throws {
    let file = try load("comfyui_env.toml")
    #expect(file.schema == .e1)
    #expect(summary(file) == ["cuda nvdiffrast==0.4.0", "cuda simplepkg"])
    #expect(file.entries[0].settings.python == "3.11")
    // An isolated env that names no pytorch takes comfy-env's "auto".
    #expect(file.entries[0].settings.torch == "auto")
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

  @Test func aRootFileIsNotAnEnvFile() throws {
    let error = #expect(throws: ErrorRecord.self) { try load("root.toml") }
    #expect(error?.message.contains("comfy-env-root.toml") == true)
    // Named comfy-env-root.toml, it is read as the pack's root file: notes, no requests.
    let root = try ConfigFile.parse(
      "[node_reqs]\nX = \"o/r\"\n[settings]\nisolate = true\n", path: "p/comfy-env-root.toml", platform: linux)
    #expect(root.schema == .root && root.entries.isEmpty)
    #expect(root.warnings.first?.contains("X (github.com/o/r)") == true)
    let other = #expect(throws: ErrorRecord.self) {
      try ConfigFile.parse("[cuda]\npackages = []\n", path: "p/comfy-env-root.toml", platform: linux)
    }
    #expect(
      other?.message.contains("carries [node_packs] (or [node_reqs]), [settings] and [types] only, not [cuda]") == true)
  }

  /// comfy-env's torch pin: the host's major.minor on its build's index; the config's pytorch
  /// on the config's CUDA; the family constrained where the table knows it.
  @Test func theTorchPinFollowsTheHost() throws {
    var host = WheelEnv(pythonVersion: "3.11", platformTags: [], cuda: CUDAVersion("12.8"), torchVersion: "2.8.0")
    host.torchLocal = "cu126"
    let pin = try #require(TorchPin(env: host, settings: EnvSettings(), indexBase: "https://m/whl"))
    #expect(pin.series == "2.8" && pin.index == "https://m/whl/cu126", "the host torch's own build")
    #expect(pin.entries.map(\.text) == ["torch==2.8.*", "torchvision==0.23.*", "torchaudio==2.8.*"])
    #expect(pin.entries.map(\.constraintOnly) == [false, true, true])
    let asked = try #require(TorchPin(env: host, settings: EnvSettings(cuda: "12.4", torch: "2.5.1"), indexBase: "b"))
    #expect(asked.series == "2.5" && asked.backend == "cu124")
    host.torchVersion = "2.13.0"
    host.torchLocal = "cpu"
    let newer = try #require(TorchPin(env: host, settings: EnvSettings(), indexBase: "b"))
    #expect(newer.backend == "cpu" && newer.entries.map(\.text) == ["torch==2.13.*"])
    host.torchVersion = nil
    let fallback = try #require(TorchPin(env: host, settings: EnvSettings(), indexBase: "b"))
    #expect(fallback.series == "2.8" && fallback.backend == "cu128", "comfy-env's default without a host torch")
    let file = try load("e3.toml")
    #expect(file.torchPins(env: nil).entries.isEmpty)
    // Without a host torch, comfy-env pins its fallback torch only in an env with CUDA packages.
    let bare = try ConfigFile.parse("[pypi-dependencies]\nsix = \"*\"\n", path: "nodes/comfy-env.toml", platform: linux)
    #expect(bare.torchPins(env: host).entries.isEmpty, "no CUDA packages, no host torch: nothing to pin")
    let cuda = try ConfigFile.parse(
      "[cuda]\npackages = [\"nvdiffrast\"]\n", path: "nodes/comfy-env.toml", platform: linux)
    #expect(cuda.torchPins(env: host).entries.map(\.text).first == "torch==2.8.*")
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

  /// A named env as packs ship it: every part read, the bare git URL passed through as written,
  /// `[node_reqs]` and `[system]` turned into notes rather than refusing or vanishing.
  @Test func e1NamedEnvAsPacksShipIt() throws {
    let file = try load("e1-named-env-real.toml")
    #expect(file.schema == .e1)
    let sam2 = "git+https://github.com/facebookresearch/sam2.git@2b90b9f5ceec907a1c18123530e92e794ad901a4"
    #expect(
      summary(file) == [
        "cuda nvdiffrast==0.4.0 @sam3d", "cuda torch-scatter @sam3d", "pypi trimesh>=4 @sam3d", "pypi \(sam2) @sam3d",
        "pypi utils3d @ git+https://github.com/EasternJournalist/utils3d.git@c5daf6f @sam3d",
        "pypi pymeshlab>=2023 @sam3d",
      ])
    #expect(file.entries[0].settings == EnvSettings(python: "3.11", cuda: "12.4", torch: "auto"))
    #expect(
      file.warnings == [
        "[node_reqs] names custom node packs this pack needs, which wheel-url does not install: "
          + "ComfyUI_essentials (github.com/cubiq/ComfyUI_essentials), "
          + "ComfyUI-GeometryPack (github.com/PozzettiAndrea/ComfyUI-GeometryPack tag v0.3.1); "
          + "install them into ComfyUI's custom_nodes",
        "[system] linux needs Debian packages that wheel-url does not install: "
          + "sudo apt-get install -y libgl1 libglib2.0-0",
      ])
    let requests = try file.entries.map { try $0.request(file: file.path, env: TestEnvs.cudaTorch) }
    #expect(requests[3].passThrough)
    #expect(
      requests[3].requirementRecord() == [
        "type": "requirement", "spec": .string(sam2), "env": "sam3d", "python": "3.11",
      ])
    #expect(file.errors.map(\.message).first?.hasPrefix("[sam3d.conda] packages are conda packages (cgal)") == true)
  }

  /// E3 with `[node_reqs]`: read (comfy-env 0.4.46 lets it through), the packs named in a note.
  @Test func e3WithNodeReqsIsReadAndNoted() throws {
    let file = try load("e3-real.toml")
    #expect(file.schema == .e3)
    #expect(
      summary(file) == [
        "cuda cumesh", "cuda nvdiffrast", "pypi trimesh>=4.5", "pypi open3d",
        "pypi sam2 @ git+https://github.com/facebookresearch/sam2.git@2b90b9f",
      ])
    #expect(
      file.warnings == [
        "[node_reqs] names custom node packs this pack needs, which wheel-url does not install: "
          + "ComfyUI-KJNodes (github.com/kijai/ComfyUI-KJNodes), "
          + "comfyui_essentials (registry.comfy.org comfyui_essentials version 1.1.0); "
          + "install them into ComfyUI's custom_nodes"
      ])
  }

  /// comfy-env 0.4.25 renamed the root file's [node_reqs] to [node_packs]: both are read and noted.
  @Test func nodePacksIsTheNewNameOfNodeReqs() throws {
    let root = try ConfigFile.parse(
      "[node_packs]\nComfyUI-KJNodes = \"kijai/ComfyUI-KJNodes\"\n[types]\n", path: "p/comfy-env-root.toml",
      platform: linux)
    #expect(root.schema == .root)
    #expect(
      root.warnings == [
        "[node_packs] names custom node packs this pack needs, which wheel-url does not install: "
          + "ComfyUI-KJNodes (github.com/kijai/ComfyUI-KJNodes); install them into ComfyUI's custom_nodes"
      ])
    let e1 = try ConfigFile.parse(
      "[node_packs]\nX = \"o/x\"\n[packages]\nrequirements = [\"six\"]\n", path: "c.toml", platform: linux)
    #expect(e1.schema == .e1 && e1.isolatedEnvs.isEmpty, "[node_packs] is not a named env")
    #expect(e1.warnings.first?.hasPrefix("[node_packs] names custom node packs") == true)
  }

  /// A bare VCS URL passes through; anything else that is not a requirement is still refused.
  @Test func bareVCSURLsPassThroughAndJunkDoesNot() throws {
    let file = try ConfigFile.parse(
      "[packages]\nrequirements = [\"git+https://github.com/o/r@abc\", \"git+ftp://x/y\", \"not a req\"]\n",
      path: "c.toml", platform: linux)
    let request = try file.entries[0].request(file: "c.toml", env: nil)
    #expect(request.passThrough && request.text == "git+https://github.com/o/r@abc")
    let outcome = Resolver(pages: PageLoader(fetcher: Fetcher(client: HTTPClient(), offline: true)))
      .resolve(request, env: nil)
    guard case .requirement(let record) = outcome else {
      Issue.record("expected a requirement record, got \(outcome)")
      return
    }
    #expect(record == ["type": "requirement", "spec": "git+https://github.com/o/r@abc"])
    for entry in file.entries.dropFirst() {
      #expect(throws: ErrorRecord.self) { try entry.request(file: "c.toml", env: nil) }
    }
  }

  /// `[node_reqs]` and `[system]` of the wrong shape are errors at their line, not silence.
  @Test func malformedNodeReqsAndSystemAreErrors() {
    for (text, message) in [
      ("[node_reqs]\nx = 3\n", "[node_reqs] x must be"), ("node_reqs = 3\n", "[node_reqs] must be a table"),
      ("[system]\nlinux = [1]\n", "system.linux must list strings"),
    ] {
      let error = #expect(throws: ErrorRecord.self) { try ConfigFile.parse(text, path: "c.toml", platform: linux) }
      #expect(error?.message.contains(message) == true, "\(text)")
    }
  }

  /// `pytorch_version = "auto"` (or none given) with no torch installed: comfy-env's rule,
  /// CUDA 12.4 → 2.5.1, anything else → 2.8.0; an installed torch is kept.
  @Test func autoTorchFollowsComfyEnvsRule() throws {
    let noTorch = WheelEnv(
      pythonVersion: "3.11", platformTags: TestEnvs.linux(glibc: 36), cuda: CUDAVersion("12.8"), torchVersion: nil)
    let auto = EnvSettings(torch: "auto")
    #expect(try noTorch.adjusted(auto).torchVersion == "2.8.0")
    #expect(try noTorch.adjusted(EnvSettings(cuda: "12.4", torch: "auto")).torchVersion == "2.5.1")
    #expect(try noTorch.adjusted(EnvSettings(cuda: "none", torch: "AUTO")).torchVersion == "2.8.0")
    #expect(try TestEnvs.otherPython.adjusted(auto).torchVersion == "2.7.1")
    // No setting is "auto" too (comfy-env: absent or "auto"); "none" is no torch.
    #expect(try noTorch.adjusted(EnvSettings()).torchVersion == "2.8.0")
    #expect(try noTorch.adjusted(EnvSettings()).torchIsDefault)
    #expect(try noTorch.adjusted(EnvSettings(torch: "none")).torchVersion == nil)
    #expect(try !TestEnvs.otherPython.adjusted(EnvSettings()).torchIsDefault)

    let file = try load("e1-auto-torch.toml")
    let request = try file.entries[0].request(file: file.path, env: noTorch)
    #expect(
      request.requirement.url == "https://data.pyg.org/whl/torch-2.5.1+cu124/pyg_lib-0.4.0-cp311-cp311-linux_x86_64.whl"
    )
  }
}
