import PipeHTTP
import PipeKit

/// A request read from a config file, kept as text until the env is known, because E1 configs
/// may use template variables in their requirement strings.
public struct ConfigEntry: Sendable {
  enum Kind: Sendable, Equatable {
    /// A CUDA package: resolved to a wheel (E1 `[cuda]`, `no_deps`; E3 `[cuda] packages`).
    case cuda
    /// A plain requirement, passed through (E1 `requirements`; E3 `[pypi-dependencies]`).
    case pypi
  }

  var text: String
  var kind: Kind
  /// Where in the file: `[cuda]`, `[myenv.packages] requirements`.
  var section: String
  var envName: String?
  var settings = EnvSettings()
  var extraSources: [Source] = []
  /// A config's `[variables]`.
  var variables: [String: String] = [:]
  /// The index a `.pypi` entry is installed from (pixi's `index =`).
  var index: String?
  /// A torch pin's torchvision and torchaudio: constraints, not requirements.
  var constraintOnly = false

  /// The request, with template variables in the text expanded for `env`.
  public func request(file: String, env: WheelEnv?) throws(ErrorRecord) -> Request {
    var text = self.text
    if text.contains("{") {
      guard let env else {
        throw ErrorRecord(
          code: "no-env", message: "\(file) \(section): '\(text)' uses variables; pipe cuda-detect in or pass --env")
      }
      do {
        let adjusted = try env.adjusted(settings)
        text = try TemplateVariables(env: adjusted, user: variables).expand(text)
      } catch let error as TemplateError {
        let code = error.kind == .unknown ? "unknown-placeholder" : "bad-config"
        throw ErrorRecord(code: code, message: "\(file) \(section): \(error.description)")
      } catch {
        throw ErrorRecord(code: "bad-env", message: "\(file) \(section): \(error)")
      }
    }
    var request: Request
    do {
      if let vcs = Request(bareVCS: text, origin: "\(file) \(section)") {
        request = vcs
      } else {
        request = try Request(text, origin: "\(file) \(section)")
      }
    } catch {
      throw ErrorRecord(code: "bad-config", message: "\(file) \(section): \(error.message); fix the requirement")
    }
    request.envName = envName
    request.settings = settings
    request.extraSources = extraSources
    request.passThrough = kind == .pypi
    request.index = index
    request.constraintOnly = constraintOnly
    return request
  }
}

/// A config file read: its requests, the sources it adds for every request, and warnings.
public struct ConfigFile: Sendable {
  enum Schema: String, Sendable {
    /// comfy-env v0.0.x (`[env]`, `[packages]`, `[cuda]`, `[sources]`; also comfyui_env.toml).
    case e1 = "E1"
    /// comfy-env v0.4.x (`python`, `[cuda] packages`, pixi tables).
    case e3 = "E3"
    /// comfy-env v0.4.x's pack-level `comfy-env-root.toml` (`[node_reqs]`, `[settings]`,
    /// `[types]`): no requests, only notes.
    case root = "root"
  }

  public var path: String
  var schema: Schema
  public var entries: [ConfigEntry] = []
  public var sources: [Source] = []
  public var warnings: [String] = []
  /// The envs the entries go to that are isolated (built), by name (`nil`: the config's main
  /// env), with their settings; `[local.*]` (the host) is not one. Each gets the torch pin.
  var isolatedEnvs: [(name: String?, settings: EnvSettings)] = []
  /// What the file asks for that cannot be built (conda packages): each an error record,
  /// reported beside the answers, so that nothing is built from the file.
  public var errors: [ConfigError] = []

  /// Reads and parses a config file.
  /// - Throws: an `ErrorRecord`: `no-input` (exit 66) for a file that cannot be read,
  ///   `bad-config` for one that is not valid TOML (with its line and column) or not a config
  ///   wheel-url understands.
  public static func load(_ path: String, platform: (os: String, arch: String)) throws(ErrorRecord) -> ConfigFile {
    guard let bytes = readFileIfPresent(path, limit: 4 << 20) else {
      throw ErrorRecord(
        code: "no-input", message: "cannot read config file \(path); check the path", detail: ["file": .string(path)],
        exit: .noInput)
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw ErrorRecord(code: "bad-config", message: "\(path) is not UTF-8 text", detail: ["file": .string(path)])
    }
    return try parse(text, path: path, platform: platform)
  }

