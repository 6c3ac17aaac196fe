import PipeKit

/// One call, checked and ready for a worker: the request frame, the record it answers, and the
/// input segments to release once the call is over (the worker unlinks what it maps; a call that
/// fails before that must not leave them behind).
struct CallRequest: Sendable {
  var id: JSON?
  var line: Int
  var frame: [UInt8]
  /// Every tensor record of the call's arguments (the `--arg`s' included), parsed once.
  var tensors: [TensorRecord]
  var inputs: [TensorStorage]
  /// The node or function, for progress and notes.
  var label: String

  /// A `call` record: `id`, optional `node`/`function` (else the command line's), `method`,
  /// `args` (an object of keyword arguments or an array of positional ones).
  init(call record: JSONObject, line: Int, options: RunOptions) throws(ErrorRecord) {
    let id = record["id"]
    var found = ParsedTensors(in: record["args"] ?? .null)
    let inputs = found.storages
    func bad(_ message: String, code: String = "bad-call") -> ErrorRecord {
      for storage in inputs { SharedMemory.release(storage) }
      return ErrorRecord(code: code, message: message, id: id, detail: ["line": .int(line)])
    }
    var target = options.target
    for (key, make) in [("node", RunOptions.Target.node), ("function", RunOptions.Target.function)] {
      guard let value = record[key] else { continue }
      guard let text = value.stringValue, (try? RunOptions.checkTarget(text, key)) != nil else {
        throw bad("call record: \"\(key)\" must be a string MODULE:NAME")
      }
      target = make(text)
    }
    guard let target else {
      throw bad("call record names no node or function; give --node, --call, or \"node\" in the record")
    }
    var method: String? = nil
    if case .node = target { method = options.method }
    if let value = record["method"] {
      guard let text = value.stringValue, !text.isEmpty else { throw bad("call record: \"method\" must be a string") }
      guard case .node = target else { throw bad("call record: \"method\" goes with a node, not a function") }
      method = text
    }
    var args = record["args"] ?? .object([:])
    switch args {
    case .object(var object):
      var added: JSONObject = [:]
      for (key, value) in options.constants where object[key] == nil {
        object[key] = value
        added[key] = value
      }
      found.append(ParsedTensors(in: .object(added)))
      args = .object(object)
    case .array: break
    case .null:
      found.append(ParsedTensors(in: .object(options.constants)))
      args = .object(options.constants)
    default: throw bad("call record: \"args\" must be an object (keyword arguments) or an array, not \(args.kindName)")
    }
    if let (path, error) = found.firstBad {
      let place = path.isEmpty ? "args" : "args." + path.joined(separator: ".")
      throw bad("tensor at \(place): \(error.message)", code: "bad-tensor")
    }
    self.init(
      id: id, line: line, target: target, method: method, args: args, tensors: found.tensors.map(\.tensor),
      inputs: inputs)
  }

  /// A `tensor` record with `--input NAME`: a call with that one argument plus the `--arg`s.
  init(tensor record: JSONObject, line: Int, options: RunOptions) throws(ErrorRecord) {
    let name = options.inputName ?? "input"
    var call: JSONObject = ["type": "call"]
    if let id = record["id"] { call["id"] = id }
    var args = options.constants
    args[name] = .object(record)
    call["args"] = .object(args)
    try self.init(call: call, line: line, options: options)
  }

  private init(
    id: JSON?, line: Int, target: RunOptions.Target, method: String?, args: JSON, tensors: [TensorRecord],
    inputs: [TensorStorage]
  ) {
    var request: JSONObject = [:]
    switch target {
    case .node(let spec):
      request["node"] = .string(spec)
      label = spec
    case .function(let spec):
      request["function"] = .string(spec)
      label = spec
    }
    if let method { request["method"] = .string(method) }
    request["args"] = args
    self.id = id
    self.line = line
    self.frame = Frame.encode(.object(request))
    self.tensors = tensors
    self.inputs = inputs
  }

  /// Releases the input segments the worker did not (it unlinks what it maps; this is a no-op then).
  func releaseInputs() {
    for storage in inputs { SharedMemory.release(storage) }
  }
}
