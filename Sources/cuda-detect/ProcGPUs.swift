import PipeKit

/// GPUs as the kernel driver lists them in `/proc/driver/nvidia/gpus/<bus id>/information`, for
/// machines where neither NVML nor nvidia-smi answers (a container that has the driver's /proc
/// but not its user-space libraries). The file names the model and the UUID; compute capability
/// and memory are not in it, so they stay null.
enum ProcGPUs {
  static let directory = "/proc/driver/nvidia/gpus"

  /// The GPUs below `directory` (under the settings' root), in PCI bus order as nvidia-smi numbers
  /// them; GPUs the driver marks `GPU Excluded: Yes` are left out.
  static func read(settings: Settings) -> [GPU] {
    let dir = settings.file(directory)
    guard let names = listDirectoryNames(dir) else { return [] }
    var gpus: [GPU] = []
    for bus in names.filter({ !$0.hasPrefix(".") }).sorted() {
      guard let text = readRegularTextFile("\(dir)/\(bus)/information"), var gpu = parse(text, index: gpus.count)
      else { continue }
      gpu.index = gpus.count
      gpus.append(gpu)
    }
    return gpus
  }

  /// One `information` file: `Model: \t NVIDIA A10`, `GPU UUID: \t GPU-…`, `GPU Excluded: No`.
  /// `nil` for a file without a model line or for an excluded GPU.
  static func parse(_ text: String, index: Int) -> GPU? {
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = line[..<colon].trimmingSpace().lowercased()
      if fields[key] == nil { fields[key] = line[line.index(after: colon)...].trimmingSpace() }
    }
    guard let model = fields["model"], !model.isEmpty else { return nil }
    if fields["gpu excluded"]?.lowercased() == "yes" { return nil }
    var gpu = GPU(index: index, name: model)
    if let uuid = fields["gpu uuid"], uuid.hasPrefix("GPU-") || uuid.hasPrefix("MIG-") { gpu.uuid = uuid }
    return gpu
  }
}
