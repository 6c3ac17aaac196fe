import PipeKit

/// One `NODE.INPUT=JSON` override: NODE is a node id or a `_meta.title`.
public struct Override: Equatable {
  public var node: String
  public var input: String
  public var value: JSON

  /// Parses `NODE.INPUT=JSON`. The last `.` before the `=` splits NODE from INPUT, so titles may
  /// hold dots. A value that is not JSON is taken as a string.
  public init(assignment text: String) throws(UsageError) {
    guard let eq = text.firstIndex(of: "=") else { throw UsageError("'\(text)' is not NODE.INPUT=JSON") }
    let target = String(text[..<eq])
    let valueText = String(text[text.index(after: eq)...])
    try self.init(key: target, value: (try? JSON.parse(valueText)) ?? .string(valueText))
  }

  /// An override from a `set` object's member: `"NODE.INPUT": value`.
  public init(key: String, value: JSON) throws(UsageError) {
    guard let dot = key.lastIndex(of: "."), dot != key.startIndex, key.index(after: dot) != key.endIndex else {
      throw UsageError("'\(key)' is not NODE.INPUT")
    }
    node = String(key[..<dot])
    input = String(key[key.index(after: dot)...])
    self.value = value
  }
}

/// Why a workflow could not be prepared; becomes an error record for its input.
public struct WorkflowProblem: Error {
  public var code: String
  public var message: String
  public var detail: JSONObject = [:]

  public init(code: String, message: String, detail: JSONObject = [:]) {
    self.code = code
    self.message = message
    self.detail = detail
  }
}

/// Edits of an API-format prompt: `{node_id: {"class_type", "inputs", "_meta"?}}`.
public enum PromptEdits {
  /// Applies overrides in order. NODE matches a node id first, then a unique `_meta.title`.
  public static func apply(_ overrides: [Override], to prompt: inout JSONObject) throws(WorkflowProblem) {
    for override in overrides {
      let id = try nodeID(override.node, in: prompt)
      guard var node = prompt[id]?.objectValue else { continue }
      var inputs = node["inputs"]?.objectValue ?? [:]
      inputs[override.input] = override.value
      node["inputs"] = .object(inputs)
      prompt[id] = .object(node)
    }
  }

  public static func nodeID(_ name: String, in prompt: JSONObject) throws(WorkflowProblem) -> String {
    if prompt[name]?.objectValue != nil { return name }
    let titled = prompt.filter { $0.value["_meta"]?["title"]?.stringValue == name }.map { $0.key }
    guard titled.count == 1 else {
      if titled.isEmpty {
        throw WorkflowProblem(
          code: "no-such-node", message: "no node has the id or title '\(name)'", detail: ["node": .string(name)])
      }
      throw WorkflowProblem(
        code: "ambiguous-node",
        message: "\(titled.count) nodes have the title '\(name)' (\(titled.joined(separator: ", "))); use a node id",
        detail: ["node": .string(name), "ids": .array(titled.map { .string($0) })])
    }
    return titled[0]
  }

  /// The input names whose literal integer values make a variant.
  public static let seedInputs: Set<String> = ["seed", "noise_seed"]

  /// Adds `offset` to every literal `seed`/`noise_seed` input (wrapping within 64 bits, as
  /// seeds are unsigned there). Returns how many inputs changed.
  @discardableResult
  public static func shiftSeeds(by offset: Int64, in prompt: inout JSONObject) -> Int {
    var changed = 0
    for (id, value) in prompt {
      guard var node = value.objectValue, var inputs = node["inputs"]?.objectValue else { continue }
      var touched = false
      for (name, input) in inputs where seedInputs.contains(name) {
        guard case .number(let text) = input, let seed = UInt64(text) ?? Int64(text).map({ UInt64(bitPattern: $0) })
        else { continue }
        inputs[name] = .number(String(seed &+ UInt64(bitPattern: offset)))
        touched = true
        changed += 1
      }
      if touched {
        node["inputs"] = .object(inputs)
        prompt[id] = .object(node)
      }
    }
    return changed
  }

  /// Writes the path separators of model-name inputs (`ckpt_name`, `lora_name`, … any input
  /// ending in `_name` whose value holds a `/` or `\`) the way the server's OS does.
  public static func convertSeparators(in prompt: inout JSONObject, for os: ServerOS) {
    let from: Character = os == .windows ? "/" : "\\"
    for (id, value) in prompt {
      guard var node = value.objectValue, var inputs = node["inputs"]?.objectValue else { continue }
      var touched = false
      for (name, input) in inputs where name.hasSuffix("_name") {
        guard case .string(let text) = input, text.contains(from), !text.contains("://") else { continue }
        inputs[name] = .string(String(text.map { $0 == from ? os.separator : $0 }))
        touched = true
      }
      if touched {
        node["inputs"] = .object(inputs)
        prompt[id] = .object(node)
      }
    }
  }

  /// Removes `is_changed` from every node: prompts read back from PNG metadata carry it, and the
  /// server would trust a stale value (comfyui-api.md §3.5).
  public static func stripIsChanged(_ prompt: inout JSONObject) {
    for (id, value) in prompt {
      guard var node = value.objectValue, node["is_changed"] != nil else { continue }
      node["is_changed"] = nil
      prompt[id] = .object(node)
    }
  }

  /// Checks that `value` is an API-format prompt; a UI-format workflow is refused with the way out.
  public static func prompt(from value: JSON) throws(WorkflowProblem) -> JSONObject {
    guard let object = value.objectValue else {
      throw WorkflowProblem(code: "bad-workflow", message: "the prompt is \(value.kindName), not an object")
    }
    if isUIFormat(object) {
      throw WorkflowProblem(
        code: "ui-workflow",
        message:
          "this is a UI-format workflow (it has \"nodes\" and \"links\"); export it from ComfyUI with \"Save (API)\" and queue that file"
      )
    }
    guard !object.isEmpty else { throw WorkflowProblem(code: "bad-workflow", message: "the prompt has no nodes") }
    for (id, node) in object where node.objectValue == nil {
      throw WorkflowProblem(
        code: "bad-workflow", message: "node '\(id)' is \(node.kindName), not an object with class_type and inputs",
        detail: ["node": .string(id)])
    }
    return object
  }

  /// A UI-format workflow: `nodes` and `links` arrays at the top.
  public static func isUIFormat(_ object: JSONObject) -> Bool {
    object["nodes"]?.arrayValue != nil && (object["links"]?.arrayValue != nil || object["last_node_id"] != nil)
  }

  /// Whether a record without a type looks like a bare API prompt: every value an object with a
  /// `class_type`.
  public static func looksLikePrompt(_ object: JSONObject) -> Bool {
    !object.isEmpty && object.allSatisfy { $0.value["class_type"] != nil }
  }
}
