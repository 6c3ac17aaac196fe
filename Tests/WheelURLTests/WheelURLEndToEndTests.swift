import PipeKit
import TestSupport
import Testing

/// wheel-url run as a program, alone and in a pipe after cuda-detect.
@Suite struct WheelURLEndToEndTests {
  let scratch = TemporaryDirectory()
  let local = WheelIndexFixture.localDirectory

  func line(_ record: JSONObject) -> String { JSON.object(record).serialized + "\n" }

  @Test func cudaDetectPipesIntoAnE3Config() throws {
    let config = try scratch.write(
      "e3/comfy-env.toml",
      """
      python = "3.11"
      [cuda]
      packages = ["nvdiffrast", "cumesh"]
      [pypi-dependencies]
      trimesh = ">=4"
      """)
    let detect = "cuda-detect --no-python --no-smi --cuda-version 12.8"
    let run = try Products.shell(
      "\(detect) | wheel-url --config '\(config)' --torch 2.8.0 --find-links '\(local)/flat' --offline",
      environment: ["UV_CUDA_DRIVER_VERSION": nil, "COMFY_ENV_CUDA_VERSION": nil])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let env = try Products.run("cuda-detect", ["--no-python", "--no-smi", "--cuda-version", "12.8"])
    let records = run.records
    #expect(records.count == 7)
    #expect(records.first == env.records.first, "the env record is forwarded unchanged")
    #expect(records.map { $0.type ?? "" } == ["env", "wheel", "wheel"] + Array(repeating: "requirement", count: 4))
    #expect(records[1]["name"] == "nvdiffrast")
    #expect(records[1]["filename"]?.stringValue?.contains("+cu128torch2.8-cp311-cp311-manylinux") == true)
    #expect(records[2]["name"] == "cumesh")
    #expect(records[2]["url"]?.stringValue?.hasPrefix("file://\(local)/flat/cumesh-0.2.0+pt2.8cu128-cp311") == true)
    #expect(records[3] == ["type": "requirement", "spec": "trimesh>=4", "python": "3.11"], "the config's python")
    // CUDA packages and no host torch: comfy-env's fallback torch (2.8) pinned, from its CUDA build.
    #expect(records[4]["spec"] == "torch==2.8.*")
    #expect(records[4]["index"] == "https://download.pytorch.org/whl/cu128")
    #expect(records[5]["constraint"] == true && records[6]["constraint"] == true)
  }

