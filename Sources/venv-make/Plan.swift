import PipeKit

/// What an env is to hold. Its canonical text (keys sorted, requirements sorted, wheels sorted
/// by URL) is hashed into the fingerprint stored in the env: the same plan, the same env.
struct Plan: Sendable, Equatable {
  struct Wheel: Sendable, Equatable {
    var name: String
    var version: String?
    var url: String
    var sha256: String?
  }

  /// `X.Y`, or `nil` for the installer's default interpreter.
  var python: String?
  var requirements: [String] = []
  /// Indexes the requirements are also installed from (a torch pin's PyTorch index, pixi's
  /// per-package `index =`): an http(s) index as an extra index, a local directory as find-links.
  var indexes: [String] = []
  /// Requirement specs that only constrain what the requirements pull in.
  var constraints: [String] = []
  var wheels: [Wheel] = []
  var installer: InstallerKind = .uv
  /// Installed into an existing environment (`--into`) rather than built.
  var inPlace = false

  /// The plan as one JSON object with its keys in sorted order.
  var canonical: JSON {
    let wheels = self.wheels.sorted { ($0.url, $0.sha256 ?? "") < ($1.url, $1.sha256 ?? "") }.map { wheel in
      JSON.object(["sha256": wheel.sha256.map(JSON.string) ?? .null, "url": .string(wheel.url)])
    }
    // `constraints` and `indexes` only when there are any, so that the plans (and fingerprints)
    // of earlier envs stay as they were.
    var object: JSONObject = [:]
    if !constraints.isEmpty { object["constraints"] = .array(Set(constraints).sorted().map(JSON.string)) }
    if !indexes.isEmpty { object["indexes"] = .array(Set(indexes).sorted().map(JSON.string)) }
    object["installer"] = .string(installer.rawValue)
    object["mode"] = .string(inPlace ? "into" : "venv")
    object["python"] = python.map(JSON.string) ?? .null
    object["requirements"] = .array(Set(requirements).sorted().map(JSON.string))
    object["schema"] = 1
    object["wheels"] = .array(wheels)
    return .object(object)
  }

  var fingerprint: String { "sha256:" + SHA256.hex(Array(canonical.serialized.utf8)) }

  /// The project names the plan installs, normalised (PEP 503).
  var projectNames: [String] {
    let names = wheels.map(\.name) + requirements.compactMap(Self.projectName(of:))
    return Array(Set(names.map(Self.normalized))).sorted()
  }

  /// The name at the start of a requirement (`numpy` of `numpy[extra]>=1; python_version>"3"`).
  static func projectName(of requirement: String) -> String? {
    let name = requirement.trimmingASCIIWhitespace().prefix { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    return name.isEmpty ? nil : String(name)
  }

  /// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` as one `-`.
  static func normalized(_ name: String) -> String {
    var out = ""
    for c in name.lowercased() {
      if "-_.".contains(c) {
        if out.last != "-" { out.append("-") }
      } else {
        out.append(c)
      }
    }
    return out
  }
}

extension String {
  func trimmingASCIIWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
  }
}

extension String {
  func replacingTabs() -> String { String(map { $0 == "\t" ? " " : $0 }) }
}
