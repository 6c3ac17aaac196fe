import PipeKit
import TestSupport
import Testing

/// The python probe against a real venv that holds torch's metadata but no torch.
@Suite(.serialized) struct PythonProbeTests {
  static let scratch = TemporaryDirectory()

  /// A real venv (no pip), with its site-packages directory.
  static let venv: (python: String, sitePackages: String)? = {
    let dir = "\(scratch.path)/venv"
    guard let run = try? runCapturing("python3", ["-m", "venv", "--without-pip", dir], timeout: 120),
      run.exit.succeeded,
      let probe = try? runCapturing(
        "\(dir)/bin/python", ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]),
      probe.exit.succeeded
    else { return nil }
    return ("\(dir)/bin/python", probe.stdoutText.trimmingCharacters())
  }()

  func detect(_ extra: [String] = []) throws -> JSONObject {
    let root = try Self.scratch.directory("emptyroot")
    let run = try Products.run(
      "cuda-detect", ["--root", root, "--python", Self.venv!.python] + extra,
      environment: ["PATH": "/usr/bin:/bin", "UV_CUDA_DRIVER_VERSION": nil, "COMFY_ENV_CUDA_VERSION": nil])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    return run.records.first ?? [:]
  }

  func writeMetadata(_ folder: String, version: String) throws {
    let site = Self.venv!.sitePackages
    let relative = String(site.dropFirst(Self.scratch.path.count + 1))
    try Self.scratch.write(
      "\(relative)/\(folder)/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: \(version)\n\nbody\n")
  }

  @Test func describesTheVenvPythonAndItsTorchWithoutImportingIt() throws {
    try #require(Self.venv != nil, "python3 -m venv must work on this machine")
    let bare = try detect()
    #expect(bare["python"]?["executable"] == .string(Self.venv!.python))
    #expect(bare["python"]?["tag"]?.stringValue?.hasPrefix("cp3") == true)
    #expect(bare["python"]?["abi"] == bare["python"]?["tag"])
    #expect(bare["torch"] == .null)

    try writeMetadata("torch-2.8.0+cu128.dist-info", version: "2.8.0+cu128")
    let env = try detect()
    #expect(env["torch"] == ["version": "2.8.0", "cuda": "12.8", "local": "cu128"])
    #expect(env["cuda"] == ["version": "12.8", "short": "128", "source": "torch"])
    #expect(env["backend"] == "cpu")

    // A torch without a local label says its CUDA in torch/version.py, read as text.
    let site = Self.venv!.sitePackages
    _ = try runCapturing("/bin/rm", ["-rf", "\(site)/torch-2.8.0+cu128.dist-info"])
    try writeMetadata("torch-2.7.1.dist-info", version: "2.7.1")
    let relative = String(site.dropFirst(Self.scratch.path.count + 1))
    try Self.scratch.write("\(relative)/torch/version.py", "__version__ = '2.7.1'\ncuda: Optional[str] = '12.6'\n")
    let plain = try detect()
    #expect(plain["torch"] == ["version": "2.7.1", "cuda": "12.6", "local": .null])
    #expect(plain["cuda"]?["source"] == "torch")
    _ = try runCapturing("/bin/rm", ["-rf", "\(site)/torch-2.7.1.dist-info", "\(site)/torch"])
  }

  /// A torch built for a CUDA the driver cannot run is still the CUDA wheels must match, and a
  /// warning on stderr says what to do.
  @Test func aTorchNewerThanTheDriverIsAWarning() throws {
    try #require(Self.venv != nil, "python3 -m venv must work on this machine")
    try writeMetadata("torch-2.9.0+cu130.dist-info", version: "2.9.0+cu130")
    defer { _ = try? runCapturing("/bin/rm", ["-rf", "\(Self.venv!.sitePackages)/torch-2.9.0+cu130.dist-info"]) }
    let root = try Self.scratch.directory("emptyroot")
    let environment: [String: String?] = [
      "PATH": "/usr/bin:/bin", "UV_CUDA_DRIVER_VERSION": nil, "COMFY_ENV_CUDA_VERSION": nil,
    ]
    let old = try Products.run(
      "cuda-detect", ["--root", root, "--python", Self.venv!.python, "--driver-version", "570.86.10"],
      environment: environment)
    #expect(old.exit == .exited(0))
    #expect(old.records.first?["cuda"] == ["version": "13.0", "short": "130", "source": "torch"])
    #expect(
      old.stderrText
        == "cuda-detect: warning: torch 2.9.0+cu130 is built for CUDA 13.0, which driver 570.86.10 cannot run (it needs 580 or newer): update the NVIDIA driver, or install a torch built for CUDA 12.9 or older\n"
    )
    let new = try Products.run(
      "cuda-detect", ["--root", root, "--python", Self.venv!.python, "--driver-version", "580.95.05"],
      environment: environment)
    #expect(new.stderrText == "")
    // No driver at all (a CPU box with PyPI's CUDA torch) is not a warning.
    let none = try Products.run(
      "cuda-detect", ["--root", root, "--python", Self.venv!.python], environment: environment)
    #expect(none.stderrText == "")
  }
}

extension String {
  func trimmingCharacters() -> String {
    var s = Substring(self)
    while let last = s.last, last.isWhitespace { s.removeLast() }
    return String(s)
  }
}
