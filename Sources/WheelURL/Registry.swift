import PipeKit

/// The built-in registry: known CUDA packages and their sources, from `registry.json`, which is
/// compiled into the binary.
public struct Registry: Sendable {
  /// Sources by PEP 503 normalised project name, in the order they are tried.
  var packages: [String: [Source]]

  init(packages: [String: [Source]]) { self.packages = packages }
  /// No packages: what `--no-registry` leaves.
  public static let empty = Registry(packages: [:])

  /// The registry shipped with the tool.
  public static let builtin: Registry = {
    do {
      return try Registry(json: String(decoding: PackageResources.registry_json, as: UTF8.self))
    } catch {
      fatalError("the built-in registry.json is invalid: \(error)")
    }
  }()

  /// Reads `{"packages": {"name": [source, …]}}`.
  init(json text: String) throws(InputError) {
    let document: JSON
    do {
      document = try JSON.parse(text)
    } catch {
      throw InputError("registry is not JSON: \(error)")
    }
    guard case .object(let packages) = document["packages"] ?? .null else {
      throw InputError("registry has no \"packages\" object")
    }
    var result: [String: [Source]] = [:]
    for (name, list) in packages {
      guard let items = list.arrayValue else { throw InputError("registry entry '\(name)' is not a list") }
      let sourceName = "registry:\(name)"
      result[normalizedProjectName(name)] = try items.map { (item) throws(InputError) in
        var source = try Source(json: item, defaultName: sourceName)
        if source.name != sourceName { source.name = "\(sourceName)/\(source.name)" }
        return source
      }
    }
    self.packages = result
  }

  func sources(for name: String) -> [Source] { packages[normalizedProjectName(name)] ?? [] }
}
