import CPipeShims

#if canImport(Glibc)
  import Glibc
#endif

/// How a child process ended.
public enum ProcessExit: Sendable, Equatable, CustomStringConvertible {
  case exited(Int32)
  case signaled(Int32)

  public var succeeded: Bool { self == .exited(0) }

  public var description: String {
    switch self {
    case .exited(let code): "exit status \(code)"
    case .signaled(let sig): "signal \(sig) (\(String(cString: strsignal(sig))))"
    }
  }
}

/// A child process started with `posix_spawn`.
///
/// The child gets default dispositions for the signals a tool ignores or handles (SIGPIPE,
/// SIGINT, SIGTERM, SIGHUP, …) and an empty signal mask, so it behaves like a program started
/// from a shell. Only the descriptors named in `redirect` (and 0, 1, 2) are passed on: every
/// other one is closed in the child, close-on-exec or not, so a descriptor that some library
/// left inheritable (a socket, a pipe) cannot keep a peer from its end of file. (Where the C
/// library cannot close a whole range, glibc before 2.34 or a kernel without close_range and
/// /proc, only descriptors up to the highest redirect target and the close-on-exec ones are.)
public struct ChildProcess: Sendable {
  public let pid: Int32

  /// Starts `executable` (looked up on `PATH` when it has no `/`) with `arguments` (not
  /// including argv[0]). `redirect` maps a child descriptor number to one of ours. With
  /// `newProcessGroup` the child leads a process group of its own (`POSIX_SPAWN_SETPGROUP`), so
  /// that `signalGroup` reaches whatever it starts, and the stop signals go to the whole group.
  /// The corresponding C function is `posix_spawnp`.
  public static func spawn(
    _ executable: String, arguments: [String], environment: [String: String]? = nil,
    redirect: [Int32: FileDescriptor] = [:], newProcessGroup: Bool = false
  ) throws -> ChildProcess {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for sig in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
      sigaddset(&defaults, sig)
    }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var mask = sigset_t()
    sigemptyset(&mask)
    posix_spawnattr_setsigmask(&attributes, &mask)
    var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
    if newProcessGroup {
      flags |= POSIX_SPAWN_SETPGROUP
      posix_spawnattr_setpgroup(&attributes, 0)
    }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { for p in argv { free(p) } }
    let envStrings = environment.map { env in env.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { envStrings?.forEach { free($0) } }

    var pid: pid_t = 0
    /// Starts the child with `redirect` applied and the other descriptors closed: the gaps below
    /// the highest target one by one (a close of a number that is not open is ignored) and, with
    /// `closingAbove`, everything above it at once. Says whether that last action was taken.
    func start(closingAbove: Bool) -> (result: Int32, closedAbove: Bool) {
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      for (target, source) in redirect.sorted(by: { $0.key < $1.key }) {
        posix_spawn_file_actions_adddup2(&actions, source.rawValue, target)
      }
      let highest = max(2, redirect.keys.max() ?? 0)
      for fd in Int32(3)..<max(3, highest) where redirect[fd] == nil {
        posix_spawn_file_actions_addclose(&actions, fd)
      }
      let closedAbove = closingAbove && cpipes_spawn_close_from(&actions, highest + 1) == 0
      let result =
        if let envStrings {
          posix_spawnp(&pid, executable, &actions, &attributes, argv, envStrings)
        } else {
          posix_spawnp(&pid, executable, &actions, &attributes, argv, environ)
        }
      return (result, closedAbove)
    }
    var (result, closedAbove) = start(closingAbove: true)
    if result != 0 && closedAbove {
      // The close-everything-above action needs close_range (Linux 5.9) or /proc; where neither
      // is there, start the child without it rather than not at all.
      result = start(closingAbove: false).result
    }
    guard result == 0 else { throw SystemError("posix_spawn \(executable)", errno: result) }
    Termination.adopt(newProcessGroup ? -pid : pid)
    return ChildProcess(pid: pid)
  }