  static func parse(_ text: String, path: String, platform: (os: String, arch: String)) throws(ErrorRecord)
    -> ConfigFile
  {
    let document: JSON
    do {
      document = try TOML.parse(text)
    } catch {
      throw ErrorRecord(
        code: "bad-config", message: "\(path):\(error.line):\(error.column): \(error.message); fix the TOML",
        detail: ["file": .string(path), "line": .int(error.line), "column": .int(error.column)])
    }
    let root = document.objectValue ?? [:]
    let context = ConfigContext(path: path, text: text, platform: platform)
    do {
      var file: ConfigFile
      switch try schema(of: root, context: context) {
      case .e1: file = try ConfigE1(root: root, context: context).read()
      case .e3: file = try ConfigE3(root: root, context: context).read()
      case .root: file = try readRoot(root, context: context)
      }
      // comfy-env 0.4.25 renamed [node_reqs] to [node_packs]; either names the packs to install.
      for key in ["node_reqs", "node_packs"] { file.warnings += try context.nodeRequirementsNote(root[key], key: key) }
      file.warnings += try context.systemPackagesNote(root["system"])
      file.warnings += try context.aptNote(root["apt"])
      file.warnings += context.toolsNote(root["tools"])
      return file
    } catch {
      throw error.record
    }
  }

  /// Which era a document belongs to. E3's markers win: top-level `schema` or `python`, a
  /// `[cuda] packages` list, or pixi's tables.
  static func schema(of root: JSONObject, context: ConfigContext) throws(ConfigError) -> Schema {
    if context.path.split(separator: "/").last == "comfy-env-root.toml" { return .root }
    if root["settings"] != nil || root["types"] != nil {
      throw context.error(
        "this is a comfy-env-root.toml, which carries [node_reqs] and [settings] only; give wheel-url the env file (nodes/comfy-env.toml)",
        key: "settings")
    }
    let e3Tables = [
      "pypi-dependencies", "dependencies", "env_vars", "options", "target", "pypi-options", "system-requirements",
      "activation", "workspace", "environments", "feature", "serializers",
    ]
    if root["schema"] != nil || root["python"].map({ $0.objectValue == nil }) == true
      || e3Tables.contains(where: { root[$0] != nil }) || root["cuda"]?["packages"] != nil
    {
      return .e3
    }
    return .e1
  }
}

extension ConfigFile {
  /// A `comfy-env-root.toml`: its closed schema checked; `[node_reqs]` becomes a note (by the
  /// caller), `[settings]` are comfy-env's runtime switches and `[types]` its serializers.
  static func readRoot(_ root: JSONObject, context: ConfigContext) throws(ConfigError) -> ConfigFile {
    for key in root.keys where !["node_reqs", "node_packs", "settings", "types"].contains(key) {
      throw context.error(
        "a comfy-env-root.toml carries [node_packs] (or [node_reqs]), [settings] and [types] only, not [\(key)]; move it to nodes/comfy-env.toml",
        key: key)
    }
    return ConfigFile(path: context.path, schema: .root)
  }
}

/// A config that parses as TOML but says something wheel-url cannot use.
public struct ConfigError: Error, Sendable {
  var path: String
  public var message: String
  var line: Int?

  public var record: ErrorRecord {
    var detail: JSONObject = ["file": .string(path)]
    if let line { detail["line"] = .int(line) }
    return ErrorRecord(
      code: "bad-config", message: "\(path)\(line.map { ":\($0)" } ?? ""): \(message)", detail: .object(detail))
  }
}

/// What the readers of both schemas share: the file, its text for positions, and the platform.
struct ConfigContext: Sendable {
  var path: String
  var text: String
  var platform: (os: String, arch: String)

  /// The directory the file is in, for relative paths in it.
  var directory: String {
    let absolute = URLText.absolutePath(path)
    return String(absolute[..<(absolute.lastIndex(of: "/") ?? absolute.startIndex)])
  }

  /// An error at the line where `key` is assigned (or its table starts), when it can be found.
  func error(_ message: String, key: String? = nil) -> ConfigError {
    ConfigError(path: path, message: message, line: key.flatMap(line(of:)))
  }

  /// The first line that assigns `key` or opens a table named or ending in it.
  func line(of key: String) -> Int? {
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      let assigns =
        trimmed.hasPrefix(key) && trimmed.dropFirst(key.count).drop { $0 == " " || $0 == "\t" }.first == "="
      let opens = trimmed.hasPrefix("[") && (trimmed.contains("[\(key)]") || trimmed.contains(".\(key)]"))
      if assigns || opens { return number + 1 }
    }
    return nil
  }

  /// The strings of a value that may be a string or an array of strings.
  func strings(_ value: JSON?, _ key: String) throws(ConfigError) -> [String] {
    switch value {
    case nil, .null?: return []
    case .string(let s)?: return [s]
    case .array(let items)?:
      var out: [String] = []
      for item in items {
        guard let s = item.stringValue else {
          throw error("\(key) must list strings, found \(item.kindName)", key: key)
        }
        out.append(s)
      }
      return out
    case let other?: throw error("\(key) must be a string or a list of strings, found \(other.kindName)", key: key)
    }
  }

  /// `pkg = "ver"` / `"*"` / `">=1"` as a requirement: `pkg==ver`, `pkg`, `pkg>=1`.
  func requirement(name: String, version: JSON, key: String) throws(ConfigError) -> String {
    guard let text = version.stringValue?.trimmingASCIIWhitespace() else {
      throw error("\(key).\(name) must be a version string such as \"0.4.0\" or \"*\"", key: name)
    }
    if text.isEmpty || text == "*" { return name }
    if let first = text.first, first.isNumber { return "\(name)==\(text)" }
    return name + text
  }
}

