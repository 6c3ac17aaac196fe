import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The command line of cuda-detect and the order in which it asks the machine.
enum CudaDetect {
  static let spec = CommandSpec(
    name: "cuda-detect", version: pipeKitVersion,
    overview: "Describe this machine for CUDA wheels: OS, glibc, Python, torch, NVIDIA driver, GPUs, torch backend.",
    usage: ["[--python PATH | --no-python] [--root DIR] [--require-gpu] [options]"],
    options: [
      OptionSpec(["--python"], value: "PATH", help: "The interpreter to describe (default: python3 on PATH)."),
      OptionSpec(["--no-python"], help: "Do not look for Python or torch; \"python\" and \"torch\" are null."),
      OptionSpec(
        ["--root"], value: "DIR", help: "Read /proc and /sys below DIR instead of / (library probes are skipped)."),
      OptionSpec(
        ["--driver-version"], value: "VERSION",
        help: "Take the NVIDIA driver version as given (like UV_CUDA_DRIVER_VERSION)."),
      OptionSpec(
        ["--cuda-version"], value: "VERSION",
        help: "Take the CUDA version wheels must match as given (like COMFY_ENV_CUDA_VERSION)."),
      OptionSpec(["--no-smi"], help: "Never run nvidia-smi."),
      OptionSpec(["--require-gpu"], help: "Exit 69 when no NVIDIA GPU or driver is found."),
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let settings = try Settings(arguments: arguments, environment: Environment.current)
    let machine = Machine.detect(settings: settings, diagnostics: tool.diagnostics)
    if settings.requireGPU && !machine.hasGPU {
      throw ErrorRecord(
        code: "no-gpu",
        message:
          "no NVIDIA GPU or driver found; install the NVIDIA driver, or drop --require-gpu to accept a CPU answer",
        detail: ["root": .string(settings.root)], exit: .unavailable)
    }
    tool.emit(machine.record)
  }
}

/// What the command line and the environment ask for.
struct Settings {
  var python: String?
  var pythonExplicit: Bool
  var root: String
  var driverOverride: (version: String, source: String)?
  var cudaOverride: (version: String, source: String)?
  var useSMI: Bool
  var requireGPU: Bool
  var path: String?
  /// Seconds the interpreter may take (`CUDA_DETECT_PYTHON_TIMEOUT`, default 30).
  var pythonTimeout = PythonProbe.defaultTimeout

  /// Library probes (NVML, libcuda) describe the running machine, so they run only when the
  /// files read are the running machine's too.
  var probesLibraries: Bool { root == "/" }

  init(arguments: Arguments, environment: [String: String]) throws {
    if arguments.flag("--no-python") && arguments.value("--python") != nil {
      throw UsageError("--python and --no-python exclude each other")
    }
    pythonExplicit = arguments.value("--python") != nil
    python = arguments.flag("--no-python") ? nil : (arguments.value("--python") ?? "python3")
    root = arguments.value("--root") ?? "/"
    if root.isEmpty { throw UsageError("--root needs a directory") }
    if let v = arguments.value("--driver-version") {
      guard let version = DriverVersion(v) else {
        throw UsageError("--driver-version '\(v)' is not a version like 550.144.03")
      }
      driverOverride = (version.text, "flag")
    } else if let v = environment["UV_CUDA_DRIVER_VERSION"], !v.isEmpty {
      guard let version = DriverVersion(v) else {
        throw UsageError("UV_CUDA_DRIVER_VERSION='\(v)' is not a version like 550.144.03")
      }
      driverOverride = (version.text, "env:UV_CUDA_DRIVER_VERSION")
    }
    if let v = arguments.value("--cuda-version") {
      guard let cuda = CudaVersion(v) else { throw UsageError("--cuda-version '\(v)' is not a CUDA version like 12.8") }
      cudaOverride = (cuda.dotted, "flag")
    } else if let v = environment["COMFY_ENV_CUDA_VERSION"], !v.isEmpty {
      guard let cuda = CudaVersion(v) else {
        throw UsageError("COMFY_ENV_CUDA_VERSION='\(v)' is not a CUDA version like 12.8")
      }
      cudaOverride = (cuda.dotted, "env:COMFY_ENV_CUDA_VERSION")
    }
    useSMI = !arguments.flag("--no-smi")
    requireGPU = arguments.flag("--require-gpu")
    path = environment["PATH"]
    if let v = environment["CUDA_DETECT_PYTHON_TIMEOUT"], !v.isEmpty {
      guard let seconds = Double(v), seconds > 0, seconds.isFinite else {
        throw UsageError("CUDA_DETECT_PYTHON_TIMEOUT='\(v)' is not a positive number of seconds")
      }
      pythonTimeout = seconds
    }
  }

  /// `path` below the root.
  func file(_ path: String) -> String { root == "/" ? path : root + path }
}

/// A small text file's contents, or `nil` when it is missing, unreadable or not a regular file.
/// It is opened without blocking and checked with `fstat` before it is read, so a FIFO or a
/// device planted where a /proc or /sys file is expected (or in a package's metadata) cannot
/// hang cuda-detect.
func readRegularTextFile(_ path: String, limit: Int = 1 << 20) -> String? {
  guard let fd = try? FileDescriptor.open(path, O_RDONLY | O_NONBLOCK) else { return nil }
  return fd.closeAfter { fd in
    var info = stat()
    guard fstat(fd.rawValue, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return (try? fd.readAll(limit: limit)).map { String(decoding: $0, as: UTF8.self) }
  }
}
