import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Everything cuda-detect found, and the `env` record made from it.
struct Machine {
  var os = "linux"
  var arch = "unknown"
  var glibc: String?
  var python: PythonInfo?
  var torch: TorchInfo?
  var driver: (version: String, source: String)?
  var cudaMax: CudaVersion?
  var gpus: [GPU] = []
  var cuda: (version: CudaVersion, source: String)?
  var backends: [String] = ["cpu"]

  var hasGPU: Bool { !gpus.isEmpty || driver != nil }

  static func detect(settings: Settings, diagnostics: Diagnostics) -> Machine {
    var machine = Machine()
    let names = SystemInfo.uname
    machine.os = names.system.lowercased()
    machine.arch = PlatformTags.normalizedArch(names.machine)
    machine.glibc = SystemInfo.glibcVersion
    if !settings.probesLibraries && !isDirectory(settings.root) {
      diagnostics.note(
        "warning: --root \(settings.root) is not a directory; nothing below it was read, so no driver or GPU is known")
    }
    if let python = settings.python {
      do throws(PythonProbe.Failure) {
        let info = try PythonProbe.probe(python, path: settings.path, timeout: settings.pythonTimeout)
        machine.python = info
        machine.torch = PythonProbe.torch(in: info.searchPath)
      } catch {
        switch error {
        case .notFound(let name):
          diagnostics.note("no Python interpreter '\(name)' found; \"python\" is null (use --python PATH)")
        case .failed(let why):
          diagnostics.note(why)
        }
      }
    }
    machine.detectDriver(settings: settings, diagnostics: diagnostics)
    let driverVersion = machine.driver.flatMap { DriverVersion($0.version) }
    if machine.cudaMax == nil, let driverVersion { machine.cudaMax = TorchBackends.maximumCuda(for: driverVersion) }
    machine.backends = TorchBackends.compatible(with: driverVersion)
    if let torch = machine.torch, let cuda = torch.cuda, let driverVersion,
      let needs = TorchBackends.minimumDriver(for: cuda), driverVersion < needs
    {
      let newest = machine.backends.first.flatMap(TorchBackends.cuda(of:))
      let instead = newest.map { "install a torch built for CUDA \($0.dotted) or older" } ?? "use a CPU torch"
      diagnostics.note(
        "warning: torch \(torch.version)\(torch.local.map { "+" + $0 } ?? "") is built for CUDA \(cuda.dotted), "
          + "which driver \(driverVersion) cannot run (it needs \(needs) or newer): update the NVIDIA driver, or \(instead)"
      )
    }
    if let override = settings.cudaOverride {
      machine.cuda = (CudaVersion(override.version)!, override.source)
    } else if let cuda = machine.torch?.cuda {
      machine.cuda = (cuda, "torch")
    } else if let newest = machine.backends.first.flatMap(TorchBackends.cuda(of:)) {
      let pick = TorchBackends.comfyEnvDefault(computeCapabilities: machine.gpus.compactMap(\.computeCapability))
      if machine.backends.contains("cu" + pick.short) {
        machine.cuda = (pick, "default")
      } else {
        machine.cuda = (newest, "driver")
        diagnostics.note(
          "driver \(machine.driver!.version) cannot run CUDA \(pick.dotted), comfy-env's default; "
            + "\"cuda\" is \(newest.dotted), the newest it runs")
      }
    }
    return machine
  }