  @Test func anE1ConfigWithItsOwnEnvAndSources() throws {
    let config = try scratch.write(
      "e1/comfy-env.toml",
      """
      [env]
      python = "3.12"
      cuda = "12.6"
      pytorch = "2.7.1"
      [packages]
      requirements = ["transformers>=4.56"]
      no_deps = ["nvdiffrast==0.4.0"]
      [sources]
      wheel_sources = ["\(local)/links.html"]
      """)
    let run = try Products.run(
      "wheel-url", ["--config", config, "--no-registry"], input: line(TestEnvs.record()))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(
      run.records.map { $0.type ?? "" } == ["env", "requirement", "wheel", "requirement", "requirement", "requirement"])
    #expect(run.records[1]["spec"] == "transformers>=4.56")
    #expect(run.records[1]["python"] == "3.12", "the env's python, for venv-make")
    // The isolated env's torch pin: the config's 2.7 on its CUDA 12.6 build.
    #expect(
      run.records[3]
        == [
          "type": "requirement", "spec": "torch==2.7.*", "index": "https://download.pytorch.org/whl/cu126",
          "python": "3.12",
        ])
    #expect(run.records[4]["spec"] == "torchvision==0.22.*" && run.records[4]["constraint"] == true)
    #expect(
      run.records[2]["filename"]
        == "nvdiffrast-0.4.0+cu126torch2.7-cp312-cp312-manylinux_2_34_x86_64.manylinux_2_35_x86_64.whl")
    #expect(run.records[2]["sha256"]?.stringValue?.count == 64)
  }

  /// A config as packs ship it, on a machine without torch: torch "auto" is comfy-env's pick
  /// (CUDA 12.4 → 2.5.1, in the URL tried), the bare git URL passes through, and [node_reqs]
  /// and [system] are notes on stderr, not a refused file.
  @Test func aRealE1ConfigOnAMachineWithoutTorch() throws {
    let config = "\(Products.root)/Tests/Fixtures/configs/e1-named-env-real.toml"
    let run = try Products.run(
      "wheel-url", ["--config", config, "--offline"], input: line(TestEnvs.record(torch: nil)))
    #expect(run.exit == .exited(1), "\(run.stderrText)")
    let scatter = run.records.first { $0["message"]?.stringValue?.hasPrefix("torch-scatter:") == true }
    #expect(scatter?["message"]?.stringValue?.contains("torch-2.5.1+cu124.html") == true)
    #expect(!run.stdoutText.contains("pass --torch"))
    #expect(
      run.records.contains([
        "type": "requirement",
        "spec": "git+https://github.com/facebookresearch/sam2.git@2b90b9f5ceec907a1c18123530e92e794ad901a4",
        "env": "sam3d", "python": "3.11",
      ]))
    #expect(
      run.stderrText.contains("[sam3d.conda] packages are conda packages (cgal)"), "an error, not a vanished table")
    #expect(run.stderrText.contains("ComfyUI_essentials (github.com/cubiq/ComfyUI_essentials)"))
    #expect(run.stderrText.contains("sudo apt-get install -y libgl1 libglib2.0-0"))
  }

  @Test func theFixtureConfigsGiveTheirRecords() throws {
    let configs = "\(Products.root)/Tests/Fixtures/configs"
    let common = ["--find-links", "\(local)/flat", "--offline", "--quiet"]
    let legacy = try Products.run(
      "wheel-url", ["--config", "\(configs)/comfyui_env.toml"] + common, input: line(TestEnvs.record()))
    #expect(legacy.exit == .exited(0), "\(legacy.stderrText)")
    #expect(
      legacy.records.compactMap { $0["filename"]?.stringValue }.map { $0.prefix(35) } == [
        "nvdiffrast-0.4.0+cu128torch2.8-cp31", "simplepkg-1.2.0-py3-none-any.whl",
      ])
    let full = try Products.run(
      "wheel-url", ["--config", "\(configs)/e1-full.toml"] + common, input: line(TestEnvs.record()))
    #expect(full.exit == .exited(1))
    let answers = full.records.dropFirst().map { record in
      "\(record.type ?? "") \(record["filename"]?.stringValue ?? record["spec"]?.stringValue ?? record["code"]?.stringValue ?? "") \(record["env"]?.stringValue ?? "host")"
    }
    #expect(
      answers == [
        "error bad-config host",  // [sam3.conda]
        "wheel nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-manylinux_2_34_x86_64.manylinux_2_35_x86_64.whl local",
        "requirement numpy local",
        "wheel torch_scatter-2.1.2+pt27cu126-cp312-cp312-linux_x86_64.whl sam3",
        "error no-wheel host",
        "requirement trimesh>=4 sam3",
        "requirement pymeshlab sam3",
        "requirement torch==2.7.* sam3", "requirement torchvision==0.22.* sam3", "requirement torchaudio==2.7.* sam3",
      ])
  }

  @Test func aResetConnectionIsRetriedAndA404IsNot() throws {
    let key = "e2e-\(UInt32.random(in: 0...UInt32.max))"
    let flaky = "\(WheelIndexFixture.url)/flaky/\(key)/1/links.html"
    let run = try Products.run(
      "wheel-url", ["--find-links", flaky, "--no-registry", "simplepkg==1.0.0"], input: line(TestEnvs.record()))
    #expect(run.exit == .exited(0))
    #expect(run.records.last?["source"] == .string(flaky))
    let gone = "\(WheelIndexFixture.url)/flaky/\(key)-404/0/no/such/page.html"
    let missing = try Products.run(
      "wheel-url", ["--find-links", gone, "--no-registry", "simplepkg==1.0.0"], input: line(TestEnvs.record()))
    #expect(missing.records.last?["type"] == "requirement")
    #expect(missing.stderrText.contains("\(gone): HTTP 404"))
    let count = try runCapturing(
      "/usr/bin/env",
      [
        "python3", "-c", "import urllib.request,sys;print(urllib.request.urlopen(sys.argv[1]).read().decode())",
        "\(WheelIndexFixture.url)/count/\(key)-404",
      ])
    #expect(count.stdoutText.hasPrefix("{\"count\": 1}"))
  }

  @Test func packageRecordsAreAnsweredInOrderWithTheirIds() throws {
    let input = [
      line(TestEnvs.record()), "{\"type\":\"note\",\"text\":\"kept\"}\n",
      "{\"type\":\"package\",\"name\":\"simplepkg\",\"spec\":\"==1.0.0\",\"id\":\"a\"}\n", "this is not json\n",
      "{\"type\":\"package\",\"name\":\"nvdiffrast\",\"id\":7}\n", "{\"type\":\"package\",\"id\":8}\n",
      "{\"type\":\"package\",\"name\":\"nvdiffrast\",\"spec\":\">=9\",\"id\":9}\n",
    ].joined()
    let run = try Products.run(
      "wheel-url", ["--find-links", "\(WheelIndexFixture.url)/links.html", "--no-registry"], input: input)
    #expect(run.exit == .exited(65))
    let records = run.records
    #expect(records.map { $0.type ?? "" } == ["env", "note", "wheel", "error", "wheel", "error", "error"])
    #expect(records[1] == ["type": "note", "text": "kept"])
    #expect(records[2]["id"] == "a" && records[2]["version"] == "1.0.0")
    #expect(records[3]["code"] == "bad-record" && records[3]["detail"]?["line"] == 4)
    #expect(records[4]["id"] == 7)
    #expect(records[5]["code"] == "bad-package" && records[5]["id"] == 8)
    #expect(records[6]["code"] == "no-wheel" && records[6]["id"] == 9)
    #expect(run.stderrText.contains("wheel-url: error (at <stdin>:4): input line 4 is not a JSON record"))
  }

  @Test func packagesBeforeTheEnvWaitForIt() throws {
    let input = "{\"type\":\"package\",\"name\":\"simplepkg\",\"spec\":\"1.0.0\"}\n" + line(TestEnvs.record())
    let run = try Products.run("wheel-url", ["--find-links", "\(local)/flat", "--no-registry"], input: input)
    #expect(run.exit == .exited(0))
    #expect(run.records.map { $0.type ?? "" } == ["env", "wheel"])
    #expect(run.records[1]["url"] == .string("file://\(local)/flat/simplepkg-1.0.0-py3-none-any.whl"))
  }

  @Test func withoutAnEnvPlainPackagesStillPassThrough() throws {
    let run = try Products.run("wheel-url", ["transformers", "nvdiffrast==0.4.0"])
    #expect(run.exit == .exited(1))
    #expect(run.records.count == 2)
    #expect(run.records[0] == ["type": "requirement", "spec": "transformers"])
    #expect(run.records[1]["code"] == "no-env")
    #expect(
      run.records[1]["message"]?.stringValue?.contains("pipe cuda-detect into wheel-url, or pass --env FILE") == true)
  }

  @Test func envFromAFile() throws {
    let envFile = try scratch.write("env.json", line(TestEnvs.record(cuda: nil)))
    let run = try Products.run(
      "wheel-url", ["--env", envFile, "--find-links", "\(local)/flat", "--no-registry", "torch-scatter"])
    #expect(run.exit == .exited(0))
    #expect(run.records.count == 1)
    #expect(run.records[0]["filename"] == "torch_scatter-2.1.2+pt28cpu-cp311-cp311-linux_x86_64.whl")
    let missing = try Products.run("wheel-url", ["--env", "\(scratch.path)/nope.json", "x"])
    #expect(missing.exit == .exited(66))
    #expect(missing.records.first?["code"] == "no-input")
  }

  @Test func offlineWithAnHTTPIndexIsAnErrorNotAHang() throws {
    let start = monotonicSeconds()
    let run = try Products.run(
      "wheel-url", ["--offline", "--index", "http://192.0.2.1/simple/", "nvdiffrast"], input: line(TestEnvs.record()))
    #expect(monotonicSeconds() - start < 5)
    #expect(run.exit == .exited(1))
    #expect(run.records.last?["code"] == "offline")
    #expect(run.stderrText.contains("--offline forbids reading http://192.0.2.1/simple/nvdiffrast/"))
  }

  @Test func aBadConfigIsAPositionedErrorAndTheRestGoesOn() throws {
    let config = try scratch.write("bad/comfy-env.toml", "[cuda]\nnvdiffrast = 0.4.0\"\n")
    let run = try Products.run("wheel-url", ["--config", config, "transformers"], input: line(TestEnvs.record()))
    #expect(run.exit == .exited(1))
    #expect(run.records.map { $0.type ?? "" } == ["env", "error", "requirement"])
    #expect(run.records[1]["code"] == "bad-config")
    #expect(run.records[1]["detail"]?["line"] == 2)
    #expect(run.stderrText.contains("\(config):2:"))
  }

  @Test func theBuiltinRegistryAnswersOffline() throws {
    let run = try Products.run(
      "wheel-url", ["--offline", "flash-attn==2.8.3", "spconv", "triton"], input: line(TestEnvs.record()))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.map { $0.type ?? "" } == ["env", "wheel", "requirement", "requirement"])
    #expect(
      run.records[1]["url"]
        == "https://github.com/Dao-AILab/flash-attention/releases/download/v2.8.3/flash_attn-2.8.3%2Bcu12torch2.8cxx11abiTRUE-cp311-cp311-linux_x86_64.whl"
    )
    // PyPI has no spconv-cu128: the newest build at or below CUDA 12.8 is spconv-cu126.
    #expect(run.records[2]["spec"] == "spconv-cu126")
    #expect(run.records[3]["spec"] == "triton")
    #expect(run.stderrText.contains("spconv: PyPI has no build for CUDA 12.8; chose the one for CUDA 12.6"))
    let cu124 = try Products.run("wheel-url", ["--offline", "spconv"], input: line(TestEnvs.record(cuda: "12.4")))
    #expect(cu124.records.last?["spec"] == "spconv-cu124")
  }

  /// A CUDA PyPI has no spconv for, and an index without it, is a miss: an error record, exit 1.
  @Test func spconvWithoutABuildIsAnError() throws {
    let run = try Products.run("wheel-url", ["--offline", "spconv"], input: line(TestEnvs.record(cuda: "13.0")))
    #expect(run.exit == .exited(1))
    #expect(run.records.last?.type == "error")
    let tried = run.records.last?["detail"]?["tried"]?.arrayValue ?? []
    #expect(tried.last?["result"]?.stringValue?.hasPrefix("PyPI has spconv builds for CUDA 12.6, 12.4,") == true)
    // With an index that was read (a local one without spconv), the miss's message says why.
    let empty = try scratch.directory("no-spconv-index")
    let online = try Products.run(
      "wheel-url", ["--offline", "--index", empty, "spconv"], input: line(TestEnvs.record(cuda: "13.0")))
    #expect(online.exit == .exited(1))
    #expect(online.records.last?["code"] == "no-wheel")
    #expect(
      online.records.last?["message"]?.stringValue?.contains("PyPI has spconv builds for CUDA 12.6, 12.4,") == true)
  }

  /// The cuda-wheels index lists one torch-free build under every torch of its CUDA line, by
  /// anchor text (Tests/Fixtures/cuda_wheels): a wheel is chosen for what the page lists it as,
  /// and recorded as the file the href names.
  @Test func aliasesOnACudaWheelsPageAreMatchedByTheirText() throws {
    let index = "\(Products.root)/Tests/Fixtures/cuda_wheels"
    let base = "https://github.com/Comfy-Forge/cuda-wheels/releases/download/spconv-latest/"
    let real = "spconv-2.3.8+cu128torch2.11-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"
    let arguments = ["--offline", "--no-registry", "--index", index, "spconv"]
    let run = try Products.run("wheel-url", arguments, input: line(TestEnvs.record()))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let wheel = run.records.last ?? [:]
    #expect(wheel.type == "wheel")
    #expect(wheel["url"] == .string(base + real.replacingOccurrences("+", "%2B")))
    #expect(wheel["filename"] == .string(real))
    #expect(wheel["version"] == "2.3.8+cu128torch2.11")
    #expect(wheel["sha256"]?.stringValue?.count == 64)
    #expect(
      run.stderrText.contains(
        "lists \(real) as spconv-2.3.8+cu128torch2.8-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl"))
    // The cu126 line: a torch 2.6 env gets the torch 2.7 build.
    let cu126 = try Products.run(
      "wheel-url", arguments, input: line(TestEnvs.record(python: "3.12.3", cuda: "12.6", torch: "2.6.0")))
    #expect(cu126.records.last?["filename"]?.stringValue?.hasPrefix("spconv-2.3.8+cu126torch2.7-cp312-cp312-") == true)
    // A torch the page does not list is a miss that names the listed torches.
    let miss = try Products.run("wheel-url", arguments, input: line(TestEnvs.record(torch: "2.9.0")))
    #expect(miss.exit == .exited(1))
    let torches = Set(
      (miss.records.last?["detail"]?["available"]?.arrayValue ?? []).compactMap { $0["torch"]?.stringValue })
    #expect(torches == ["2.6", "2.7", "2.8", "2.10", "2.11"])
  }

  /// The issue's machine: no torch, and cuda-detect's CUDA 12.8. comfy-env's default torch 2.8
  /// is taken (said once on stderr), and the cuda-wheels build for it is found.
  @Test func withoutTorchTheDefaultTorchIsTaken() throws {
    let index = "\(Products.root)/Tests/Fixtures/cuda_wheels"
    let run = try Products.run(
      "wheel-url", ["--offline", "--no-registry", "--index", index, "spconv", "spconv>=2"],
      input: line(TestEnvs.record(torch: nil)))
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(
      run.records.dropFirst().map { $0["filename"]?.stringValue?.prefix(28) } == [
        "spconv-2.3.8+cu128torch2.11-", "spconv-2.3.8+cu128torch2.11-",
      ])
    let notes = run.stderrText.split(separator: "\n").filter { $0.contains("comfy-env's default") }
    #expect(
      notes == [
        "wheel-url: the env has no torch; chose wheels for torch 2.8.0, comfy-env's default for CUDA 12.8 (install torch==2.8.*, or pass --torch)"
      ])
    let none = try Products.run(
      "wheel-url", ["--offline", "--no-registry", "--index", index, "--torch", "none", "spconv"],
      input: line(TestEnvs.record(torch: nil)))
    #expect(!none.stderrText.contains("comfy-env's default"))
  }

  @Test func usageErrors() throws {
    for arguments in [["--template", "nourl"], ["nvdiffrast>>1"], ["--index", "ftp://x/y"], ["--cuda", "banana"]] {
      let run = try Products.run("wheel-url", arguments)
      #expect(run.exit == .exited(64), "\(arguments)")
      #expect(run.stdout.isEmpty)
      #expect(run.stderrText.hasSuffix("See 'wheel-url --help' for more information.\n"))
    }
  }

  @Test func theManPageDocumentsEveryOption() throws {
    let page = readTextFileIfPresent("\(Products.root)/man/man1/wheel-url.1") ?? ""
    let options = try Products.run("wheel-url", ["--dump-options"]).stdoutText.split(separator: "\n")
    #expect(!options.isEmpty)
    for option in options where option != "--dump-options" {
      let mdoc = option.hasPrefix("--") ? "Fl \\-\(option.dropFirst(2))" : "Fl \(option.dropFirst())"
      #expect(page.contains(mdoc), "\(option) is not in wheel-url.1")
    }
  }

  @Test func pythonRetriesTimeoutAndVerifyFlagsActThroughTheTool() throws {
    let links = "\(WheelIndexFixture.url)/links.html"
    let env = line(TestEnvs.record())
    for (python, tag) in [("3.11", "cp311"), ("3.12", "cp312")] {
      let run = try Products.run(
        "wheel-url", ["--no-registry", "--python", python, "--find-links", links, "nvdiffrast"], input: env)
      #expect(run.exit == .exited(0), "\(run.stderrText)")
      #expect(run.records.last?["filename"]?.stringValue?.contains("-\(tag)-\(tag)-") == true, "--python \(python)")
    }

    let key = "flags-\(UInt32.random(in: 0...UInt32.max))"
    let flaky = "\(WheelIndexFixture.url)/flaky/\(key)/1/links.html"
    let noRetry = try Products.run(
      "wheel-url", ["--no-registry", "--retries", "0", "--find-links", flaky, "simplepkg"], input: env)
    #expect(noRetry.exit == .exited(75), "the only source was unreachable: a temporary failure")
    #expect(noRetry.records.last?["code"] == "fetch-failed")

    let start = monotonicSeconds()
    let slow = "\(WheelIndexFixture.url)/sleep/5/links.html"
    let timedOut = try Products.run(
      "wheel-url", ["--no-registry", "--timeout", "1", "--retries", "0", "--find-links", slow, "simplepkg"], input: env)
    #expect(monotonicSeconds() - start < 4.5, "--timeout 1 ends the request long before the server answers")
    #expect(timedOut.records.last?["message"]?.stringValue?.contains("timed out") == true)
    let newStart = monotonicSeconds()
    let newName = try Products.run(
      "wheel-url", ["--no-registry", "--request-timeout", "1", "--retries", "0", "--find-links", slow, "simplepkg"],
      input: env)
    #expect(monotonicSeconds() - newStart < 4.5, "--request-timeout is --timeout's new name")
    #expect(newName.records.last?["message"]?.stringValue?.contains("timed out") == true)

    let verified = try Products.run(
      "wheel-url", ["--no-registry", "--verify", "--find-links", links, "simplepkg==1.0.0"], input: env)
    #expect(verified.exit == .exited(0))
    #expect(verified.records.last?["filename"] == "simplepkg-1.0.0-py3-none-any.whl")

    for bad in [
      ["--retries", "x"], ["--retries", "21"], ["--timeout", "-1"], ["--request-timeout", "0"], ["--python", "three"],
    ] {
      let run = try Products.run("wheel-url", bad + ["simplepkg"], input: env)
      #expect(run.exit == .exited(64), "\(bad)")
    }
  }
}
