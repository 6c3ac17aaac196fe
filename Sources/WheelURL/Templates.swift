/// comfy-env's template variables with their values for one env and one request, and the
/// expansion of `{name}` placeholders in URLs and version strings.
///
/// Unlike comfy-env, which leaves an unknown placeholder in the text, an unknown name is an
/// error, and so is a known one that has no value here (`{cuda_short}` on a machine without
/// CUDA, `{version}` for a request without an exact pin).
struct TemplateVariables: Sendable {
  /// Every name a template may use, with why it may lack a value.
  static let known: [String: String] = {
    var names: [String: String] = [:]
    for name in ["cuda_version", "cuda_short", "cuda_short2", "cuda_major"] { names[name] = "the env has no CUDA" }
    for name in [
      "torch_version", "torch_short", "torch_mm", "torch_dotted_mm", "pytorch_version", "pytorch_short", "pytorch_mm",
    ] {
      names[name] = "the env has no torch; pass --torch 2.8.0 or set the config's pytorch version"
    }
    for name in ["py_version", "python_version", "py_short", "py_minor", "py_tag"] {
      names[name] = "the env has no python; pass --python-version 3.11"
    }
    names["platform"] = ""
    names["os"] = ""
    names["version"] = "the request does not pin an exact version (name==X)"
    names["package"] = ""
    return names
  }()

  private(set) var values: [String: String] = [:]
  /// A config's `[variables]`: names it defines beyond the known ones.
  private(set) var user: [String: String] = [:]

  init(env: WheelEnv, package: String? = nil, version: String? = nil, user: [String: String] = [:]) {
    if let cuda = env.cuda, let short = env.cudaShort {
      values["cuda_version"] = cuda.description
      values["cuda_short"] = short
      values["cuda_short2"] = short
      values["cuda_major"] = String(cuda.major)
    }
    if let torch = env.torchVersion, let series = env.torchSeries {
      let short = torch.replacingAll(".", with: "")
      let mm = "\(series.major)\(series.minor)"
      values["torch_version"] = torch
      values["torch_short"] = short
      values["torch_mm"] = mm
      values["torch_dotted_mm"] = series.description
      values["pytorch_version"] = torch
      values["pytorch_short"] = short
      values["pytorch_mm"] = mm
    }
    if let python = env.pythonVersion {
      let short = python.replacingAll(".", with: "")
      values["py_version"] = python
      values["python_version"] = python
      values["py_short"] = short
      values["py_minor"] = python.split(separator: ".").dropFirst().first.map(String.init) ?? ""
      values["py_tag"] = env.pythonTag ?? "cp" + short
    }
    values["platform"] = "\(env.os)_\(env.arch)"
    values["os"] = env.os
    if let version { values["version"] = version }
    if let package { values["package"] = package }
    self.user = user
  }

  func value(_ name: String) -> String? { values[name] ?? user[name] }

  /// `template` with every `{name}` replaced. A `{` not followed by a name and `}` is kept.
  /// - Throws: `TemplateError` naming the first unknown placeholder or the first one without a
  ///   value.
  func expand(_ template: String) throws(TemplateError) -> String {
    var out = ""
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{") {
      out += rest[..<open]
      let after = rest[rest.index(after: open)...]
      guard let close = after.firstIndex(of: "}"), Self.isName(after[..<close]) else {
        out += "{"
        rest = after
        continue
      }
      let name = String(after[..<close])
      guard let value = value(name) else {
        if let why = Self.known[name] {
          throw TemplateError(kind: .missingValue(why), placeholder: name, template: template)
        }
        throw TemplateError(kind: .unknown, placeholder: name, template: template)
      }
      out += value
      rest = after[after.index(after: close)...]
    }
    return out + rest
  }

  /// The placeholders in `template`, in order.
  static func placeholders(in template: String) -> [String] {
    var names: [String] = []
    var rest = Substring(template)
    while let open = rest.firstIndex(of: "{") {
      let after = rest[rest.index(after: open)...]
      if let close = after.firstIndex(of: "}"), isName(after[..<close]) {
        names.append(String(after[..<close]))
        rest = after[after.index(after: close)...]
      } else {
        rest = after
      }
    }
    return names
  }

  static func isName(_ text: Substring) -> Bool {
    guard let first = text.first, first.isASCII, first.isLetter || first == "_" else { return false }
    return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
  }
}

/// A template that cannot be expanded.
struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
  enum Kind: Sendable, Equatable {
    /// No such variable.
    case unknown
    /// A known variable without a value here, and why.
    case missingValue(String)
  }

  var kind: Kind
  var placeholder: String
  var template: String

  var description: String {
    switch kind {
    case .unknown:
      let names = TemplateVariables.known.keys.sorted().map { "{\($0)}" }.joined(separator: " ")
      return "unknown placeholder {\(placeholder)} in '\(template)' (known: \(names))"
    case .missingValue(let why):
      return "{\(placeholder)} in '\(template)' has no value: \(why)"
    }
  }
}
