import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// cuda-detect never hangs on what it reads or runs: a FIFO planted in a fake tree, an
/// interpreter that never answers (and the children it started).
@Suite struct HangTests {
  let scratch = TemporaryDirectory()

  @Test func aFIFOWhereAProcFileShouldBeIsSkipped() throws {
    let root = try scratch.directory("fifo-root")
    try makeDirectories(root + "/proc/driver/nvidia")
    try makeDirectories(root + "/sys/module/nvidia")
    #expect(mkfifo(root + "/proc/driver/nvidia/version", 0o644) == 0)
    #expect(mkfifo(root + "/sys/module/nvidia/version", 0o644) == 0)
    let started = monotonicSeconds()
    let run = try Products.run(
      "cuda-detect", ["--root", root, "--no-python", "--no-smi"],
      environment: ["UV_CUDA_DRIVER_VERSION": nil, "COMFY_ENV_CUDA_VERSION": nil], timeout: 20)
    #expect(!run.timedOut && monotonicSeconds() - started < 10)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.first?["driver"] == .null)
  }

  @Test func aHangingInterpreterIsKilledWithItsChildren() throws {
    let pidFile = scratch.path + "/sleeper.pid"
    let python = try scratch.write(
      "hanging-python", "#!/bin/sh\nsleep 1000 &\necho $! > \(pidFile)\nwait\n", mode: 0o755)
    let started = monotonicSeconds()
    let run = try Products.run(
      "cuda-detect", ["--python", python, "--root", try scratch.directory("empty-root"), "--no-smi"],
      environment: ["CUDA_DETECT_PYTHON_TIMEOUT": "1", "UV_CUDA_DRIVER_VERSION": nil], timeout: 40)
    #expect(monotonicSeconds() - started < 10, "the limit is 1 s")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(run.records.first?["python"] == .null)
    #expect(run.stderrText.contains("did not answer within 1 s"), "\(run.stderrText)")
    let pid = try #require(readTextFileIfPresent(pidFile).flatMap { Int32($0.filter(\.isNumber)) })
    var gone = false
    for _ in 0..<100 where !gone {
      let state = readTextFileIfPresent("/proc/\(pid)/stat")?.split(separator: " ").dropFirst(2).first
      gone = kill(pid, 0) != 0 || state == "Z"
      if !gone { usleep(20_000) }
    }
    #expect(gone, "the interpreter's child (sleep, pid \(pid)) was killed too")
    if !gone { kill(pid, SIGKILL) }
    let bad = try Products.run("cuda-detect", ["--no-python"], environment: ["CUDA_DETECT_PYTHON_TIMEOUT": "soon"])
    #expect(bad.exit == .exited(64))
  }
}
