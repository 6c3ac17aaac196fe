import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Runs the package's built executables the way a shell pipeline would.
public enum Products {
  /// The package root, found from this file's place in it.
  public static let root: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
  }()

  /// Where the built executables are: `$PIPES_BUILD_DIR`, else `.build/debug`.
  public static var directory: String {
    Environment.current["PIPES_BUILD_DIR"] ?? "\(root)/.build/debug"
  }

  public static func path(_ name: String) -> String { "\(directory)/\(name)" }

  /// Runs `name` with `arguments`, `input` on stdin, and `environment` added to (or, where a
  /// value is nil, removed from) this process's environment.
  public static func run(
    _ name: String, _ arguments: [String] = [], input: String? = nil, environment: [String: String?] = [:],
    timeout: Double = 60
  ) throws -> CapturedRun {
    var env = Environment.current
    env["SWIFT_BACKTRACE"] = "enable=no"
    for (key, value) in environment { env[key] = value }
    let stdin: String
    if let input {
      stdin = try TemporaryDirectory.shared.write("stdin-\(UInt64.random(in: 0...UInt64.max))", input)
    } else {
      stdin = "/dev/null"
    }
    return try runCapturing(path(name), arguments, environment: env, stdin: stdin, timeout: timeout)
  }

  /// Runs a shell command line with the built executables first on PATH.
  public static func shell(_ command: String, environment: [String: String?] = [:]) throws -> CapturedRun {
    var env = Environment.current
    env["SWIFT_BACKTRACE"] = "enable=no"
    env["PATH"] = "\(directory):\(env["PATH"] ?? "/usr/bin:/bin")"
    for (key, value) in environment { env[key] = value }
    return try runCapturing("/bin/sh", ["-c", command], environment: env, timeout: 60)
  }
}

extension CapturedRun {
  /// stdout's lines, parsed as JSON objects.
  public var records: [JSONObject] {
    stdoutText.split(separator: "\n").compactMap { (try? JSON.parse(String($0)))?.objectValue }
  }
}

/// A directory under /tmp that goes when its owner does: a suite's own when the test that made
/// it ends (pass or fail), `shared` when the test process exits. With `PIPES_KEEP_TEST_DIRS=1`
/// they are kept, and each says where it is on stderr.
public final class TemporaryDirectory: @unchecked Sendable {
  public static let shared = TemporaryDirectory()
  public let path: String

  public init() {
    var template = Array("/tmp/pipes-test-XXXXXX".utf8CString)
    path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    Self.live.add(path)
  }

  deinit {
    Self.live.remove(path)
    remove()
  }

  /// Every directory not yet removed (`shared`, those that suites keep in static properties):
  /// removed when the test process exits.
  static let live: LivePaths = {
    atexit { TemporaryDirectory.live.removeAll() }
    return LivePaths()
  }()

  static let keep = Environment.current["PIPES_KEEP_TEST_DIRS"].map { !$0.isEmpty && $0 != "0" } ?? false

  private func remove() { Self.remove(path) }

  static func remove(_ path: String) {
    if keep {
      try? FileDescriptor.standardError.writeAll("test directory kept (PIPES_KEEP_TEST_DIRS): \(path)\n")
    } else {
      removeTree(path)
    }
  }

  /// Writes `text` to `name` (creating parent directories) and returns the full path.
  @discardableResult
  public func write(_ name: String, _ text: String, mode: mode_t = 0o644) throws -> String {
    let full = "\(path)/\(name)"
    try makeDirectories(String(full[..<full.lastIndex(of: "/")!]))
    let fd = try FileDescriptor.open(full, O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
    try fd.closeAfter { try $0.writeAll(text) }
    chmod(full, mode)
    return full
  }

  /// A new empty subdirectory.
  public func directory(_ name: String) throws -> String {
    let full = "\(path)/\(name)"
    try makeDirectories(full)
    return full
  }
}

/// The paths of the test directories still there, for the clean-up at exit.
final class LivePaths: @unchecked Sendable {
  private let lock = Lock()
  private var paths: Set<String> = []

  func add(_ path: String) { lock.withLock { _ = paths.insert(path) } }
  func remove(_ path: String) { lock.withLock { _ = paths.remove(path) } }
  func removeAll() {
    for path in lock.withLock({ paths }) { TemporaryDirectory.remove(path) }
  }
}
