import PipeHTTP
import PipeKit

/// comfy-env E3's env file `comfy-env.toml` (reference §2, `config/__init__.py`).
///
/// `python` (a string) and `[cuda] packages` are comfy-env's; the CUDA packages are looked up in
/// the cuda-wheels index as E3 does (comfy-env 0.4.46's comfy-forge.github.io/cuda-wheels/, then
/// the older pozzettiandrea.github.io/cuda-wheels/v2/ as a fallback), then in the registry. `[pypi-dependencies]` (and the
/// current platform's `[target.<platform>.pypi-dependencies]`) pass through as requirements,
/// torch-family names left out as E3 leaves them out. Conda `[dependencies]` are not wheels and
/// only get a warning. `[node_reqs]`, which older comfy-env read here and 0.4.46 lets through,
/// becomes a note naming the packs (see `ConfigContext.nodeRequirementsNote`).
struct ConfigE3 {
  static let cudaWheelsIndexes = [
    Source(.index(url: "https://comfy-forge.github.io/cuda-wheels/", version: nil), name: "cuda-wheels"),
    Source(.index(url: "https://pozzettiandrea.github.io/cuda-wheels/v2/", version: nil), name: "cuda-wheels v2"),
  ]
  static let torchFamily: Set<String> = ["torch", "torchvision", "torchaudio"]

  let root: JSONObject
  let context: ConfigContext

  func read() throws(ConfigError) -> ConfigFile {
    var file = ConfigFile(path: context.path, schema: .e3)
    try checkSections()
    var settings = EnvSettings()
    if let python = root["python"] {
      guard let text = python.stringValue else {
        let shown = if case .number(let n) = python { n } else { python.kindName }
        throw context.error("python = \(shown) must be a string; quote it: python = \"\(shown)\"", key: "python")
      }
      settings.python = text
    }

    var entries: [ConfigEntry] = []
    if let cuda = root["cuda"] {
      guard let table = cuda.objectValue else { throw context.error("[cuda] must be a table", key: "cuda") }
      for key in table.keys where key != "packages" {
        file.warnings.append("unrecognized key '\(key)' in [cuda] (known: packages)")
      }
      for text in try context.strings(table["packages"], "packages") {
        let name = (try? Requirement(text).name) ?? text
        if Self.torchFamily.contains(name) {
          throw context.error(
            "[cuda] packages must not name \(name); torch comes from the env (its pin is set workspace-wide)",
            key: "packages")
        }
        var entry = ConfigEntry(text: text, kind: .cuda, section: "[cuda] packages")
        entry.settings = settings
        entry.extraSources = Self.cudaWheelsIndexes
        entries.append(entry)
      }
    }
    if let options = root["options"]?.objectValue {
      for key in options.keys where key != "health_check_timeout" {
        file.warnings.append("unrecognized key '\(key)' in [options] (known: health_check_timeout)")
      }
    }
    entries += try pypiDependencies(root["pypi-dependencies"], section: "pypi-dependencies", file: &file)
    let platform = pixiPlatform
    if let targets = root["target"]?.objectValue {
      for (selector, table) in targets where [platform, context.platform.os, "unix"].contains(selector) {
        entries += try pypiDependencies(
          table["pypi-dependencies"], section: "target.\(selector).pypi-dependencies", file: &file)
      }
    }
    file.errors += try checkConda(root["dependencies"], section: "[dependencies]")
    if let targets = root["target"]?.objectValue {
      for (selector, table) in targets where [platform, context.platform.os, "unix"].contains(selector) {
        file.errors += try checkConda(table["dependencies"], section: "[target.\(selector).dependencies]")
      }
    }
    file.warnings += try notes()
    for k in entries.indices { entries[k].settings = settings }
    file.isolatedEnvs = [(nil, settings)]
    file.entries = entries
    return file
  }

  /// The pixi platform of the env: `linux-64`, `linux-aarch64`.
  var pixiPlatform: String {
    switch (context.platform.os, context.platform.arch) {
    case ("linux", "x86_64"): "linux-64"
    case ("linux", let arch): "linux-\(arch)"
    case ("darwin", "x86_64"): "osx-64"
    case ("darwin", _): "osx-arm64"
    default: "win-64"
    }
  }

  /// pixi's conda `[dependencies]`: the env's `python` and the torch family (pinned apart) are
  /// left out, as comfy-env leaves them out; any other package stops the config.
  func checkConda(_ value: JSON?, section: String) throws(ConfigError) -> [ConfigError] {
    guard let value else { return [] }
    guard let table = value.objectValue else { throw context.error("\(section) must be a table", key: "dependencies") }
    let skipped: Set<String> = ["python", "pytorch", "pytorch-cuda", "torch", "torchvision", "torchaudio"]
    let packages = table.keys.filter { !skipped.contains(normalizedProjectName($0)) }.sorted()
    guard !packages.isEmpty else { return [] }
    return [context.condaError(packages, section: section, key: "dependencies")]
  }

