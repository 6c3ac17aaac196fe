import TestSupport
import Testing

@testable import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct ChildProcessTests {
  /// A child sees its three standard streams and nothing of the parent's pipes: their ends are
  /// close-on-exec from the moment they exist (`pipe2`), so a child that another thread spawns
  /// cannot hold a pipe open and keep its reader from the end of file.
  @Test func childrenInheritNoPipeEnd() throws {
    let pipe = try FileDescriptor.pipe()
    defer {
      pipe.read.close()
      pipe.write.close()
    }
    for end in [pipe.read, pipe.write] { #expect(fcntl(end.rawValue, F_GETFD) & FD_CLOEXEC != 0) }
    let run = try runCapturing("/bin/sh", ["-c", "ls /proc/$$/fd"])
    let open = run.stdoutText.split(separator: "\n").compactMap { Int32($0) }
    #expect(!open.contains(pipe.read.rawValue) && !open.contains(pipe.write.rawValue), "\(open)")
  }

  /// A descriptor some library left inheritable (no close-on-exec) does not reach a child
  /// either, whether its number lies below the highest one given or above it; one named in
  /// `redirect` does, under its new number.
  @Test(arguments: [Int32(70), 5])
  func childrenGetOnlyTheDescriptorsTheyAreGiven(target: Int32) throws {
    let pipe = try FileDescriptor.pipe()
    let low = FileDescriptor(rawValue: fcntl(pipe.write.rawValue, F_DUPFD, Int32(3)))
    let high = FileDescriptor(rawValue: fcntl(pipe.write.rawValue, F_DUPFD, Int32(100)))
    defer {
      for fd in [pipe.read, pipe.write, low, high] { fd.close() }
    }
    #expect(low.rawValue >= 3 && high.rawValue >= 100)
    #expect(fcntl(low.rawValue, F_GETFD) & FD_CLOEXEC == 0, "F_DUPFD leaves close-on-exec off")
    let out = try FileDescriptor.pipe()
    let child = try ChildProcess.spawn(
      "/bin/sh", arguments: ["-c", "ls /proc/$$/fd"], redirect: [1: out.write, target: pipe.read])
    out.write.close()
    _ = try child.wait()
    let listed = try out.read.readAll()
    out.read.close()
    let open = String(decoding: listed, as: UTF8.self).split(separator: "\n").compactMap { Int32($0) }
    #expect(open.contains(target), "\(open)")
    #expect(!open.contains(low.rawValue) || low.rawValue == target, "a stray descriptor below: \(open)")
    #expect(!open.contains(high.rawValue), "a stray descriptor above: \(open)")
    #expect(open.filter { $0 > 2 && $0 != target }.count <= 1, "only the shell's own directory handle: \(open)")
  }

  @Test func capturesBothStreamsAndTheStatus() throws {
    let run = try runCapturing("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
    #expect(run.exit == .exited(3))
    #expect(run.stdoutText == "out\n")
    #expect(run.stderrText == "err\n")
  }

  @Test func drainsMoreThanAPipeHolds() throws {
    let run = try runCapturing("/bin/sh", ["-c", "head -c 1000000 /dev/zero; head -c 300000 /dev/zero >&2"])
    #expect(run.exit.succeeded)
    #expect(run.stdout.count == 1_000_000)
    #expect(run.stderr.count == 300_000)
  }

  @Test func reportsTheKillingSignal() throws {
    let run = try runCapturing("/bin/sh", ["-c", "kill -KILL $$"])
    #expect(run.exit == .signaled(SIGKILL))
  }

  @Test func childGetsDefaultSIGPIPEEvenThoughWeIgnoreIt() throws {
    Termination.install()
    let run = try runCapturing("/bin/sh", ["-c", "yes | head -1 >/dev/null; echo ok"])
    #expect(run.stdoutText == "ok\n")
    let yes = try runCapturing("/bin/bash", ["-c", "yes | head -1 >/dev/null; echo ${PIPESTATUS[0]}"])
    #expect(yes.stdoutText == "141\n")
  }

  @Test func timeoutKillsTheChild() throws {
    let start = monotonicSeconds()
    let run = try runCapturing("/bin/sleep", ["10"], timeout: 0.3)
    #expect(run.timedOut)
    #expect(run.exit == .signaled(SIGKILL))
    #expect(monotonicSeconds() - start < 5)
  }

  @Test func missingProgramIsAnError() {
    #expect(throws: SystemError.self) { try runCapturing("/nonexistent/program", []) }
    #expect(findExecutable("sh") != nil)
    #expect(findExecutable("no-such-program-here") == nil)
  }

  @Test func environmentIsPassedExactly() throws {
    let run = try runCapturing("/usr/bin/env", [], environment: ["ONLY": "this"])
    #expect(run.stdoutText == "ONLY=this\n")
  }
}
