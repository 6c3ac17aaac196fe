import PipeKit

@testable import WheelURL

/// Sample envs, as cuda-detect would describe them.
enum TestEnvs {
  static func linux(glibc minor: Int, arch: String = "x86_64") -> [String] {
    PlatformTags.linux(arch: arch, glibc: (2, minor))
  }

  /// CUDA 12.8 with torch 2.8.0, Python 3.11, glibc 2.36.
  static let cudaTorch = WheelEnv(
    pythonVersion: "3.11", platformTags: linux(glibc: 36), cuda: CUDAVersion("12.8"), torchVersion: "2.8.0")
  /// No CUDA, torch 2.8.0 (a CPU build), Python 3.11.
  static let cpuOnly = WheelEnv(
    pythonVersion: "3.11", platformTags: linux(glibc: 36), cuda: nil, torchVersion: "2.8.0")
  /// CUDA 12.8 and torch 2.8 on glibc 2.17 (CentOS 7 era).
  static let oldGlibc = WheelEnv(
    pythonVersion: "3.11", platformTags: linux(glibc: 17), cuda: CUDAVersion("12.8"), torchVersion: "2.8.0")
  /// Python 3.12 with CUDA 12.6 and torch 2.7.1.
  static let otherPython = WheelEnv(
    pythonVersion: "3.12", platformTags: linux(glibc: 36), cuda: CUDAVersion("12.6"), torchVersion: "2.7.1")

  /// An env record for the command line.
  static func record(
    python: String? = "3.11.7", cuda: String? = "12.8", torch: String? = "2.8.0", glibc: String = "2.36"
  )
    -> JSONObject
  {
    var record: JSONObject = ["type": "env", "os": "linux", "arch": "x86_64", "glibc": .string(glibc)]
    record["platform_tags"] = .array(
      PlatformTags.linux(arch: "x86_64", glibc: PlatformTags.parseGlibc(glibc)).map { .string($0) })
    record["python"] =
      python.map { v in
        let tag = "cp" + v.split(separator: ".").prefix(2).joined()
        return ["executable": "/usr/bin/python3", "version": .string(v), "tag": .string(tag), "abi": .string(tag)]
      } ?? .null
    record["cuda"] =
      cuda.map { ["version": .string($0), "short": .string($0.replacingOccurrences(".", "")), "source": "flag"] }
      ?? .null
    record["torch"] = torch.map { ["version": .string($0), "cuda": .null, "local": .null] } ?? .null
    record["backend"] = .string(cuda.map { "cu" + $0.replacingOccurrences(".", "") } ?? "cpu")
    return record
  }
}

extension String {
  func replacingOccurrences(_ target: Character, _ replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}