extension ConfigContext {
  /// `[node_reqs]`: other custom node packs this pack needs (`Name = "owner/repo"` or a table
  /// with `github`/`repo`/`registry` and `tag`/`branch`/`commit`/`version`). wheel-url installs
  /// no node packs, so the note names them and says where they go.
  func nodeRequirementsNote(_ value: JSON?, key section: String = "node_reqs") throws(ConfigError) -> [String] {
    guard let value else { return [] }
    guard let table = value.objectValue else { throw error("[\(section)] must be a table", key: section) }
    guard !table.isEmpty else { return [] }
    var packs: [String] = []
    for (name, spec) in table {
      if let repo = spec.stringValue {
        packs.append("\(name) (github.com/\(repo))")
      } else if let fields = spec.objectValue {
        let ref = ["tag", "branch", "commit", "version"].compactMap { key in
          fields[key]?.stringValue.map { "\(key) \($0)" }
        }
        let suffix = ref.isEmpty ? "" : " " + ref.joined(separator: " ")
        if let repo = fields["github"]?.stringValue ?? fields["repo"]?.stringValue {
          packs.append("\(name) (github.com/\(repo)\(suffix))")
        } else if let id = fields["registry"]?.stringValue {
          packs.append("\(name) (registry.comfy.org \(id)\(suffix))")
        } else {
          packs.append(name)
        }
      } else {
        throw error(
          "[\(section)] \(name) must be \"owner/repo\" or a table such as {github = \"owner/repo\"}", key: name)
      }
    }
    return [
      "[\(section)] names custom node packs this pack needs, which wheel-url does not install: "
        + packs.joined(separator: ", ") + "; install them into ComfyUI's custom_nodes"
    ]
  }

  /// `[system]`: the OS packages the env needs, per platform (`linux = ["libgl1"]`). wheel-url
  /// installs none; the note gives the command for this platform's list.
  func systemPackagesNote(_ value: JSON?) throws(ConfigError) -> [String] {
    guard let value else { return [] }
    guard let table = value.objectValue else { throw error("[system] must be a table", key: "system") }
    let key = platform.os == "darwin" ? "darwin" : platform.os == "windows" ? "windows" : "linux"
    let packages = try strings(table[key], "system.\(key)")
    guard !packages.isEmpty else { return [] }
    let list = packages.joined(separator: " ")
    if key == "linux" {
      return ["[system] linux needs Debian packages that wheel-url does not install: sudo apt-get install -y \(list)"]
    }
    return ["[system] \(key) needs system packages that wheel-url does not install: \(list)"]
  }

  /// Conda packages (E3 `[dependencies]`, E1 `[env.conda] packages`), which need pixi or conda:
  /// venv-make builds with uv or pip, so the config stops here with what to do instead.
  func condaError(_ packages: [String], section: String, key: String) -> ConfigError {
    error(
      "\(section) are conda packages (\(packages.joined(separator: ", "))), and comfy-pipes builds envs with uv or pip, not conda: list their PyPI names under [pypi-dependencies] (E1: [packages] requirements) instead, or build this env with comfy-env",
      key: key)
  }

  /// `[apt]` (`packages = [...]`): Debian packages, as `[system] linux`.
  func aptNote(_ value: JSON?) throws(ConfigError) -> [String] {
    guard let value else { return [] }
    let packages =
      value.arrayValue != nil ? try strings(value, "apt") : try strings(value.objectValue?["packages"], "apt.packages")
    guard !packages.isEmpty, platform.os == "linux" else { return [] }
    return [
      "[apt] needs Debian packages that wheel-url does not install: sudo apt-get install -y "
        + packages.joined(separator: " ")
    ]
  }

  /// `[tools]` (`blender = "4.2"` or `{version, install_dir}`): programs comfy-env E1 downloads.
  func toolsNote(_ value: JSON?) -> [String] {
    guard let table = value?.objectValue, !table.isEmpty else { return [] }
    let tools = table.keys.sorted().map { name in
      let version = table[name]?.stringValue ?? table[name]?["version"]?.stringValue
      return version.map { "\(name) \($0)" } ?? name
    }
    return [
      "[tools] names programs that wheel-url does not install: \(tools.joined(separator: ", ")); install them yourself and put them on PATH"
    ]
  }
}
