import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// What happens when a tool is told to stop (SIGINT, SIGTERM, SIGHUP) or its reader goes away
/// (SIGPIPE): it signals its children, runs the clean-up actions registered for what it created
/// and has not handed on, then dies by the same signal, so its parent sees the real cause.
public enum Termination {
  private static let lock = Lock()
  nonisolated(unsafe) private static var children: Set<Int32> = []
  nonisolated(unsafe) private static var cleanups: [Int: @Sendable () -> Void] = [:]
  nonisolated(unsafe) private static var nextToken = 0
  nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

  /// The signals a tool stops on.
  public static let stopSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// Installs the handlers. SIGPIPE is ignored so that a write to a dead child's pipe fails with
  /// EPIPE instead of killing the tool; stdout's EPIPE is turned back into SIGPIPE by the writer.
  public static func install() {
    signal(SIGPIPE, SIG_IGN)
    lock.withLock {
      guard sources.isEmpty else { return }
      for sig in stopSignals {
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { die(by: sig) }
        source.resume()
        sources.append(source)
      }
    }
  }

  /// Registers a child process to be signalled when the tool stops (a negative pid: a process
  /// group, as `kill` takes it).
  public static func adopt(_ pid: Int32) { lock.withLock { _ = children.insert(pid) } }

  /// Forgets a child that has been reaped (and the group it led).
  public static func release(_ pid: Int32) {
    lock.withLock {
      children.remove(pid)
      children.remove(-pid)
    }
  }

  /// Registers a clean-up action; returns a token that `cancel` takes once the thing is handed on.
  @discardableResult
  public static func onStop(_ action: @escaping @Sendable () -> Void) -> Int {
    lock.withLock {
      nextToken += 1
      cleanups[nextToken] = action
      return nextToken
    }
  }

  public static func cancel(_ token: Int) { lock.withLock { _ = cleanups.removeValue(forKey: token) } }

  /// Stops the children, runs the clean-ups and dies by `sig`.
  public static func die(by sig: Int32) -> Never {
    let (pids, actions) = lock.withLock { (children, Array(cleanups.values)) }
    let forwarded = sig == SIGPIPE ? SIGTERM : sig
    for pid in pids { kill(pid, forwarded) }
    for action in actions { action() }
    signal(sig, SIG_DFL)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, sig)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    kill(getpid(), sig)
    _exit(128 + sig)
  }
}
