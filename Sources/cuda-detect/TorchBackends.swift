/// uv's CUDA backends and the minimum Linux driver each needs (`crates/uv-torch`,
/// LINUX_CUDA_DRIVERS), newest first. These are minor-version-compatibility minimums.
enum TorchBackends {
  static let linuxMinimumDrivers: [(backend: String, driver: String)] = [
    ("cu132", "580"), ("cu130", "580"),
    ("cu129", "525.60.13"), ("cu128", "525.60.13"), ("cu126", "525.60.13"), ("cu125", "525.60.13"),
    ("cu124", "525.60.13"), ("cu123", "525.60.13"), ("cu122", "525.60.13"), ("cu121", "525.60.13"),
    ("cu120", "525.60.13"),
    ("cu118", "450.80.2"), ("cu117", "450.80.2"), ("cu116", "450.80.2"), ("cu115", "450.80.2"),
    ("cu114", "450.80.2"), ("cu113", "450.80.2"), ("cu112", "450.80.2"), ("cu111", "450.80.2"),
    ("cu110", "450.36.6"), ("cu102", "440.33"), ("cu101", "418.39"), ("cu100", "410.48"),
    ("cu92", "396.26"), ("cu91", "390.46"), ("cu90", "384.81"), ("cu80", "375.26"),
  ]

  /// Every backend the driver supports, newest first, then `cpu`; just `cpu` without a driver.
  static func compatible(with driver: DriverVersion?) -> [String] {
    guard let driver else { return ["cpu"] }
    return linuxMinimumDrivers.filter { driver >= DriverVersion($0.driver)! }.map(\.backend) + ["cpu"]
  }

  /// The minimum Linux driver a CUDA build needs, from the row for its backend, else the row
  /// of the same major with the nearest minor above it (below it when there is none above);
  /// `nil` when the table has no row for that major.
  static func minimumDriver(for cuda: CudaVersion) -> DriverVersion? {
    let rows = linuxMinimumDrivers.compactMap { row in
      Self.cuda(of: row.backend).flatMap { $0.major == cuda.major ? ($0.minor, row.driver) : nil }
    }
    let above = rows.filter { $0.0 >= cuda.minor }.min { $0.0 < $1.0 }
    let below = rows.filter { $0.0 < cuda.minor }.max { $0.0 < $1.0 }
    return (above ?? below).flatMap { DriverVersion($0.1) }
  }

  /// comfy-env's CUDA for wheels when no CUDA torch is installed: E1's
  /// `get_recommended_cuda_version` (any GPU of compute capability 10 or more → 12.8, else any
  /// below 7.5 → 12.4, else 12.8), whose 12.8 E3 repeats as its fallback combo with torch 2.8.
  /// GPUs whose compute capability is unknown do not count.
  static func comfyEnvDefault(computeCapabilities: [(major: Int, minor: Int)]) -> CudaVersion {
    if computeCapabilities.contains(where: { $0.major >= 10 }) { return CudaVersion(major: 12, minor: 8) }
    if computeCapabilities.contains(where: { $0.major < 7 || ($0.major == 7 && $0.minor < 5) }) {
      return CudaVersion(major: 12, minor: 4)
    }
    return CudaVersion(major: 12, minor: 8)
  }

  /// The CUDA a backend name stands for: `cu129` → 12.9; `nil` for `cpu`.
  static func cuda(of backend: String) -> CudaVersion? {
    backend.hasPrefix("cu") ? CudaVersion(backend) : nil
  }

  /// The newest CUDA toolkit a driver runs without compatibility packages, from NVIDIA's
  /// CUDA Toolkit release notes (table 3, minimum Linux driver for each toolkit's GA release).
  /// Used only when neither NVML nor libcuda can say it.
  static let toolkitMinimumDrivers: [(cuda: String, driver: String)] = [
    ("13.0", "580.65.06"), ("12.9", "575.51.03"), ("12.8", "570.26"), ("12.6", "560.28.03"),
    ("12.5", "555.42.02"), ("12.4", "550.54.14"), ("12.3", "545.23.06"), ("12.2", "535.54.03"),
    ("12.1", "530.30.02"), ("12.0", "525.60.13"), ("11.8", "520.61.05"), ("11.7", "515.43.04"),
    ("11.6", "510.39.01"), ("11.5", "495.29.05"), ("11.4", "470.42.01"), ("11.3", "465.19.01"),
    ("11.2", "460.27.03"), ("11.1", "455.23"), ("11.0", "450.36.06"), ("10.2", "440.33"),
    ("10.1", "418.39"), ("10.0", "410.48"), ("9.2", "396.26"), ("9.1", "390.46"), ("9.0", "384.81"),
    ("8.0", "375.26"),
  ]

  static func maximumCuda(for driver: DriverVersion) -> CudaVersion? {
    toolkitMinimumDrivers.first { driver >= DriverVersion($0.driver)! }.flatMap { CudaVersion($0.cuda) }
  }
}

/// NVIDIA architecture names by compute capability.
enum GPUArchitecture {
  static func name(major: Int, minor: Int) -> String {
    switch (major, minor) {
    case (3, _): "Kepler"
    case (5, _): "Maxwell"
    case (6, _): "Pascal"
    case (7, 0), (7, 2): "Volta"
    case (7, 5): "Turing"
    case (8, 9): "Ada"
    case (8, _): "Ampere"
    case (9, _): "Hopper"
    case (10, _), (11, _), (12, _): "Blackwell"
    default: "unknown"
    }
  }
}
