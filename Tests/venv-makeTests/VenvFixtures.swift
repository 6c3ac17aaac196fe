import PipeKit
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// What the end-to-end tests of venv-make share: a uv cache that lives across runs (so the
/// second env with numpy is a hard link away), real interpreters only, and tiny wheels made
/// here by python's zipfile.
enum VenvFixtures {
  /// The environment every run gets: no Python downloads, the shared cache.
  static let environment: [String: String?] = [
    "UV_PYTHON_DOWNLOADS": "never", "UV_CACHE_DIR": "\(Products.root)/.build/test-uv-cache", "NO_COLOR": "1",
  ]

  /// `X.Y` of the python3 on PATH, which uv finds as a real interpreter.
  static let python: String = {
    let run = try? runCapturing("python3", ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
    return run?.stdoutText.trimmingCharacters() ?? "3.11"
  }()

  static func venvMake(
    _ arguments: [String], input: String? = nil, environment: [String: String?] = [:], timeout: Double = 300
  ) throws -> CapturedRun {
    try Products.run(
      "venv-make", arguments, input: input, environment: VenvFixtures.environment.merging(environment) { $1 },
      timeout: timeout)
  }

  /// Starts venv-make in the background with `input` on stdin and its output thrown away.
  static func start(_ arguments: [String], input: String, scratch: TemporaryDirectory) throws -> ChildProcess {
    let stdin = try scratch.write("stdin-\(UInt64.random(in: 0...UInt64.max))", input)
    var env = Environment.current
    for (key, value) in environment { env[key] = value }
    env["SWIFT_BACKTRACE"] = "enable=no"
    let inFD = try FileDescriptor.open(stdin, O_RDONLY)
    let null = try FileDescriptor.open("/dev/null", O_WRONLY)
    defer {
      inFD.close()
      null.close()
    }
    return try ChildProcess.spawn(
      Products.path("venv-make"), arguments: arguments, environment: env, redirect: [0: inFD, 1: null, 2: null])
  }

  /// Waits until `condition` holds (polling every millisecond), at most `seconds`.
  static func waitFor(_ seconds: Double = 120, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
      if condition() { return true }
      usleep(1000)
    }
    return false
  }

  /// Builds `venvmake_probe-VERSION-py3-none-any.whl` in `directory`; returns its path and sha256.
  static func probeWheel(version: String, in directory: String, name: String = "venvmake_probe") throws -> (
    path: String, sha256: String
  ) {
    let script = """
      import base64, hashlib, sys, zipfile
      name, version, out = sys.argv[1:4]
      files = {
          f"{name}/__init__.py": f"VERSION = {version!r}\\n",
          f"{name}-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\\nName: {name}\\nVersion: {version}\\n",
          f"{name}-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
          f"{name}-{version}.dist-info/top_level.txt": f"{name}\\n",
      }
      record = f"{name}-{version}.dist-info/RECORD"
      lines = []
      for path, text in files.items():
          digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
          lines.append(f"{path},sha256={digest},{len(text.encode())}")
      lines.append(f"{record},,")
      files[record] = "\\n".join(lines) + "\\n"
      with zipfile.ZipFile(out, "w") as z:
          for path, text in files.items():
              info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
              z.writestr(info, text)
      """
    let path = "\(directory)/\(name)-\(version)-py3-none-any.whl"
    let run = try runCapturing("python3", ["-c", script, name, version, path])
    guard run.exit.succeeded else { throw SystemError("making \(path): \(run.stderrText)", errno: 0) }
    return (path, SHA256.hex(try readBytes(path)))
  }

  static func readBytes(_ path: String) throws -> [UInt8] {
    guard let bytes = readFileIfPresent(path, limit: 1 << 30) else { throw SystemError("read \(path)", errno: ENOENT) }
    return bytes
  }

  static func wheelRecord(_ wheel: (path: String, sha256: String), sha256: String? = nil, version: String) -> String {
    let object: JSONObject = [
      "type": "wheel", "name": "venvmake_probe", "version": .string(version), "url": .string("file://\(wheel.path)"),
      "filename": .string(String(wheel.path.split(separator: "/").last!)),
      "sha256": .string(sha256 ?? wheel.sha256), "source": "test",
    ]
    return JSON.object(object).serialized + "\n"
  }

  /// What `python -c CODE` prints, trimmed.
  static func pythonSays(_ python: String, _ code: String) throws -> String {
    let run = try runCapturing(python, ["-c", code])
    return run.exit.succeeded ? run.stdoutText.trimmingCharacters() : "FAILED: \(run.stderrText)"
  }

  /// Names in `directory` that a venv-make run leaves only when it did not clean up.
  static func leftovers(_ directory: String) -> [String] {
    (listDirectoryNames(directory) ?? []).filter { $0.contains(".venv-make-build.") || $0.contains(".venv-make-old.") }
  }

  static func modificationTime(_ path: String) -> Int {
    var info = stat()
    guard lstat(path, &info) == 0 else { return -1 }
    return info.st_mtim.tv_sec * 1_000_000_000 + info.st_mtim.tv_nsec
  }
}

extension String {
  func trimmingCharacters() -> String {
    String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
  }
}

extension CapturedRun {
  func record(_ type: String) -> JSONObject? { records.first { $0.type == type } }
}
