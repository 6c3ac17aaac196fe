import Testing

@testable import WheelURL

/// (local label, CUDA, torch, prefix, suffix), with CUDA "cpu" for a CPU build and "-" for none.
/// Labels from the cuda-wheels index, PyG, flash-attn, sageattention and detectron2 wheels named in
/// the comfy-env reference (§3).
@Test(
  arguments: [
    ("cu128torch2.8", "12.8", "2.8", "", ""), ("cu128torch28", "12.8", "2.8", "", ""),
    ("pt2.8cu128", "12.8", "2.8", "", ""), ("pt28cu128", "12.8", "2.8", "", ""), ("cu128", "12.8", nil, "", ""),
    ("cpu", "cpu", nil, "", ""), ("pt28cpu", "cpu", "2.8", "", ""), ("cu12.8", "12.8", nil, "", ""),
    ("cu124torch2.4", "12.4", "2.4", "", ""), ("cu118", "11.8", nil, "", ""), ("cu92", "9.2", nil, "", ""),
    ("cu100", "10.0", nil, "", ""), ("cu130torch2.10", "13.0", "2.10", "", ""),
    ("cu130torch210", "13.0", "2.10", "", ""),
    ("pt113cu117", "11.7", "1.13", "", ""), ("cu12torch2.8cxx11abitrue", "12", "2.8", "", "cxx11abitrue"),
    ("cu128torch2.8.0.post3", "12.8", "2.8", "", ".post3"), ("2a420edpt2.8.0cu128", "12.8", "2.8", "2a420ed", ""),
    ("cu128.torch2.8", "12.8", "2.8", "", ""), ("CU128TORCH2.8", "12.8", "2.8", "", ""),
    ("cu128torch2.8cxx11abifalse", "12.8", "2.8", "", "cxx11abifalse"),
  ] as [(String, String, String?, String, String)])
func readsLabel(local: String, cuda: String, torch: String?, prefix: String, suffix: String) throws {
  let label = try #require(CUDALocalLabel(local))
  switch label.accelerator {
  case .cuda(let version): #expect(version.description == cuda)
  case .cpu: #expect(cuda == "cpu")
  case .other(let name): Issue.record("read \(local) as \(name)")
  }
  #expect(label.torch?.description == torch)
  #expect(label.prefix == prefix)
  #expect(label.suffix == suffix)
}

@Test(arguments: ["ubuntu", "ubuntu.1", "2a420ed", "local", "torch2.8", "pt28", "cu", "cuda", "abc.5", "7"])
func readsNoAcceleratorFromOtherLabels(local: String) {
  #expect(CUDALocalLabel(local) == nil)
  #expect(matchLocalLabel(local, cudaShort: "128", torch: "2.8") == .notCUDALabel)
}

/// (local label, env cuda_short, env torch, expected)
@Test(
  arguments: [
    ("cu128torch2.8", "128", "2.8", LocalLabelMatch.match),
    ("cu128torch28", "128", "2.8.0", .match),
    ("pt2.8cu128", "12.8", "2.8", .match),
    ("pt28cu128", "128", "2.8.1", .match),
    ("cu128", "128", "2.9", .match),
    ("cu128", "128", nil, .match),
    ("cu128torch2.8", "128", nil, .match),
    ("cu12torch2.8cxx11abitrue", "128", "2.8", .match),
    ("cu12torch2.8cxx11abitrue", "118", "2.8", .mismatch("built for CUDA 12, the environment has CUDA 11.8")),
    ("cu128torch2.8", "126", "2.8", .mismatch("built for CUDA 12.8, the environment has CUDA 12.6")),
    ("cu128torch2.8", "128", "2.7", .mismatch("built for torch 2.8, the environment has torch 2.7")),
    ("pt27cu128", "128", "2.8.0", .mismatch("built for torch 2.7, the environment has torch 2.8")),
    ("cu128torch2.1", "128", "2.10", .mismatch("built for torch 2.1, the environment has torch 2.10")),
    ("cu128torch2.8", nil, "2.8", .mismatch("built for CUDA 12.8, the environment has no CUDA")),
    ("cpu", nil, "2.8", .match),
    ("pt28cpu", nil, "2.8", .match),
    ("cpu", "128", "2.8", .mismatch("built for CPU, the environment has CUDA 12.8")),
    ("rocm6.3", "128", "2.8", .mismatch("built for rocm6.3")),
    ("rocm6.3", nil, "2.8", .mismatch("built for rocm6.3")),
    ("xpu", nil, nil, .mismatch("built for xpu")),
  ] as [(String, String?, String?, LocalLabelMatch)])
func matchesLabelAgainstEnvironment(local: String, cuda: String?, torch: String?, expected: LocalLabelMatch) {
  #expect(matchLocalLabel(local, cudaShort: cuda, torch: torch) == expected)
}

@Test func noLocalLabelIsNotACUDALabel() {
  #expect(matchLocalLabel(nil, cudaShort: "128", torch: "2.8") == .notCUDALabel)
}

/// The label as a wheel's version carries it, normalised by PEP 440 parsing.
@Test func matchesTheLocalLabelOfAParsedWheel() throws {
  let wheel = try WheelFilename("flash_attn-2.8.3%2Bcu12torch2.8cxx11abiTRUE-cp311-cp311-linux_x86_64.whl")
  #expect(matchLocalLabel(wheel.version.local, cudaShort: "128", torch: "2.8.0") == .match)
  let pyg = try WheelFilename("torch_scatter-2.1.2+pt28cu126-cp311-cp311-linux_x86_64.whl")
  #expect(
    matchLocalLabel(pyg.version.local, cudaShort: "128", torch: "2.8")
      == .mismatch("built for CUDA 12.6, the environment has CUDA 12.8"))
}

@Test(
  arguments: [
    ("128", "12.8"), ("12.8", "12.8"), ("118", "11.8"), ("92", "9.2"), ("12", "12"), ("9", "9"), ("130", "13.0"),
  ] as [(String, String)])
func readsCUDAVersion(text: String, version: String) {
  #expect(CUDAVersion(text)?.description == version)
}

@Test(arguments: ["", "12.", ".8", "cu128", "12.8.1", "12345"])
func rejectsCUDAVersion(text: String) {
  #expect(CUDAVersion(text) == nil)
}

@Test(arguments: [
  ("2.8", "2.8"), ("2.8.0", "2.8"), ("28", "2.8"), ("210", "2.10"), ("113", "1.13"), ("2.10.1", "2.10"),
])
func readsTorchSeries(text: String, series: String) {
  #expect(TorchSeries(text)?.description == series)
}

@Test(arguments: ["", "2", "2.", "2.x", "2800"])
func rejectsTorchSeries(text: String) {
  #expect(TorchSeries(text) == nil)
}

/// Every prefix and suffix of real labels reads without trapping, whatever it yields.
@Test(arguments: [
  "2a420edpt2.8.0cu128", "cu128torch2.8.0.post3", "pt2.8cu12.8", "rocm6.3.1", "cu12torch2.8cxx11abitrue",
])
func readsEveryCutOfALabelSafely(label: String) {
  for k in 0...label.count {
    _ = CUDALocalLabel(String(label.prefix(k)))
    _ = CUDALocalLabel(String(label.suffix(k)))
  }
}
