import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// The servers given with `--to` (remote-queue, and remote-fetch's `--requeue`), what is known of their queues, and the choice of the next one.
///
/// A server's load is its `queue_remaining` at the last probe plus what this run has sent it
/// since; the least loaded live server wins, ties going to the one sent the fewest jobs, then to
/// the first named. Probes are repeated when older than `probeInterval`; a server that did not
/// answer is skipped and asked again after `retryDeadAfter`.
public final class ServerPool {
  public final class Server {
    public let client: ComfyClient
    public var alive: Bool?
    public var remaining = 0
    public var sentSinceProbe = 0
    public var sentTotal = 0
    public var probedAt = -Double.infinity
    public var os: ServerOS?
    /// Uploads done on this server in this run, by `sha256/name`.
    public var uploads: [String: UploadedFile] = [:]
    public var lastError: RemoteError?

    init(client: ComfyClient) { self.client = client }

    public var load: Int { remaining + sentSinceProbe }
  }

  public let servers: [Server]
  public var probeInterval = 1.0
  public var retryDeadAfter = 10.0
  let note: (String) -> Void

  public init(clients: [ComfyClient], note: @escaping (String) -> Void) {
    servers = clients.map(Server.init)
    self.note = note
  }

  /// The live server to send the next job to, or `nil` when none (outside `excluded`) answers.
  public func choose(excluding excluded: Set<Int> = []) -> Int? {
    let now = monotonicSeconds()
    for (k, server) in servers.enumerated() where !excluded.contains(k) {
      let stale = now - server.probedAt > (server.alive == false ? retryDeadAfter : probeInterval)
      if stale { probe(k) }
    }
    var best: Int?
    for (k, server) in servers.enumerated() where !excluded.contains(k) && server.alive == true {
      guard let current = best else {
        best = k
        continue
      }
      let other = servers[current]
      if (server.load, server.sentTotal) < (other.load, other.sentTotal) { best = k }
    }
    return best
  }

  /// Asks a server for its queue depth; an unreachable or nonsensical server is marked dead.
  public func probe(_ k: Int) {
    let server = servers[k]
    server.probedAt = monotonicSeconds()
    do {
      server.remaining = try server.client.queueRemaining()
      server.sentSinceProbe = 0
      if server.alive == false { note("\(server.client.server) answers again") }
      server.alive = true
    } catch {
      markDead(k, error)
    }
  }

  public func markDead(_ k: Int, _ error: RemoteError) {
    let server = servers[k]
    if server.alive != false { note("skipping \(server.client.server): \(error.message)") }
    server.alive = false
    server.lastError = error
    server.probedAt = monotonicSeconds()
  }

  public func sent(to k: Int) {
    servers[k].sentSinceProbe += 1
    servers[k].sentTotal += 1
  }

  /// The server's OS, asked once (`/system_stats`).
  public func os(of k: Int) throws(RemoteError) -> ServerOS {
    if let os = servers[k].os { return os }
    let os = try servers[k].client.serverOS()
    servers[k].os = os
    return os
  }

  /// Why the servers are unreachable, for the error record's detail.
  public var failures: JSON {
    .array(
      servers.map { server in
        ["remote": .string(server.client.server.baseURL), "error": .string(server.lastError?.message ?? "not tried")]
      })
  }
}
