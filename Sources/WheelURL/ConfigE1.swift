import PipeHTTP
import PipeKit

/// comfy-env E1's `comfy-env.toml` (and the earlier `comfyui_env.toml`), simple and full form
/// (reference §2, `env/config_file.py`).
///
/// Simple form: `[env]` python/cuda/pytorch for the one env; `[packages]` with `requirements`
/// (passed through), `no_deps` (CUDA packages) and `requirements_file`, or `pkg = "ver"` lines
/// (all CUDA packages); `[cuda]` with `pkg = "ver"` or `cuda = [...]`; `[sources]`
/// `wheel_sources` (find-links) and `index_urls` (indexes); `[variables]` for the requirement
/// strings. Full form adds `[local.cuda]` / `[local.packages]` for the host and named envs
/// `[myenv]` with their own python, cuda_version, pytorch_version, `.cuda` and `.packages`.
struct ConfigE1 {
  static let reserved: Set<String> = [
    "local", "node_reqs", "node_packs", "env", "packages", "sources", "cuda", "variables", "worker", "tools", "system",
  ]
  static let envKeys = ["python", "cuda", "pytorch", "cuda_version", "pytorch_version"]

  let root: JSONObject
  let context: ConfigContext

  func read() throws(ConfigError) -> ConfigFile {
    var file = ConfigFile(path: context.path, schema: .e1)
    let variables = try self.variables()
    file.sources = try sources()
    let named = root.filter { key, value in
      !Self.reserved.contains(key) && value.objectValue.map { t in Self.envKeys.contains { t[$0] != nil } } == true
    }
    let envTable = root["env"]?.objectValue ?? [:]
    var settings = try envSettings(envTable, table: "env", pytorchKeys: ["pytorch", "pytorch_version"])
    // An isolated env ([env] with name or python) with no pytorch is comfy-env's "auto".
    if settings.torch == nil, envTable["name"] != nil || envTable["python"] != nil { settings.torch = "auto" }

    var entries: [ConfigEntry] = []
    entries += try packages(root["packages"], section: "packages", settings: settings)
    entries += try cuda(root["cuda"], section: "cuda", settings: settings)
    // An isolated main env is comfy-env's venv, with torch in it; without [env] name or python
    // comfy-env installs [packages] into the host (the hook builds PACK/_env all the same).
    if envTable["name"] != nil || envTable["python"] != nil { file.isolatedEnvs.append((nil, settings)) }
    if let local = root["local"]?.objectValue {
      // The host's own environment: `env: "local"` in the records (no env table may be called
      // that), installed in place, its torch left alone.
      var localEntries = try cuda(local["cuda"], section: "local.cuda", settings: EnvSettings())
      localEntries += try packages(
        local["packages"], section: "local.packages", settings: EnvSettings(), allCUDA: false)
      for k in localEntries.indices { localEntries[k].envName = "local" }
      entries += localEntries
    }
    for (name, value) in named {
      let table = value.objectValue ?? [:]
      var envSettings = try self.envSettings(table, table: name, pytorchKeys: ["pytorch_version", "pytorch"])
      if envSettings.python == nil { envSettings.python = settings.python }
      if envSettings.torch == nil { envSettings.torch = "auto" }
      var envEntries = try cuda(table["cuda"], section: "\(name).cuda", settings: envSettings)
      envEntries += try packages(table["packages"], section: "\(name).packages", settings: envSettings, allCUDA: false)
      if let conda = table["conda"] {
        let packages = try context.strings(conda["packages"], "\(name).conda.packages")
        if !packages.isEmpty {
          file.errors.append(context.condaError(packages, section: "[\(name).conda] packages", key: "conda"))
        }
      }
      for k in envEntries.indices { envEntries[k].envName = name }
      file.isolatedEnvs.append((name, envSettings))
      entries += envEntries
    }
    for k in entries.indices { entries[k].variables = variables }
    file.entries = entries
    return file
  }

  /// `[env]` or a named env's `python`, `cuda`/`cuda_version` and pytorch version.
  func envSettings(_ table: JSONObject, table name: String, pytorchKeys: [String]) throws(ConfigError) -> EnvSettings {
    func text(_ keys: [String]) throws(ConfigError) -> String? {
      for key in keys {
        guard let value = table[key], !value.isNull else { continue }
        switch value {
        case .string(let s): return s
        case .number(let n): return n
        case .object: continue  // `[myenv.cuda]`, the env's packages
        default: throw context.error("[\(name)] \(key) must be a string such as \"3.11\"", key: key)
        }
      }
      return nil
    }
    return EnvSettings(
      python: try text(["python"]), cuda: try text(["cuda", "cuda_version"]), torch: try text(pytorchKeys))
  }