  /// The driver, from the first source that knows it: an override, sysfs, procfs, NVML,
  /// libcuda, nvidia-smi. GPUs come from NVML, else nvidia-smi, else the driver's
  /// `/proc/driver/nvidia/gpus`. A sysfs or procfs version file that is there but does not hold
  /// a version is named in a warning and skipped.
  mutating func detectDriver(settings: Settings, diagnostics: Diagnostics) {
    if let override = settings.driverOverride { driver = override }
    let sysfs = settings.file("/sys/module/nvidia/version")
    if driver == nil, let text = readRegularTextFile(sysfs) {
      if let version = DriverVersion(text) {
        driver = (version.text, "sysfs")
      } else {
        diagnostics.note("warning: \(sysfs) holds \(Self.quoted(text)), not a driver version; it was ignored")
      }
    }
    let procfs = settings.file("/proc/driver/nvidia/version")
    if driver == nil, let text = readRegularTextFile(procfs) {
      if let version = Machine.driverVersion(fromProcText: text) {
        driver = (version, "procfs")
      } else {
        diagnostics.note("warning: \(procfs) holds \(Self.quoted(text)), which names no driver version; it was ignored")
      }
    }
    if settings.probesLibraries {
      if let nvml = NVML.open() {
        if driver == nil, let version = nvml.driverVersion { driver = (version, "nvml") }
        cudaMax = nvml.cudaDriverVersion
        gpus = nvml.gpus
        nvml.close()
      }
      if driver == nil || cudaMax == nil, let cuda = LibCuda.probe() {
        if driver == nil, let version = cuda.driver { driver = (version, "libcuda") }
        if cudaMax == nil { cudaMax = cuda.cuda }
      }
    }
    if gpus.isEmpty, settings.useSMI, let smi = findExecutable("nvidia-smi", path: settings.path),
      let answer = NvidiaSMI.query(executable: smi)
    {
      gpus = answer.gpus
      if driver == nil, let version = answer.driver { driver = (version, "nvidia-smi") }
    }
    if gpus.isEmpty { gpus = ProcGPUs.read(settings: settings) }
  }

  /// A file's first line for a message: quoted, at most 60 characters.
  static func quoted(_ text: String) -> String {
    let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map { $0.trimmingSpace() } ?? ""
    return "'" + (line.count > 60 ? line.prefix(60) + "…" : line) + "'"
  }

  /// The version in `/proc/driver/nvidia/version`'s first line: the token after the first double
  /// space (`NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.144.03  Release Build …`), as
  /// uv reads it, else the first token that looks like a driver version.
  static func driverVersion(fromProcText text: String) -> String? {
    let first = text.split(separator: "\n").first.map(String.init) ?? ""
    let pieces = first.splitOnDoubleSpace()
    if pieces.count > 1, let version = DriverVersion(pieces[1]) { return version.text }
    return first.split(separator: " ").lazy.compactMap { $0.contains(".") ? DriverVersion(String($0)) : nil }.first?
      .text
  }

  var record: JSONObject {
    var r: JSONObject = ["type": "env", "os": .string(os), "arch": .string(arch)]
    r["glibc"] = glibc.map { .string($0) } ?? .null
    let tags = PlatformTags.linux(arch: arch, glibc: glibc.flatMap(PlatformTags.parseGlibc))
    r["platform_tags"] = .array(tags.map { .string($0) })
    r["python"] = python?.record ?? .null
    if let driver {
      r["driver"] = [
        "version": .string(driver.version), "cuda_max": cudaMax.map { .string($0.dotted) } ?? .null,
        "source": .string(driver.source),
      ]
    } else {
      r["driver"] = .null
    }
    if let cuda {
      r["cuda"] = [
        "version": .string(cuda.version.dotted), "short": .string(cuda.version.short), "source": .string(cuda.source),
      ]
    } else {
      r["cuda"] = .null
    }
    r["gpus"] = .array(gpus.map(\.record))
    r["torch"] = torch?.record ?? .null
    r["backend"] = .string(backends[0])
    r["backends"] = .array(backends.map { .string($0) })
    return r
  }
}

/// Whether `path` is a directory (after links).
func isDirectory(_ path: String) -> Bool {
  var info = stat()
  return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

extension GPU {
  var record: JSON {
    var r: JSONObject = ["index": .int(index), "name": .string(name), "uuid": uuid.map { .string($0) } ?? .null]
    if let cc = computeCapability {
      r["compute_capability"] = .string("\(cc.major).\(cc.minor)")
      r["arch"] = .string(GPUArchitecture.name(major: cc.major, minor: cc.minor))
    } else {
      r["compute_capability"] = .null
      r["arch"] = .null
    }
    r["memory_mib"] = memoryMiB.map { .int($0) } ?? .null
    return .object(r)
  }
}

extension String {
  /// Splits at every run of two spaces, as Rust's `split("  ")` does.
  func splitOnDoubleSpace() -> [String] {
    var pieces: [String] = []
    var current = ""
    var chars = self[...]
    while let c = chars.first {
      if c == " ", chars.dropFirst().first == " " {
        pieces.append(current)
        current = ""
        chars = chars.dropFirst(2)
      } else {
        current.append(c)
        chars = chars.dropFirst()
      }
    }
    pieces.append(current)
    return pieces
  }
}
