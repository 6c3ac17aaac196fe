import PipeKit

/// One package asked for: from an argument, a `package` record or a config file.
public struct Request: Sendable {
  var requirement: Requirement
  /// The requirement as written, for `requirement` records and messages.
  var text: String
  /// The `id` of the `package` record it came from.
  var id: JSON?
  /// The named env of an E1 full-form config (`[myenv.cuda]`), copied into the answer.
  var envName: String?
  /// The config's `python`, `cuda` and `torch` for this request.
  public var settings = EnvSettings()
  /// Sources tried after the user's and before the registry's (E3's cuda-wheels index).
  var extraSources: [Source] = []
  /// Always answered with a `requirement` record (`[pypi-dependencies]`, `requirements`).
  var passThrough = false
  /// The index a pass-through requirement is installed from (pixi's per-package `index =`, the
  /// PyTorch index of a torch pin), copied into its `requirement` record.
  var index: String?
  /// Only constrains the env (`constraint: true` in its record): installed when something
  /// else asks for it, at this version.
  var constraintOnly = false
  /// Where it was asked: `argument`, `<stdin>:3`, `comfy-env.toml [cuda]`.
  var origin: String

  public init(_ text: String, origin: String, id: JSON? = nil) throws(PEP440Error) {
    self.requirement = try Requirement(text)
    self.text = text.trimmingASCIIWhitespace()
    self.id = id
    self.origin = origin
  }

  /// A bare VCS URL (`git+https://host/owner/repo.git@commit`), as pip and uv install it: a
  /// direct reference always passed through as written. Its name is the repository's, for
  /// messages only. `nil` when `text` is not such a URL.
  init?(bareVCS text: String, origin: String) {
    let spec = text.trimmingASCIIWhitespace()
    guard let plus = spec.firstIndex(of: "+"), ["git", "hg", "svn", "bzr"].contains(spec[..<plus]),
      RequirementSpec.problem(spec) == nil
    else { return nil }
    let path = spec.split(separator: "#").first.map(String.init) ?? spec
    var last = path.split(separator: "/").last.map(String.init) ?? ""
    if let at = last.firstIndex(of: "@") { last = String(last[..<at]) }
    if last.hasSuffix(".git") { last = String(last.dropLast(4)) }
    let name = isValidProjectName(last) ? last : "direct-reference"
    guard let requirement = try? Requirement("\(name) @ \(spec)") else { return nil }
    self.requirement = requirement
    self.text = spec
    self.origin = origin
    passThrough = true
  }

  /// The request's exact version when it pins one with `==` (no wildcard), else `nil`.
  var exactVersion: String? {
    let specifiers = requirement.specifiers.specifiers
    guard specifiers.count == 1, specifiers[0].op == .equal || specifiers[0].op == .arbitrary,
      !specifiers[0].isWildcard
    else { return nil }
    return specifiers[0].versionText
  }

  /// A record answering this request: `id`, `env` and the config's `python` added when there
  /// are any.
  func answer(_ record: JSONObject) -> JSONObject {
    var out = record
    if let envName { out["env"] = .string(envName) }
    if let python = settings.python, python.lowercased() != "auto" {
      out["python"] = .string(WheelEnv.majorMinor(python))
    }
    if let id { out["id"] = id }
    return out
  }

  /// The `requirement` record passing this request through to the installer.
  func requirementRecord(spec: String? = nil) -> JSONObject {
    var record: JSONObject = ["type": "requirement", "spec": .string(spec ?? text)]
    if let index { record["index"] = .string(index) }
    if constraintOnly { record["constraint"] = true }
    return answer(record)
  }
}
