import PipeKit

/// Queues one prompt: picks the server, uploads its files there, converts model-name
/// separators, posts it with a client-made `prompt_id`, and writes the `job` or `error` record.
///
/// A POST that got no answer may still have queued the prompt, so before any retry the server's
/// `/queue` and `/history/{id}` are asked for that `prompt_id`; a prompt is never sent twice
/// unless the first attempt surely never reached the server.
///
/// remote-fetch's `--requeue` sends a lost job again through the same code.
public final class Submitter {
  let tool: Tool
  let pool: ServerPool
  /// The `client_id` posted with every prompt.
  let clientID: String
  /// Whether job records carry the prompt and its uploads.
  let carry: Bool
  /// How often a POST that got no answer is looked up and sent again on the same server.
  let retries: Int
  var queued = 0

  public init(tool: Tool, pool: ServerPool, clientID: String, carry: Bool, retries: Int) {
    self.tool = tool
    self.pool = pool
    self.clientID = clientID
    self.carry = carry
    self.retries = retries
  }

  private func fail(_ work: Work, _ code: String, _ message: String, _ detail: JSONObject, exit: ExitCode = .failure) {
    var full = detail
    if let variant = work.variant { full["variant"] = .int(variant) }
    tool.report(
      ErrorRecord(code: code, message: message, id: work.id, detail: .object(full), exit: exit), at: work.position)
  }

  /// Queues `work` and writes its `job` record, which it also returns; `nil` when an error
  /// record was written instead. A server whose base URL is `avoiding` is chosen only when no
  /// other one answers.
  @discardableResult
  public func submit(_ work: Work, files: [LocalFile], avoiding: String? = nil) -> JobRecord? {
    let promptID = UUID4.make()
    var excluded: Set<Int> = []
    let avoided = Set(pool.servers.indices.filter { pool.servers[$0].client.server.baseURL == avoiding })
    var answeredNothing = 0
    while true {
      guard let k = pool.choose(excluding: excluded.union(avoided)) ?? pool.choose(excluding: excluded) else {
        let redirects = pool.servers.compactMap(\.lastError).filter(\.isRedirect)
        if redirects.count == pool.servers.count, let first = redirects.first {
          fail(
            work, "redirected", "no server took the prompt: \(first.message)",
            ["prompt_id": .string(promptID), "servers": pool.failures])
          return nil
        }
        fail(
          work, "unreachable", "no server answered; try again later",
          ["prompt_id": .string(promptID), "servers": pool.failures], exit: .temporaryFailure)
        return nil
      }
      let server = pool.servers[k]
      let remote = server.client.server.baseURL
      var prompt = work.prompt
      var uploads: [UploadRecord] = []
      do {
        PromptEdits.convertSeparators(in: &prompt, for: try pool.os(of: k))
        for file in files {
          let uploaded = try upload(file, to: k)
          LocalFiles.rewrite(&prompt, file, to: uploaded)
          uploads.append(file.upload(uploaded))
        }
      } catch {
        if error.isUnreachable {
          pool.markDead(k, error)
          excluded.insert(k)
          continue
        }
        var detail = error.detail
        detail["remote"] = .string(remote)
        fail(
          work, error.code(or: "upload-failed"), "preparing the prompt on \(remote) failed: \(error.message)", detail)
        return nil
      }
      let body: JSONObject = [
        "prompt": .object(prompt), "prompt_id": .string(promptID), "client_id": .string(clientID),
        "extra_data": ["comfy_pipes": tag(work)],
      ]
      do {
        let reply = try server.client.postPrompt(body)
        pool.sent(to: k)
        return emitJob(
          work, remote: remote, promptID: reply.promptID, number: reply.number, prompt: prompt, uploads: uploads,
          nodeErrors: reply.nodeErrors)
      } catch {
        if error.isRedirect {
          var detail = error.detail
          detail["remote"] = .string(remote)
          detail["prompt_id"] = .string(promptID)
          fail(work, "redirected", "\(remote) did not take the prompt: \(error.message)", detail)
          return nil
        }
        if let status = error.status {
          rejected(work, error, status: status, remote: remote, promptID: promptID)
          return nil
        }
        if error.isUnreachable && error.neverSent {
          pool.markDead(k, error)
          excluded.insert(k)
          continue
        }
        // No usable answer: the prompt may be queued. Ask before anything is sent again.
        switch lookUp(promptID, on: k) {
        case .found(let number):
          pool.sent(to: k)
          return emitJob(
            work, remote: remote, promptID: promptID, number: number, prompt: prompt, uploads: uploads, nodeErrors: [:])
        case .unknown(let checkError):
          pool.markDead(k, checkError)
          fail(
            work, "lost-answer",
            "\(remote) did not answer the POST and cannot be asked whether prompt \(promptID) was queued; it was not sent again, so it cannot run twice",
            ["remote": .string(remote), "prompt_id": .string(promptID), "error": .string(error.message)],
            exit: .temporaryFailure)
          return nil
        case .absent:
          if !error.isUnreachable {
            var detail = error.detail
            detail["remote"] = .string(remote)
            detail["prompt_id"] = .string(promptID)
            fail(work, "bad-answer", "\(remote) gave a broken answer to the POST: \(error.message)", detail)
            return nil
          }
          answeredNothing += 1
          if answeredNothing > retries {
            pool.markDead(k, error)
            excluded.insert(k)
          }
        }
      }
    }
  }

