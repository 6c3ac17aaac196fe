import PipeKit

/// `nvidia-smi --query-gpu`, for machines where NVML cannot be loaded.
enum NvidiaSMI {
  static let fields = ["index", "name", "uuid", "compute_cap", "memory.total", "driver_version"]

  /// Runs nvidia-smi; drivers too old to know `compute_cap` are asked again without it.
  static func query(executable: String) -> (gpus: [GPU], driver: String?)? {
    for wanted in [fields, fields.filter { $0 != "compute_cap" }] {
      let arguments = ["--query-gpu=" + wanted.joined(separator: ","), "--format=csv,noheader,nounits"]
      guard let run = try? runCapturing(executable, arguments, timeout: 10), run.exit.succeeded else { continue }
      return parse(run.stdoutText, fields: wanted)
    }
    return nil
  }

  /// Parses the CSV lines (`0, NVIDIA A10, GPU-…, 8.6, 23028, 550.144.03`).
  static func parse(_ text: String, fields: [String]) -> (gpus: [GPU], driver: String?) {
    var gpus: [GPU] = []
    var driver: String?
    for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
      let values = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingSpace() }
      guard values.count == fields.count else { continue }
      var row: [String: String] = [:]
      for (field, value) in zip(fields, values) where !value.isEmpty && !value.hasPrefix("[") {
        row[field] = value
      }
      guard let index = row["index"].flatMap({ Int($0) }) else { continue }
      var gpu = GPU(index: index, name: row["name"] ?? "NVIDIA GPU", uuid: row["uuid"])
      if let cc = row["compute_cap"].flatMap(CudaVersion.init) { gpu.computeCapability = (cc.major, cc.minor) }
      gpu.memoryMiB = row["memory.total"].flatMap { Int($0) }
      if driver == nil, let d = row["driver_version"].flatMap(DriverVersion.init) { driver = d.text }
      gpus.append(gpu)
    }
    return (gpus, driver)
  }
}