  /// What comfy-env does with the other tables at run time or on the machine, which an env
  /// build cannot do: each named, with what to do.
  func notes() throws(ConfigError) -> [String] {
    var notes: [String] = []
    if let table = root["system-requirements"]?.objectValue, !table.isEmpty {
      let said = table.keys.sorted().map { "\($0) = \(table[$0]!.serialized)" }.joined(separator: ", ")
      notes.append(
        "[system-requirements] (\(said)) are pixi's checks of this machine, which venv-make does not make: compare them with cuda-detect's env record"
      )
    }
    for section in ["env_vars", "activation"] {
      guard let table = root[section]?.objectValue, !table.isEmpty else { continue }
      let variables = section == "env_vars" ? table : table["env"]?.objectValue ?? [:]
      let said = variables.keys.sorted().map { "\($0)=\(variables[$0]!.stringValue ?? variables[$0]!.serialized)" }
      notes.append(
        "[\(section)] \(said.isEmpty ? "" : "(\(said.joined(separator: " "))) ")is for the node's worker at run time, not the env: set \(said.isEmpty ? "them" : "these") in the environment node-run starts with"
      )
    }
    return notes
  }

  /// The sections E3 refuses in an env file.
  func checkSections() throws(ConfigError) {
    if let schema = root["schema"], schema.intValue != 1 {
      throw context.error("schema = \(schema.serialized) is not supported; only schema = 1 is", key: "schema")
    }
    for denied in ["environments", "feature"] where root[denied] != nil {
      throw context.error("[\(denied)] is not allowed in a comfy-env env file; remove it", key: denied)
    }
    if let workspace = root["workspace"]?.objectValue {
      for denied in ["name", "version", "platforms"] where workspace[denied] != nil {
        throw context.error("workspace.\(denied) is set by comfy-env; remove it", key: denied)
      }
    }
    if root["serializers"] != nil {
      throw context.error(
        "[serializers] moved out of comfy-env.toml: declare custom types in the root file's [types]",
        key: "serializers")
    }
  }

  /// A pixi `[pypi-dependencies]` table as requirement strings.
  func pypiDependencies(_ value: JSON?, section: String, file: inout ConfigFile) throws(ConfigError)
    -> [ConfigEntry]
  {
    guard let value else { return [] }
    guard let table = value.objectValue else { throw context.error("[\(section)] must be a table", key: section) }
    var entries: [ConfigEntry] = []
    for (name, spec) in table {
      if Self.torchFamily.contains(normalizedProjectName(name)) {
        file.warnings.append("[\(section)] \(name) left out: torch comes from the env")
        continue
      }
      var entry = ConfigEntry(text: try requirement(name, spec, section: section), kind: .pypi, section: "[\(section)]")
      if let index = spec["index"] {
        // pixi's per-package index: the package is installed from it (and PyPI for the rest).
        let text = index.stringValue ?? ""
        let relative = URLText.scheme(of: text) == nil && !text.hasPrefix("/") && !text.isEmpty
        guard let url = index.stringValue,
          let location = try? URLText.from(userInput: relative ? context.directory + "/" + url : url),
          location.hasPrefix("http://") || location.hasPrefix("https://") || location.hasPrefix("file://")
        else {
          throw context.error("[\(section)] \(name): index must be an http(s) or file URL", key: name)
        }
        entry.index = location
      }
      entries.append(entry)
    }
    return entries
  }

  /// One pixi PyPI dependency: `"*"`, `">=4"`, `"4.1"`, or `{version, extras, git, rev, tag,
  /// branch, url, path}`.
  func requirement(_ name: String, _ spec: JSON, section: String) throws(ConfigError) -> String {
    if spec.stringValue != nil { return try context.requirement(name: name, version: spec, key: section) }
    guard let table = spec.objectValue else {
      throw context.error("[\(section)] \(name) must be a version string or a table", key: name)
    }
    let extras = try context.strings(table["extras"], "\(name).extras")
    let head = extras.isEmpty ? name : "\(name)[\(extras.joined(separator: ","))]"
    if let git = table["git"]?.stringValue {
      let rev = table["rev"]?.stringValue ?? table["tag"]?.stringValue ?? table["branch"]?.stringValue
      return "\(head) @ git+\(git)\(rev.map { "@" + $0 } ?? "")"
    }
    if let url = table["url"]?.stringValue { return "\(head) @ \(url)" }
    if let path = table["path"]?.stringValue {
      let absolute = path.hasPrefix("/") ? path : context.directory + "/" + path
      return "\(head) @ file://\(absolute)"
    }
    guard let version = table["version"] else { return head }
    let text = try context.requirement(name: name, version: version, key: section)
    return head + text.dropFirst(name.count)
  }
}
