import Testing

@testable import WheelURL

@Suite struct TemplatesTests {
  let variables = TemplateVariables(env: TestEnvs.cudaTorch, package: "flash-attn", version: "2.8.3")

  @Test func everyBuiltinEntryExpandsForASampleEnv() throws {
    let registry = Registry.builtin
    #expect(registry.packages.count >= 19)
    for (name, sources) in registry.packages {
      let vars = TemplateVariables(env: TestEnvs.cudaTorch, package: name, version: "1.2.3")
      for source in sources {
        var texts: [String] = []
        switch source.kind {
        case .findLinks(let url), .template(let url, _): texts = [url]
        case .index(let url, let version): texts = [url] + (version.map { [$0] } ?? [])
        case .pypiVariant(let package, _): texts = [package]
        case .pypi: texts = []
        }
        for text in texts {
          let expanded = try vars.expand(text)
          #expect(!expanded.contains("{") && !expanded.contains("}"), "\(name): \(expanded)")
        }
        if let url = source.urlTemplate { #expect(try vars.expand(url).hasPrefix("https://"), "\(name)") }
      }
    }
  }

  @Test func expandsTheRegistrysTemplatesAsComfyEnvDid() throws {
    let registry = Registry.builtin
    #expect(
      try variables.expand(registry.sources(for: "torch_scatter")[0].urlTemplate!)
        == "https://data.pyg.org/whl/torch-2.8.0+cu128.html")
    #expect(
      try variables.expand(registry.sources(for: "pytorch3d")[0].urlTemplate!)
        == "https://dl.fbaipublicfiles.com/pytorch3d/packaging/wheels/py311_cu128_pyt280/download.html")
    #expect(
      try variables.expand(registry.sources(for: "flash-attn")[0].urlTemplate!)
        == "https://github.com/Dao-AILab/flash-attention/releases/download/v2.8.3/flash_attn-2.8.3%2Bcu12torch2.8cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"
    )
    let spconvSources = registry.sources(for: "spconv")
    guard case .index(_, let version?) = registry.sources(for: "detectron2")[0].kind,
      case .index(let forge, nil) = spconvSources[0].kind, case .index(let v2, nil) = spconvSources[1].kind,
      case .pypiVariant(let spconv, let builds) = spconvSources[2].kind
    else {
      Issue.record("detectron2 and spconv entries changed shape")
      return
    }
    #expect(try variables.expand(version) == "0.6+2a420edpt2.8.0cu128")
    // comfy-env E3 takes spconv from the cuda-wheels index; E1's PyPI variant follows, limited
    // to the CUDA builds PyPI has.
    #expect(forge == "https://comfy-forge.github.io/cuda-wheels/")
    #expect(v2 == "https://pozzettiandrea.github.io/cuda-wheels/v2/")
    #expect(try variables.expand(spconv) == "spconv-cu128")
    #expect(builds.first == "12.6" && !builds.contains("12.8") && !builds.contains("12.9"))
    #expect(Search.variantCUDA(for: CUDAVersion("12.8")!, among: builds) == CUDAVersion("12.6"))
    #expect(Search.variantCUDA(for: CUDAVersion("12.4")!, among: builds) == CUDAVersion("12.4"))
    #expect(Search.variantCUDA(for: CUDAVersion("11.5")!, among: builds) == CUDAVersion("11.4"))
    #expect(Search.variantCUDA(for: CUDAVersion("13.0")!, among: builds) == nil)
    for name in ["nvdiffrast", "cumesh", "sageattention"] {
      #expect(registry.sources(for: name).first?.urlTemplate == "https://comfy-forge.github.io/cuda-wheels/", "\(name)")
    }
  }

  @Test func variablesFollowComfyEnvsTable() throws {
    let env = WheelEnv(
      pythonVersion: "3.10", platformTags: [], cuda: CUDAVersion("12.4"), torchVersion: "2.10.0")
    let v = TemplateVariables(env: env, package: "x", version: "0.4.0")
    let expected: [String: String] = [
      "cuda_version": "12.4", "cuda_short": "124", "cuda_short2": "124", "cuda_major": "12",
      "torch_version": "2.10.0", "torch_short": "2100", "torch_mm": "210", "torch_dotted_mm": "2.10",
      "py_version": "3.10", "python_version": "3.10", "py_short": "310", "py_minor": "10", "py_tag": "cp310",
      "platform": "linux_x86_64", "os": "linux", "version": "0.4.0", "package": "x",
    ]
    for (name, value) in expected { #expect(try v.expand("{\(name)}") == value, "\(name)") }
    #expect(Set(TemplateVariables.known.keys).isSuperset(of: expected.keys))
  }

  @Test func anUnknownPlaceholderIsAnErrorNamingIt() {
    let error = #expect(throws: TemplateError.self) {
      try variables.expand("https://x.io/{cuda_shortt}/{torch_mm}")
    }
    #expect(error?.kind == .unknown)
    #expect(error?.placeholder == "cuda_shortt")
    #expect(
      error?.description.hasPrefix("unknown placeholder {cuda_shortt} in 'https://x.io/{cuda_shortt}/{torch_mm}'")
        == true)
  }

  @Test func aKnownPlaceholderWithoutAValueSaysWhy() {
    let cpu = TemplateVariables(env: TestEnvs.cpuOnly, package: "x")
    let error = #expect(throws: TemplateError.self) { try cpu.expand("torch-{torch_version}+cu{cuda_short}.html") }
    #expect(error?.placeholder == "cuda_short")
    #expect(error?.kind == .missingValue("the env has no CUDA"))
    let unpinned = #expect(throws: TemplateError.self) { try cpu.expand("v{version}") }
    #expect(unpinned?.placeholder == "version")
  }

  @Test func bracesThatAreNotPlaceholdersStay() throws {
    #expect(try variables.expand("a{b-c}{ }{}x{") == "a{b-c}{ }{}x{")
    #expect(TemplateVariables.placeholders(in: "{a}{b-c}{c_1}") == ["a", "c_1"])
  }
}
