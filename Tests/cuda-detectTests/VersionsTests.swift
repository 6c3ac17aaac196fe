import Testing

@testable import cuda_detect

@Suite struct VersionsTests {
  @Test func driverVersionsCompareByComponent() {
    #expect(DriverVersion("550.144.03")! > DriverVersion("525.60.13")!)
    #expect(DriverVersion("580")! == DriverVersion("580.0")!)
    #expect(DriverVersion("450.80.2")! > DriverVersion("450.36.6")!)
    #expect(DriverVersion("  570.86.10\n")?.text == "570.86.10")
    #expect(DriverVersion("abc") == nil)
    #expect(DriverVersion("v550.144.03")?.text == "550.144.03")
    #expect(DriverVersion("V580")?.major == 580)
    #expect(DriverVersion("v") == nil && DriverVersion("vv550") == nil)
    #expect(DriverVersion("1..2") == nil)
  }

  @Test(arguments: [("12.8", "12.8"), ("128", "12.8"), ("cu118", "11.8"), ("92", "9.2"), ("13.0.1", "13.0")])
  func cudaVersionsParse(text: String, dotted: String) {
    #expect(CudaVersion(text)?.dotted == dotted)
  }

  @Test func cudaFromDriverAPI() {
    #expect(CudaVersion(driverAPI: 12080).dotted == "12.8")
    #expect(CudaVersion(driverAPI: 13000).short == "130")
  }

  @Test func backendsFromTheMinimumDriverTable() {
    let b550 = TorchBackends.compatible(with: DriverVersion("550.144.03"))
    #expect(b550.first == "cu129")
    #expect(b550.suffix(2) == ["cu80", "cpu"])
    #expect(b550.count == 26)
    #expect(TorchBackends.compatible(with: DriverVersion("580.65.06")).prefix(3) == ["cu132", "cu130", "cu129"])
    #expect(TorchBackends.compatible(with: DriverVersion("470.256.02")).first == "cu118")
    #expect(TorchBackends.compatible(with: DriverVersion("370.1")) == ["cpu"])
    #expect(TorchBackends.compatible(with: nil) == ["cpu"])
  }

  @Test func newestToolkitForADriver() {
    #expect(TorchBackends.maximumCuda(for: DriverVersion("550.144.03")!)?.dotted == "12.4")
    #expect(TorchBackends.maximumCuda(for: DriverVersion("580.95.05")!)?.dotted == "13.0")
    #expect(TorchBackends.maximumCuda(for: DriverVersion("470.256.02")!)?.dotted == "11.4")
    #expect(TorchBackends.maximumCuda(for: DriverVersion("300")!) == nil)
  }

  @Test func minimumDriverForATorchsCuda() {
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 13, minor: 0))?.text == "580")
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 12, minor: 8))?.text == "525.60.13")
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 11, minor: 0))?.text == "450.36.6")
    // Not a backend of its own: the nearest minor above, else below.
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 13, minor: 1))?.text == "580")
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 13, minor: 5))?.text == "580")
    #expect(TorchBackends.minimumDriver(for: CudaVersion(major: 14, minor: 0)) == nil)
  }

  @Test func comfyEnvsDefaultCuda() {
    #expect(TorchBackends.comfyEnvDefault(computeCapabilities: []).dotted == "12.8")
    #expect(TorchBackends.comfyEnvDefault(computeCapabilities: [(7, 5)]).dotted == "12.8")
    #expect(TorchBackends.comfyEnvDefault(computeCapabilities: [(7, 0)]).dotted == "12.4")
    #expect(TorchBackends.comfyEnvDefault(computeCapabilities: [(6, 1), (8, 9)]).dotted == "12.4")
    #expect(TorchBackends.comfyEnvDefault(computeCapabilities: [(6, 1), (12, 0)]).dotted == "12.8")
  }

  @Test func gpusFromProcInformation() {
    let gpu = ProcGPUs.parse("Model: \t\t Tesla T4\nGPU UUID: \t GPU-abc\nGPU Excluded:\t No\n", index: 3)
    #expect(gpu == GPU(index: 3, name: "Tesla T4", uuid: "GPU-abc"))
    #expect(ProcGPUs.parse("Model: \t x\nGPU UUID: \t ??\n", index: 0)?.uuid == nil)
    #expect(ProcGPUs.parse("IRQ: 5\n", index: 0) == nil)
    #expect(ProcGPUs.parse("Model: x\nGPU Excluded: Yes\n", index: 0) == nil)
  }

  @Test func architectures() {
    #expect(GPUArchitecture.name(major: 8, minor: 6) == "Ampere")
    #expect(GPUArchitecture.name(major: 8, minor: 9) == "Ada")
    #expect(GPUArchitecture.name(major: 9, minor: 0) == "Hopper")
    #expect(GPUArchitecture.name(major: 12, minor: 0) == "Blackwell")
    #expect(GPUArchitecture.name(major: 7, minor: 5) == "Turing")
  }

  @Test func procVersionLine() {
    let line =
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.144.03  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Dec 10 23:43:47 UTC 2024\nGCC version:  gcc version 12.2.0\n"
    #expect(Machine.driverVersion(fromProcText: line) == "550.144.03")
    #expect(
      Machine.driverVersion(fromProcText: "NVRM version: NVIDIA UNIX x86_64 Kernel Module 470.256.02 Thu")
        == "470.256.02")
    #expect(Machine.driverVersion(fromProcText: "garbage") == nil)
  }

  @Test func smiCSV() {
    let text =
      "0, NVIDIA GeForce RTX 3090, GPU-aaaa, 8.6, 24576, 550.144.03\n1, NVIDIA H100 80GB HBM3, GPU-bbbb, 9.0, 81559, 550.144.03\n"
    let answer = NvidiaSMI.parse(text, fields: NvidiaSMI.fields)
    #expect(answer.driver == "550.144.03")
    #expect(answer.gpus.count == 2)
    #expect(answer.gpus[1].name == "NVIDIA H100 80GB HBM3")
    #expect(answer.gpus[1].computeCapability?.major == 9)
    #expect(answer.gpus[0].memoryMiB == 24576)
    let old = NvidiaSMI.parse(
      "0, Tesla K80, GPU-c, [N/A], 470.256.02\n", fields: NvidiaSMI.fields.filter { $0 != "compute_cap" })
    #expect(old.gpus.first?.uuid == "GPU-c")
    #expect(old.gpus.first?.memoryMiB == nil)
  }

  @Test func torchVersionFileAndLibraryName() {
    #expect(PythonProbe.cudaFromVersionFile("__version__ = '2.8.0'\ncuda: Optional[str] = '12.8'\n")?.dotted == "12.8")
    #expect(PythonProbe.cudaFromVersionFile("cuda: Optional[str] = None\n") == nil)
    #expect(LibCuda.driverVersion(fromLibraryPath: "/usr/lib/x86_64-linux-gnu/libcuda.so.550.144.03") == "550.144.03")
    #expect(LibCuda.driverVersion(fromLibraryPath: "/usr/lib/libcuda.so.1") == nil)
  }
}
