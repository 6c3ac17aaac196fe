#if canImport(Glibc)
  import Glibc
#endif

/// What the sweeps of things a killed run left (segments, `.part` files) ask of a candidate.

/// Whether no process `pid` exists (`kill(pid, 0)` fails with `ESRCH`); a process of another
/// user still counts as alive.
public func processIsGone(_ pid: pid_t) -> Bool {
  pid > 0 && kill(pid, 0) == -1 && errno == ESRCH
}

/// Seconds since the file described by `info` was last written.
public func secondsSinceModified(_ info: stat) -> Double {
  var now = timespec()
  clock_gettime(CLOCK_REALTIME, &now)
  return Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
}
