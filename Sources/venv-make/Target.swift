import PipeHTTP
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The env directory venv-make builds, and the files beside it: the lock, and the build
/// directories that a killed run leaves behind.
struct Target: Sendable {
  /// Absolute.
  var path: String
  var name: String
  var parent: String

  init(path: String) {
    let absolute = withoutTrailingSlashes(URLText.absolutePath(path))
    self.path = absolute
    let slash = absolute.lastIndex(of: "/")!
    name = String(absolute[absolute.index(after: slash)...])
    parent = slash == absolute.startIndex ? "/" : String(absolute[..<slash])
  }

  var python: String { "\(path)/bin/python" }
  var statePath: String { "\(path)/\(EnvState.fileName)" }
  var lockPath: String { "\(parent)/.\(name).venv-make.lock" }
  /// A build in progress is `.NAME.venv-make-build.tmp`, beside the target; older versions
  /// added the PID instead of `tmp`, and the clean-up removes every name with this prefix.
  var buildPrefix: String { ".\(name).venv-make-build." }
  /// The previous env between the two renames of a swap without `RENAME_EXCHANGE`.
  var oldPrefix: String { ".\(name).venv-make-old." }

  /// The one build directory of this target. Builds are serialised by the lock, so the name
  /// need not be unique; being the same each time, it lets uv answer the question of what the
  /// new env's interpreter is from its cache (about 30 ms a build) instead of starting it.
  var buildPath: String { "\(parent)/\(buildPrefix)tmp" }

  /// The default root for `--name`: `$VENV_MAKE_ROOT`, else
  /// `${XDG_DATA_HOME:-$HOME/.local/share}/comfy-pipes/venvs`.
  static func defaultRoot(_ environment: [String: String]) -> String {
    if let root = environment["VENV_MAKE_ROOT"], !root.isEmpty { return root }
    if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return "\(data)/comfy-pipes/venvs" }
    return "\(environment["HOME"] ?? "/root")/.local/share/comfy-pipes/venvs"
  }

  /// Removes what killed runs left, under the lock: their build directories, and a previous env
  /// parked by an interrupted swap (moved back when the target itself is missing). Only names
  /// venv-make makes are touched (`isOwnLeftover`), and links among them are removed, not
  /// followed.
  func cleanLeftovers(note: (String) -> Void) {
    let names = (listDirectoryNames(parent) ?? []).filter(isOwnLeftover)
    var targetExists = access(path, F_OK) == 0 || isSymbolicLink(path)
    for name in names where name.hasPrefix(oldPrefix) {
      let leftover = "\(parent)/\(name)"
      if !targetExists && Target(path: leftover).refusal == nil && !isSymbolicLink(leftover)
        && rename(leftover, path) == 0
      {
        note("restored the previous env from \(leftover), parked by an interrupted run")
        targetExists = true
      } else {
        removeTree(leftover)
      }
    }
    for name in names where name.hasPrefix(buildPrefix) {
      note("removing \(parent)/\(name), left by an interrupted run")
      removeTree("\(parent)/\(name)")
    }
  }

  /// Puts the finished build in the target's place in one step (`renameat2` with
  /// `RENAME_EXCHANGE`); the build path then holds the previous env, if there was one.
  /// Where exchange is not supported, the old env is parked under `oldPrefix` for a moment.
  func swapIn(_ build: String) throws(ErrorRecord) {
    if access(path, F_OK) != 0 {
      guard rename(build, path) == 0 else { throw ioError("rename \(build) to \(path)", errno) }
      return
    }
    let result = Rename.exchange(build, path)
    if result == 0 { return }
    guard result == ENOSYS || result == EINVAL else { throw ioError("exchange \(build) and \(path)", result) }
    let parked = "\(parent)/\(oldPrefix)\(getpid())"
    guard rename(path, parked) == 0 else { throw ioError("rename \(path)", errno) }
    guard rename(build, path) == 0 else {
      let code = errno
      _ = rename(parked, path)
      throw ioError("rename \(build) to \(path)", code)
    }
    guard rename(parked, build) == 0 else { throw ioError("rename \(parked)", errno) }
  }

  func ioError(_ what: String, _ code: Int32) -> ErrorRecord {
    ErrorRecord(code: "io-error", message: "\(what): \(String(cString: strerror(code)))", exit: .ioError)
  }
}

/// `renameat2`, which `import Glibc` does not show: looked up with `dlsym`.
enum Rename {
  typealias Function = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
  static let renameat2: Function? = {
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "renameat2") else { return nil }
    return unsafeBitCast(symbol, to: Function.self)
  }()

  /// Swaps two paths atomically; returns 0 or the errno. The C function is `renameat2` with
  /// `RENAME_EXCHANGE`.
  static func exchange(_ a: String, _ b: String) -> Int32 {
    guard let renameat2 else { return ENOSYS }
    let atCWD: Int32 = -100
    let renameExchange: UInt32 = 2
    return renameat2(atCWD, a, atCWD, b, renameExchange) == 0 ? 0 : errno
  }
}

/// Whether `path` is a symbolic link (a dangling one too).
func isSymbolicLink(_ path: String) -> Bool {
  var info = stat()
  return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
}