  /// Waits for the child to end. The corresponding C function is `waitpid`.
  public func wait() throws -> ProcessExit {
    var status: Int32 = 0
    _ = try valueOrErrno("waitpid") { waitpid(pid, &status, 0) }
    Termination.release(pid)
    return ProcessExit(waitStatus: status)
  }

  /// The child's exit if it has ended (it is then reaped), or `nil` while it runs.
  /// The corresponding C function is `waitpid` with `WNOHANG`.
  public func exitIfEnded() throws -> ProcessExit? {
    var status: Int32 = 0
    guard try valueOrErrno("waitpid", { waitpid(pid, &status, WNOHANG) }) == pid else { return nil }
    Termination.release(pid)
    return ProcessExit(waitStatus: status)
  }

  /// Sends `sig` to the child. The corresponding C function is `kill`.
  public func signal(_ sig: Int32) { kill(pid, sig) }

  /// Sends `sig` to the child's process group (a child spawned with `newProcessGroup`): the
  /// child and everything it started that did not leave the group. Call it before the child is
  /// reaped, or soon after: a group id is not reused while any member lives.
  public func signalGroup(_ sig: Int32) { kill(-pid, sig) }
}

extension ProcessExit {
  init(waitStatus status: Int32) {
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
    let low = status & 0x7F
    self = low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
  }
}

/// The outcome of `runCapturing`.
public struct CapturedRun: Sendable {
  public var exit: ProcessExit
  public var stdout: [UInt8]
  public var stderr: [UInt8]
  public var timedOut: Bool

  public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
  public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs a program to completion with stdin from the file `stdin` (/dev/null by default), collecting stdout and stderr (both
/// drained while it runs, so a chatty child never blocks). After `timeout` seconds the child is
/// killed and `timedOut` is set; with `ownGroup` the child runs in a process group of its own and
/// the whole group is killed, so nothing it started outlives it.
public func runCapturing(
  _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String = "/dev/null",
  timeout: Double = 30, ownGroup: Bool = false
) throws -> CapturedRun {
  let out = try FileDescriptor.pipe()
  let err = try FileDescriptor.pipe()
  let null = try FileDescriptor.open(stdin, O_RDONLY)
  let child: ChildProcess
  do {
    defer {
      out.write.close()
      err.write.close()
      null.close()
    }
    child = try ChildProcess.spawn(
      executable, arguments: arguments, environment: environment, redirect: [0: null, 1: out.write, 2: err.write],
      newProcessGroup: ownGroup)
  } catch {
    out.read.close()
    err.read.close()
    throw error
  }
  defer {
    out.read.close()
    err.read.close()
  }
  var collected: [[UInt8]] = [[], []]
  var open = [true, true]
  let fds = [out.read, err.read]
  let deadline = monotonicSeconds() + timeout
  var timedOut = false
  var chunk = [UInt8](repeating: 0, count: 65536)
  while open[0] || open[1] {
    let remaining = deadline - monotonicSeconds()
    if remaining <= 0 {
      timedOut = true
      if ownGroup { child.signalGroup(SIGKILL) } else { child.signal(SIGKILL) }
      break
    }
    var polls = (0..<2).filter { open[$0] }.map { pollfd(fd: fds[$0].rawValue, events: Int16(POLLIN), revents: 0) }
    let ready = poll(&polls, nfds_t(polls.count), Int32(min(remaining * 1000 + 1, 60_000)))
    if ready < 0 && errno != EINTR { break }
    for p in polls where p.revents != 0 {
      let k = fds.firstIndex { $0.rawValue == p.fd }!
      let n = (try? chunk.withUnsafeMutableBytes { try fds[k].read(into: $0) }) ?? 0
      if n == 0 { open[k] = false } else { collected[k].append(contentsOf: chunk[0..<n]) }
    }
  }
  let exit = try child.wait()
  return CapturedRun(exit: exit, stdout: collected[0], stderr: collected[1], timedOut: timedOut)
}
