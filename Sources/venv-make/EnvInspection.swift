import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What an env's own python says about it (`inspect_env.py`, embedded in the binary).
struct EnvInspection: Sendable {
  var version: String
  var prefix: String
  var purelib: String
  var packages: [JSON]
  /// `{"name", "module", "error"}` for each module of the asked-for projects that failed to import.
  var importErrors: [JSON]

  static let script = String(decoding: PackageResources.inspect_env_py, as: UTF8.self)

  /// Runs `python -I -c <script>`, importing the top-level modules of `importing`.
  static func run(python: String, importing: [String]) throws(ErrorRecord) -> EnvInspection {
    let run: CapturedRun
    do {
      run = try runCapturing(
        python, ["-I", "-c", script] + (importing.isEmpty ? [] : ["--import"] + importing), timeout: 600)
    } catch {
      throw broken(python, "it cannot be started: \(error)")
    }
    guard run.exit.succeeded, let object = try? JSON.parse(run.stdoutText).objectValue,
      let version = object["version"]?.stringValue
    else {
      let said = run.stderrText.split(separator: "\n").suffix(3).joined(separator: " | ")
      throw broken(python, "it failed (\(run.exit)): \(said)")
    }
    return EnvInspection(
      version: version, prefix: object["prefix"]?.stringValue ?? "", purelib: object["purelib"]?.stringValue ?? "",
      packages: object["packages"]?.arrayValue ?? [], importErrors: object["import_errors"]?.arrayValue ?? [])
  }

  static func broken(_ python: String, _ why: String) -> ErrorRecord {
    ErrorRecord(
      code: "verify-failed", message: "the env's python \(python) does not work: \(why)",
      detail: ["python": .string(python)])
  }
}

/// The check of a new env (`verify_env.py`), started as soon as the env's python exists so that
/// its start-up overlaps the install: the python (`-I -S`) waits on stdin; `finish` sends the
/// modules to import, and the script then runs `site.main()`, as a normal start would (the
/// `.pth` files of what was installed included), imports them and answers.
struct PendingVerify {
  static let script = String(decoding: PackageResources.verify_env_py, as: UTF8.self)

  let python: String
  let child: ChildProcess
  let input: FileDescriptor
  let output: FileDescriptor
  /// The python's stderr, a file in the build directory, removed by `finish` and `cancel`.
  let errorsPath: String

  static func start(python: String, scratch: String) throws(ErrorRecord) -> PendingVerify {
    let errorsPath = "\(scratch)/.venv-make-verify.err"
    do {
      let input = try FileDescriptor.pipe()
      let output = try FileDescriptor.pipe()
      let errors = try FileDescriptor.open(errorsPath, O_WRONLY | O_CREAT | O_TRUNC)
      defer {
        input.read.close()
        output.write.close()
        errors.close()
      }
      let child = try ChildProcess.spawn(
        python, arguments: ["-I", "-S", "-c", script],
        redirect: [0: input.read, 1: output.write, 2: errors])
      return PendingVerify(
        python: python, child: child, input: input.write, output: output.read, errorsPath: errorsPath)
    } catch {
      throw EnvInspection.broken(python, "it cannot be started: \(error)")
    }
  }

  /// Sends the modules, waits (at most `timeout` seconds) and returns the version and
  /// `{"module", "error"}` for each module that failed to import.
  func finish(importing modules: [String], timeout: Double = 600) throws(ErrorRecord) -> (
    version: String, importErrors: [JSON]
  ) {
    try? input.writeAll(modules.joined(separator: " ") + "\n")  // EPIPE: it died; its exit says why
    input.close()
    var answer: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 14)
    let deadline = monotonicSeconds() + timeout
    while true {
      let remaining = deadline - monotonicSeconds()
      var polled = pollfd(fd: output.rawValue, events: Int16(POLLIN), revents: 0)
      if remaining <= 0 || (poll(&polled, 1, Int32(min(remaining * 1000 + 1, 60_000))) < 0 && errno != EINTR) {
        child.signal(SIGKILL)
        break
      }
      guard polled.revents != 0 else { continue }
      let n = (try? chunk.withUnsafeMutableBytes { try output.read(into: $0) }) ?? 0
      if n == 0 { break }
      answer.append(contentsOf: chunk[0..<n])
    }
    output.close()
    let exit = (try? child.wait()) ?? .exited(-1)
    let said = readTextFileIfPresent(errorsPath) ?? ""
    unlink(errorsPath)
    guard exit.succeeded, let object = try? JSON.parse(String(decoding: answer, as: UTF8.self)).objectValue,
      let version = object["version"]?.stringValue
    else {
      let last = said.split(separator: "\n").suffix(3).joined(separator: " | ")
      throw EnvInspection.broken(python, "it failed (\(exit)): \(last)")
    }
    return (version, object["import_errors"]?.arrayValue ?? [])
  }

  /// Ends the python without a check (the install failed).
  func cancel() {
    input.close()
    output.close()
    _ = try? child.wait()
    unlink(errorsPath)
  }
}
