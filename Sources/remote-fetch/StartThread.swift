import Dispatch

#if canImport(Glibc)
  import Glibc
#endif

/// Runs `body` on a new detached thread with a 1 MiB stack: a watcher blocks on its socket for
/// as long as its jobs run, so it gets a thread of its own rather than one of Dispatch's pool
/// (and remote-fetch stays free of Foundation, whose `Thread` alone adds 50 MB to the binary).
/// The corresponding C function is `pthread_create`.
func startThread(_ body: @escaping @Sendable () -> Void) {
  final class Box: @unchecked Sendable {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
  var attributes = pthread_attr_t()
  pthread_attr_init(&attributes)
  defer { pthread_attr_destroy(&attributes) }
  pthread_attr_setstacksize(&attributes, 1 << 20)
  pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
  let context = Unmanaged.passRetained(Box(body)).toOpaque()
  var thread = pthread_t()
  let started = pthread_create(
    &thread, &attributes,
    { context in
      let box = Unmanaged<Box>.fromOpaque(context!).takeRetainedValue()
      box.body()
      return nil
    }, context)
  if started != 0 {
    // No thread of its own to be had (EAGAIN): one of Dispatch's, rather than lose its jobs.
    let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
    DispatchQueue.global().async { box.body() }
  }
}
