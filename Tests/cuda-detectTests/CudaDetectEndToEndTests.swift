import PipeKit
import TestSupport
import Testing

/// cuda-detect run as a program against fake /proc and /sys trees and a fake nvidia-smi.
@Suite struct CudaDetectEndToEndTests {
  let scratch = TemporaryDirectory()

  /// A fake root with the given files, and a PATH whose only nvidia-smi is the given script.
  func machine(files: [String: String] = [:], smi: String? = nil) throws -> (root: String, path: String) {
    let root = try scratch.directory("root-\(UInt32.random(in: 0...UInt32.max))")
    for (name, text) in files { try scratch.write(String(root.dropFirst(scratch.path.count + 1)) + name, text) }
    let bin = try scratch.directory("bin-\(UInt32.random(in: 0...UInt32.max))")
    if let smi {
      try scratch.write(String(bin.dropFirst(scratch.path.count + 1)) + "/nvidia-smi", "#!/bin/sh\n" + smi, mode: 0o755)
    }
    return (root, "\(bin):/usr/bin:/bin")
  }

  func detect(_ arguments: [String] = [], root: String, path: String, environment: [String: String?] = [:]) throws
    -> (CapturedRun, JSONObject)
  {
    var env = environment
    env["PATH"] = path
    if env["UV_CUDA_DRIVER_VERSION"] == nil { env["UV_CUDA_DRIVER_VERSION"] = .some(nil) }
    if env["COMFY_ENV_CUDA_VERSION"] == nil { env["COMFY_ENV_CUDA_VERSION"] = .some(nil) }
    let run = try Products.run("cuda-detect", ["--root", root, "--no-python"] + arguments, environment: env)
    let lines = run.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.count == 2 && lines[1].isEmpty, "exactly one line on stdout")
    return (run, run.records.first ?? [:])
  }

  static let procLine =
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.144.03  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Dec 10 23:43:47 UTC 2024\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"

  @Test func noNvidiaAtAllIsACpuAnswer() throws {
    let m = try machine()
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(run.exit == .exited(0))
    #expect(run.stderrText == "")
    #expect(env.type == "env")
    #expect(env["driver"] == .null)
    #expect(env["cuda"] == .null)
    #expect(env["gpus"] == [])
    #expect(env["backend"] == "cpu")
    #expect(env["backends"] == ["cpu"])
    #expect(env["python"] == .null && env["torch"] == .null)
    #expect(env["os"] == "linux")
    #expect(env["platform_tags"]?.arrayValue?.last == .string("linux_\(env["arch"]?.stringValue ?? "")"))
  }

  @Test func driverFromProcOnly() throws {
    let m = try machine(files: ["/proc/driver/nvidia/version": Self.procLine])
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["driver"] == ["version": "550.144.03", "cuda_max": "12.4", "source": "procfs"])
    #expect(env["backend"] == "cu129")
    // No torch: comfy-env's default CUDA (12.8, which a 525+ driver runs), not uv's newest.
    #expect(env["cuda"] == ["version": "12.8", "short": "128", "source": "default"])
  }

  /// The issue's machine: a 570 driver and no torch. uv's backend is cu129, but the CUDA that
  /// wheels must match is comfy-env's 12.8; a GPU older than Turing makes it 12.4, a Blackwell
  /// beside it 12.8 again.
  @Test func withoutTorchTheCudaIsComfyEnvsDefault() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "570.86.10\n"])
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(run.stderrText == "")
    #expect(env["backend"] == "cu129")
    #expect(env["cuda"] == ["version": "12.8", "short": "128", "source": "default"])
    for (ccs, cuda) in [(["6.1"], "12.4"), (["7.5"], "12.8"), (["6.1", "12.0"], "12.8"), (["8.6", "7.0"], "12.4")] {
      let rows = ccs.enumerated().map {
        "echo '\($0.offset), GPU \($0.offset), GPU-\($0.offset), \($0.element), 8192, 570.86.10'"
      }
      let withSMI = try machine(
        smi: "case \"$1\" in --query-gpu=*) ;; *) exit 2;; esac\n" + rows.joined(separator: "\n"))
      let (_, answer) = try detect(root: withSMI.root, path: withSMI.path)
      #expect(answer["cuda"]?["version"] == .string(cuda), "\(ccs)")
      #expect(answer["cuda"]?["source"] == "default")
    }
  }

  /// A driver too old for comfy-env's 12.8 gets the newest CUDA it runs, and a note says so.
  @Test func aDriverTooOldForTheDefaultGetsItsNewest() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "470.256.02\n"])
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(env["cuda"] == ["version": "11.8", "short": "118", "source": "driver"])
    #expect(
      run.stderrText
        == "cuda-detect: driver 470.256.02 cannot run CUDA 12.8, comfy-env's default; \"cuda\" is 11.8, the newest it runs\n"
    )
    let (quiet, _) = try detect(["--quiet"], root: m.root, path: m.path)
    #expect(quiet.stderrText == "")
  }

  /// Without NVML or nvidia-smi, the driver's /proc/driver/nvidia/gpus lists the GPUs: in bus
  /// order, an excluded one left out, compute capability and memory unknown.
  @Test func gpusFromTheDriversProcFiles() throws {
    let info = { (model: String, uuid: String, excluded: String) in
      "Model: \t\t \(model)\nIRQ:   \t\t 139\nGPU UUID: \t \(uuid)\nVideo BIOS: \t 94.02.42.00.a9\nBus Type: \t PCIe\nDMA Size: \t 47 bits\nBus Location: \t 0000:01:00.0\nDevice Minor: \t 0\nGPU Excluded:\t \(excluded)\n"
    }
    let m = try machine(files: [
      "/proc/driver/nvidia/version": Self.procLine,
      "/proc/driver/nvidia/gpus/0000:41:00.0/information": info("NVIDIA GeForce RTX 4090", "GPU-4090", "No"),
      "/proc/driver/nvidia/gpus/0000:01:00.0/information": info("NVIDIA A10", "GPU-a10", "No"),
      "/proc/driver/nvidia/gpus/0000:81:00.0/information": info("NVIDIA T4", "GPU-t4", "Yes"),
    ])
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(run.stderrText == "")
    #expect(
      env["gpus"] == [
        [
          "index": 0, "name": "NVIDIA A10", "uuid": "GPU-a10", "compute_capability": .null, "arch": .null,
          "memory_mib": .null,
        ],
        [
          "index": 1, "name": "NVIDIA GeForce RTX 4090", "uuid": "GPU-4090", "compute_capability": .null,
          "arch": .null, "memory_mib": .null,
        ],
      ])
    #expect(env["cuda"]?["version"] == "12.8")
    // nvidia-smi, when it answers, still comes first.
    let smi = try machine(
      files: ["/proc/driver/nvidia/gpus/0000:01:00.0/information": info("NVIDIA A10", "GPU-a10", "No")],
      smi: "echo '0, NVIDIA H100, GPU-h100, 9.0, 81559, 550.144.03'")
    let (_, fromSMI) = try detect(root: smi.root, path: smi.path)
    #expect(fromSMI["gpus"]?.arrayValue?.map { $0["name"] } == ["NVIDIA H100"])
  }

  /// A --root that is not there is said on stderr; the answer is the empty machine's.
  @Test func aMissingRootIsAWarning() throws {
    let m = try machine()
    let missing = m.root + "/not-there"
    let (run, env) = try detect(root: missing, path: m.path)
    #expect(run.exit == .exited(0))
    #expect(
      run.stderrText
        == "cuda-detect: warning: --root \(missing) is not a directory; nothing below it was read, so no driver or GPU is known\n"
    )
    #expect(env["driver"] == .null && env["backend"] == "cpu")
  }

  /// A sysfs or procfs version file that holds no version is named on stderr and skipped: the
  /// next source answers.
  @Test func garbageInTheVersionFilesIsAWarning() throws {
    let m = try machine(files: [
      "/sys/module/nvidia/version": "not a version\u{1b}[31m\n", "/proc/driver/nvidia/version": Self.procLine,
    ])
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(env["driver"]?["version"] == "550.144.03" && env["driver"]?["source"] == "procfs")
    #expect(
      run.stderrText
        == "cuda-detect: warning: \(m.root)/sys/module/nvidia/version holds 'not a version\\x1b[31m', not a driver version; it was ignored\n"
    )
    let both = try machine(files: [
      "/sys/module/nvidia/version": "", "/proc/driver/nvidia/version": "NVRM version: something else\n",
    ])
    let (bothRun, bothEnv) = try detect(root: both.root, path: both.path)
    #expect(bothEnv["driver"] == .null)
    let lines = bothRun.stderrText.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(
      lines.last
        == "cuda-detect: warning: \(both.root)/proc/driver/nvidia/version holds 'NVRM version: something else', which names no driver version; it was ignored"
    )
  }

  /// A leading `v` is accepted wherever a driver version is read, as uv's PEP 440 parse does.
  @Test func aLeadingVIsAccepted() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "v570.86.10\n"])
    let (run, env) = try detect(root: m.root, path: m.path)
    #expect(run.stderrText == "")
    #expect(env["driver"] == ["version": "570.86.10", "cuda_max": "12.8", "source": "sysfs"])
    let (_, fromUV) = try detect(
      root: m.root, path: m.path, environment: ["UV_CUDA_DRIVER_VERSION": "v580.65.06"])
    #expect(fromUV["driver"]?["version"] == "580.65.06" && fromUV["backend"] == "cu132")
    let (_, fromFlag) = try detect(["--driver-version", "V550.144.03"], root: m.root, path: m.path)
    #expect(fromFlag["driver"]?["version"] == "550.144.03")
  }

  @Test func sysfsComesBeforeProcfs() throws {
    let m = try machine(files: [
      "/sys/module/nvidia/version": "570.86.10\n", "/proc/driver/nvidia/version": Self.procLine,
    ])
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["driver"] == ["version": "570.86.10", "cuda_max": "12.8", "source": "sysfs"])
  }

  @Test func a580DriverGetsCuda13Backends() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "580.95.05\n"])
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["backend"] == "cu132")
    #expect(env["backends"]?.arrayValue?.prefix(3) == ["cu132", "cu130", "cu129"])
    #expect(env["driver"]?["cuda_max"] == "13.0")
  }

  @Test func a470DriverStopsAtCuda118() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "470.256.02\n"])
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["backend"] == "cu118")
    #expect(env["driver"]?["cuda_max"] == "11.4")
    #expect(env["backends"]?.arrayValue?.contains(JSON.string("cu120")) == false)
    #expect(env["backends"]?.arrayValue?.last == "cpu")
  }

  @Test func twoGPUsFromNvidiaSMI() throws {
    let smi = """
      case "$1" in --query-gpu=*) ;; *) exit 2;; esac
      echo '0, NVIDIA GeForce RTX 3090, GPU-11111111-2222-3333-4444-555555555555, 8.6, 24576, 550.144.03'
      echo '1, NVIDIA H100 80GB HBM3, GPU-66666666-7777-8888-9999-000000000000, 9.0, 81559, 550.144.03'
      """
    let m = try machine(smi: smi)
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["driver"] == ["version": "550.144.03", "cuda_max": "12.4", "source": "nvidia-smi"])
    let gpus = env["gpus"]?.arrayValue ?? []
    #expect(gpus.count == 2)
    #expect(
      gpus.first
        == [
          "index": 0, "name": "NVIDIA GeForce RTX 3090", "uuid": "GPU-11111111-2222-3333-4444-555555555555",
          "compute_capability": "8.6", "arch": "Ampere", "memory_mib": 24576,
        ])
    #expect(gpus.last?["arch"] == "Hopper")
    #expect(gpus.last?["compute_capability"] == "9.0")
  }

  @Test func oldSMIWithoutComputeCapIsAskedAgain() throws {
    let smi = """
      case "$1" in *compute_cap*) echo 'Field "compute_cap" is not a valid field to query.'; exit 2;; esac
      echo '0, Tesla K80, GPU-k80, 11441, 470.256.02'
      """
    let m = try machine(smi: smi)
    let (_, env) = try detect(root: m.root, path: m.path)
    #expect(env["gpus"]?.arrayValue?.first?["name"] == "Tesla K80")
    #expect(env["gpus"]?.arrayValue?.first?["compute_capability"] == .null)
    #expect(env["backend"] == "cu118")
    let (_, noSMI) = try detect(["--no-smi"], root: m.root, path: m.path)
    #expect(noSMI["gpus"] == [] && noSMI["backend"] == "cpu")
  }

  @Test func driverOverrideFromUV() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "470.256.02\n"])
    let (_, env) = try detect(root: m.root, path: m.path, environment: ["UV_CUDA_DRIVER_VERSION": "550.144.03"])
    #expect(env["driver"]?["version"] == "550.144.03")
    #expect(env["driver"]?["source"] == "env:UV_CUDA_DRIVER_VERSION")
    let backends = env["backends"]?.arrayValue ?? []
    #expect(backends.first == "cu129" && backends.count == 26 && backends.suffix(2) == ["cu80", "cpu"])
    let (_, flag) = try detect(["--driver-version", "580.65.06"], root: m.root, path: m.path)
    #expect(flag["driver"]?["source"] == "flag" && flag["backend"] == "cu132")
  }

  @Test func cudaOverrideFromComfyEnv() throws {
    let m = try machine(files: ["/sys/module/nvidia/version": "580.95.05\n"])
    let (_, env) = try detect(root: m.root, path: m.path, environment: ["COMFY_ENV_CUDA_VERSION": "128"])
    #expect(env["cuda"] == ["version": "12.8", "short": "128", "source": "env:COMFY_ENV_CUDA_VERSION"])
    #expect(env["backend"] == "cu132")
    let (_, flag) = try detect(["--cuda-version", "12.6"], root: m.root, path: m.path)
    #expect(flag["cuda"] == ["version": "12.6", "short": "126", "source": "flag"])
  }

  @Test func badOverridesAreUsageErrors() throws {
    let m = try machine()
    let run = try Products.run(
      "cuda-detect", ["--root", m.root, "--no-python"], environment: ["UV_CUDA_DRIVER_VERSION": "banana"])
    #expect(run.exit == .exited(64))
    #expect(run.stdout.isEmpty)
    #expect(run.stderrText.hasPrefix("cuda-detect: UV_CUDA_DRIVER_VERSION='banana' is not a version"))
    let both = try Products.run("cuda-detect", ["--python", "python3", "--no-python"])
    #expect(both.exit == .exited(64))
    let unknown = try Products.run("cuda-detect", ["--frobnicate"])
    #expect(unknown.exit == .exited(64))
    #expect(unknown.stderrText.hasSuffix("See 'cuda-detect --help' for more information.\n"))
  }

  @Test func requireGPUWithoutOneExits69() throws {
    let m = try machine()
    let run = try Products.run(
      "cuda-detect", ["--root", m.root, "--no-python", "--require-gpu"],
      environment: ["PATH": m.path, "UV_CUDA_DRIVER_VERSION": nil])
    #expect(run.exit == .exited(69))
    #expect(run.records.count == 1)
    #expect(run.records.first?["type"] == "error")
    #expect(run.records.first?["code"] == "no-gpu")
    #expect(run.stderrText.hasPrefix("cuda-detect: error: no NVIDIA GPU or driver found"))
    let withDriver = try machine(files: ["/sys/module/nvidia/version": "550.144.03\n"])
    let (ok, _) = try detect(["--require-gpu"], root: withDriver.root, path: withDriver.path)
    #expect(ok.exit == .exited(0))
  }

  @Test func helpAndVersionGoToStdout() throws {
    let help = try Products.run("cuda-detect", ["--help"])
    #expect(help.exit == .exited(0))
    #expect(help.stdoutText.hasPrefix("OVERVIEW: "))
    let version = try Products.run("cuda-detect", ["--version"])
    #expect(version.stdoutText.hasPrefix("cuda-detect "))
  }

  @Test func missingPythonIsANoteNotAFailure() throws {
    let m = try machine()
    let run = try Products.run(
      "cuda-detect", ["--root", m.root, "--python", "/nonexistent/python3"], environment: ["PATH": m.path])
    #expect(run.exit == .exited(0))
    #expect(run.records.first?["python"] == .null)
    #expect(run.stderrText.contains("no Python interpreter '/nonexistent/python3' found"))
    let quiet = try Products.run(
      "cuda-detect", ["--root", m.root, "--python", "/nonexistent/python3", "--quiet"], environment: ["PATH": m.path])
    #expect(quiet.stderrText == "")
  }
}