  /// `[packages]`: `requirements` pass through, `no_deps` are CUDA packages, `requirements_file`
  /// is read; a table of `pkg = "ver"` lines (simple form) or a plain list are CUDA packages in
  /// the simple form and requirements in a named env.
  func packages(_ value: JSON?, section: String, settings: EnvSettings, allCUDA: Bool = true) throws(ConfigError)
    -> [ConfigEntry]
  {
    guard let value, !value.isNull else { return [] }
    let plainKind: ConfigEntry.Kind = allCUDA ? .cuda : .pypi
    func entry(_ text: String, _ kind: ConfigEntry.Kind, _ where: String) -> ConfigEntry {
      var e = ConfigEntry(text: text, kind: kind, section: "[\(section)]\(`where`.isEmpty ? "" : " " + `where`)")
      e.settings = settings
      return e
    }
    if value.arrayValue != nil {
      return try context.strings(value, section).map { entry($0, plainKind, "") }
    }
    guard let table = value.objectValue else {
      throw context.error("[\(section)] must be a table or a list", key: section)
    }
    let structured = ["requirements", "no_deps", "requirements_file"].contains { table[$0] != nil }
    var entries: [ConfigEntry] = []
    if structured || !allCUDA {
      entries += try context.strings(table["requirements"], "requirements").map { entry($0, .pypi, "requirements") }
      entries += try context.strings(table["no_deps"], "no_deps").map { entry($0, .cuda, "no_deps") }
      for file in try context.strings(table["requirements_file"], "requirements_file") {
        entries += try requirementsFile(file).map { entry($0, .pypi, file) }
      }
      let platformKey = ["linux": "linux", "darwin": "darwin", "windows": "windows"][context.platform.os] ?? "linux"
      if let platformTable = table[platformKey] {
        entries += try packages(platformTable, section: "\(section).\(platformKey)", settings: settings, allCUDA: false)
      }
      return entries
    }
    for (name, version) in table {
      entries.append(entry(try context.requirement(name: name, version: version, key: section), .cuda, ""))
    }
    return entries
  }

  /// `[cuda]`: `pkg = "ver"` lines, and `cuda = ["pkg==ver", …]`.
  func cuda(_ value: JSON?, section: String, settings: EnvSettings) throws(ConfigError) -> [ConfigEntry] {
    guard let value, !value.isNull else { return [] }
    var texts: [String] = []
    if value.arrayValue != nil {
      texts = try context.strings(value, section)
    } else if let table = value.objectValue {
      for (name, version) in table {
        if name == "cuda" {
          texts += try context.strings(version, "\(section).cuda")
        } else {
          texts.append(try context.requirement(name: name, version: version, key: section))
        }
      }
    } else {
      throw context.error("[\(section)] must be a table of pkg = \"version\" lines", key: section)
    }
    return texts.map {
      var e = ConfigEntry(text: $0, kind: .cuda, section: "[\(section)]")
      e.settings = settings
      return e
    }
  }

  /// `[sources]`: `wheel_sources` as find-links pages, `index_urls` as indexes.
  func sources() throws(ConfigError) -> [Source] {
    guard let table = root["sources"]?.objectValue else { return [] }
    var sources: [Source] = []
    for url in try context.strings(table["wheel_sources"], "wheel_sources") {
      sources.append(Source(.findLinks(url: try location(url)), name: "config:wheel_sources"))
    }
    for url in try context.strings(table["index_urls"], "index_urls") {
      sources.append(Source(.index(url: try location(url), version: nil), name: "config:index_urls"))
    }
    return sources
  }

  /// A source location in the file: a URL, or a path relative to the file's directory.
  func location(_ text: String) throws(ConfigError) -> String {
    var input = text
    if URLText.scheme(of: text) == nil && !text.hasPrefix("/") {
      let first = text.split(separator: "/").first ?? ""
      let hostLike = first.contains(".") && first != "." && first != ".."
      if !hostLike { input = context.directory + "/" + text }
    }
    do {
      return try URLText.from(userInput: input)
    } catch {
      throw context.error("source \(error.description)", key: "sources")
    }
  }

  /// `[variables]`: names and string values for the requirement strings.
  func variables() throws(ConfigError) -> [String: String] {
    guard let table = root["variables"]?.objectValue else { return [:] }
    var result: [String: String] = [:]
    for (key, value) in table {
      guard let text = value.stringValue ?? (value.intValue.map(String.init)) else {
        throw context.error("[variables] \(key) must be a string", key: key)
      }
      result[key] = text
    }
    return result
  }

  /// The requirement lines of a requirements file next to the config: comments, blank lines
  /// and pip options (`-r`, `--index-url`, …) left out.
  func requirementsFile(_ name: String) throws(ConfigError) -> [String] {
    let path = name.hasPrefix("/") ? name : context.directory + "/" + name
    guard let text = readTextFileIfPresent(path) else {
      throw context.error("cannot read requirements_file \(path)", key: "requirements_file")
    }
    return text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).compactMap { line in
      let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let trimmed = String(content).trimmingASCIIWhitespace()
      return trimmed.isEmpty || trimmed.hasPrefix("-") ? nil : trimmed
    }
  }
}