  /// The tag that goes into `extra_data`, where it survives into `/queue` and history.
  func tag(_ work: Work) -> JSON {
    var tag: JSONObject = ["tool": "remote-queue", "version": .string(pipeKitVersion)]
    if let id = work.id { tag["id"] = id }
    if let variant = work.variant { tag["variant"] = .int(variant) }
    return .object(tag)
  }

  enum Presence {
    case found(number: JSON)
    case absent
    case unknown(RemoteError)
  }

  /// Whether the server has the prompt: queued or running in `/queue`, or finished in history.
  func lookUp(_ promptID: String, on k: Int) -> Presence {
    let client = pool.servers[k].client
    do {
      let queue = try client.queue()
      if let item = queue.running(promptID) ?? queue.pending(promptID) { return .found(number: item.number) }
      if let entry = try client.history(promptID: promptID) {
        return .found(number: entry["prompt"]?.arrayValue?.first ?? .null)
      }
      return .absent
    } catch {
      return .unknown(error)
    }
  }

  /// Uploads a file unless this server already has it in its content-addressed place.
  func upload(_ file: LocalFile, to k: Int) throws(RemoteError) -> UploadedFile {
    let server = pool.servers[k]
    let key = "\(file.sha256)/\(file.name)"
    if let done = server.uploads[key] { return done }
    let uploaded: UploadedFile
    if try server.client.hasFile(name: file.name, subfolder: file.subfolder) {
      uploaded = UploadedFile(name: file.name, subfolder: file.subfolder, type: "input")
    } else {
      uploaded = try server.client.uploadImage(name: file.name, bytes: file.bytes, subfolder: file.subfolder)
      tool.diagnostics.note("uploaded \(file.source ?? file.path) to \(server.client.server) as \(uploaded.reference)")
    }
    server.uploads[key] = uploaded
    return uploaded
  }

  /// A 400 keeps the server's `error` and `node_errors`; any other status says what came back.
  func rejected(_ work: Work, _ error: RemoteError, status: Int, remote: String, promptID: String) {
    var detail: JSONObject = ["remote": .string(remote), "status": .int(status), "prompt_id": .string(promptID)]
    if status == 400, let body = error.body {
      let serverError = body["error"] ?? .null
      detail["error"] = serverError
      detail["node_errors"] = body["node_errors"] ?? .object([:])
      var message = "\(remote) rejected the prompt"
      if let text = serverError["message"]?.stringValue ?? serverError.stringValue { message += ": \(text)" }
      if let details = serverError["details"]?.stringValue, !details.isEmpty {
        message += " (\(details.split(separator: "\n").first ?? ""))"
      }
      fail(work, "rejected", message, detail)
    } else {
      if let body = error.body { detail["body"] = body }
      if let text = error.bodyText { detail["body_text"] = .string(text) }
      fail(work, "server-error", "\(remote) answered the POST with HTTP \(status): \(error.message)", detail)
    }
  }

  func emitJob(
    _ work: Work, remote: String, promptID: String, number: JSON, prompt: JSONObject, uploads: [UploadRecord],
    nodeErrors: JSONObject
  ) -> JobRecord {
    var job = JobRecord(
      id: work.id, remote: remote, promptID: promptID, clientID: clientID, number: number, variant: work.variant)
    if !nodeErrors.isEmpty {
      let nodes = nodeErrors.map { $0.key }.joined(separator: ", ")
      let message = "some outputs failed validation and will not run (nodes \(nodes))"
      job.warning = ["message": .string(message), "node_errors": .object(nodeErrors)]
      tool.diagnostics.note("warning (at \(work.position)): prompt \(promptID) on \(remote): \(message)")
    }
    if carry {
      job.prompt = prompt
      job.uploads = uploads
    }
    job.requeuedFrom = work.requeuedFrom
    tool.emit(job.record)
    queued += 1
    tool.diagnostics.progress("queued", value: queued, of: nil)
    return job
  }
}
