import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Killed builds, concurrent builds and the lock.
@Suite(.serialized) struct AtomicityTests {
  let scratch = TemporaryDirectory()
  var python: String { VenvFixtures.python }

  func start(_ arguments: [String], input: String) throws -> ChildProcess {
    try VenvFixtures.start(arguments, input: input, scratch: scratch)
  }

  func waitFor(_ seconds: Double = 120, _ condition: () -> Bool) -> Bool {
    VenvFixtures.waitFor(seconds, condition)
  }

  /// The build directory of the running build, once it exists.
  func buildDirectory(_ pid: Int32) -> String? {
    let path = "\(scratch.path)/.killed.venv-make-build.tmp"
    return access(path, F_OK) == 0 ? path : nil
  }

  /// Removes what a killed run left (builds share one directory), once the installer it
  /// left behind has let go of the target's lock, so that the next run's points are its own.
  func clearLeftovers() throws {
    let lock = try FileDescriptor.open("\(scratch.path)/.killed.venv-make.lock", O_RDWR | O_CREAT)
    defer { lock.close() }
    flock(lock.rawValue, LOCK_EX)
    _ = try runCapturing("/bin/rm", ["-rf", "\(scratch.path)/.killed.venv-make-build.tmp"])
  }

  @Test func aBuildKilledAtAnyPointLeavesThePreviousEnvWorking() throws {
    let wheels = try scratch.directory("wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let two = try VenvFixtures.probeWheel(version: "2.0", in: wheels)
    let target = "\(scratch.path)/killed"
    let old = VenvFixtures.wheelRecord(one, version: "1.0")
    #expect(try VenvFixtures.venvMake(["--dir", target, "--python", python], input: old).exit == .exited(0))
    let new =
      VenvFixtures.wheelRecord(two, version: "2.0") + #"{"type":"requirement","spec":"numpy==1.26.4"}"# + "\n"
    let points: [(String, (Int32) -> Bool)] = [
      ("the build directory appears", { buildDirectory($0) != nil }),
      ("the venv exists", { buildDirectory($0).map { access("\($0)/pyvenv.cfg", F_OK) == 0 } ?? false }),
      (
        "the wheel is installed",
        { buildDirectory($0).map { access("\($0)/.venv-make-wheels.txt", F_OK) == 0 } ?? false }
      ),
      ("numpy is being installed", { buildDirectory($0).map { access("\($0)/bin/f2py", F_OK) == 0 } ?? false }),
    ]
    for (k, (point, condition)) in points.enumerated() {
      if k > 0 { try clearLeftovers() }
      let child = try start(["--dir", target, "--python", python], input: new)
      let reached = waitFor(120) { condition(child.pid) }
      child.signal(SIGKILL)
      _ = try child.wait()
      #expect(reached, "the build reached the point: \(point)")
      #expect(
        try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p; print(p.VERSION)") == "1.0",
        "killed when \(point)")
    }
    let next = try VenvFixtures.venvMake(["--dir", target, "--python", python], input: new)
    #expect(next.exit == .exited(0), "\(next.stderrText)")
    #expect(next.record("venv")?["changed"] == true)
    #expect(
      try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe as p, numpy; print(p.VERSION)")
        == "2.0")
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
  }

  @Test func twoRunsOnOneTargetTakeTurns() throws {
    let wheels = try scratch.directory("turn-wheels")
    let one = try VenvFixtures.probeWheel(version: "1.0", in: wheels)
    let target = "\(scratch.path)/turns"
    let input = VenvFixtures.wheelRecord(one, version: "1.0") + #"{"type":"requirement","spec":"six"}"# + "\n"
    let outputs = [try scratch.write("turn-a.out", ""), try scratch.write("turn-b.out", "")]
    var children: [ChildProcess] = []
    for output in outputs {
      var env = Environment.current
      for (key, value) in VenvFixtures.environment { env[key] = value }
      let stdin = try scratch.write("turn-in-\(children.count)", input)
      let inFD = try FileDescriptor.open(stdin, O_RDONLY)
      let outFD = try FileDescriptor.open(output, O_WRONLY | O_TRUNC)
      let null = try FileDescriptor.open("/dev/null", O_WRONLY)
      children.append(
        try ChildProcess.spawn(
          Products.path("venv-make"), arguments: ["--dir", target, "--python", python], environment: env,
          redirect: [0: inFD, 1: outFD, 2: null]))
      for fd in [inFD, outFD, null] { fd.close() }
    }
    for child in children { #expect(try child.wait() == .exited(0)) }
    let venvs = outputs.compactMap { output in
      readTextFileIfPresent(output)?.split(separator: "\n").compactMap { (try? JSON.parse(String($0)))?.objectValue }
        .first { $0.type == "venv" }
    }
    #expect(venvs.count == 2)
    #expect(venvs.filter { $0["changed"] == true }.count == 1, "one built, the other waited and found it done")
    #expect(venvs[0]["fingerprint"] == venvs[1]["fingerprint"])
    #expect(try VenvFixtures.pythonSays("\(target)/bin/python", "import venvmake_probe, six; print('ok')") == "ok")
    #expect(VenvFixtures.leftovers(scratch.path).isEmpty)
  }

  @Test func noWaitExits75WhileAnotherHoldsTheLock() throws {
    let target = "\(scratch.path)/held"
    let lock = try FileDescriptor.open("\(scratch.path)/.held.venv-make.lock", O_RDWR | O_CREAT)
    defer { lock.close() }
    #expect(flock(lock.rawValue, LOCK_EX) == 0)
    let run = try VenvFixtures.venvMake(["--dir", target, "--no-wait"], input: "")
    #expect(run.exit == .exited(75))
    #expect(run.record("error")?["code"] == "locked")
    #expect(access(target, F_OK) != 0)
  }
}
