import PipeKit

/// What a miss reports: what was asked, and the combinations of CUDA, torch, Python and platform
/// that the sources do have, closest to the env first.
struct Miss {
  /// One combination a source has, with its versions (newest first).
  struct Combination: Equatable {
    var accelerator: String
    var torch: String?
    var python: String
    var platform: String
    var versions: [PEP440Version]
    var distance: Double

    var label: String {
      [accelerator, torch.map { "torch" + $0 }, python, platform].compactMap { $0 }.joined(separator: " ")
    }

    var json: JSON {
      var object: JSONObject = ["cuda": .string(accelerator)]
      object["torch"] = torch.map { .string($0) } ?? .null
      object["python"] = .string(python)
      object["platform"] = .string(platform)
      object["versions"] = .array(versions.map { .string($0.description) })
      return .object(object)
    }
  }

  let env: WheelEnv
  let ranking: TagRanking
  let specifiers: PEP440SpecifierSet

  /// The combinations among `candidates`, closest first.
  func combinations(_ candidates: [Candidate]) -> [Combination] {
    var byKey: [String: Combination] = [:]
    var order: [String] = []
    for candidate in candidates {
      let wheel = candidate.wheel
      let label = wheel.version.local.flatMap(CUDALocalLabel.init)
      let accelerator: String =
        switch label?.accelerator {
        case .cuda(let cuda): "cu\(cuda.major)\(cuda.minor.map(String.init) ?? "")"
        case .cpu: "cpu"
        case .other(let name): name
        case nil: "any"
        }
      let abi = wheel.abiTags.contains("abi3") ? "-abi3" : ""
      var combination = Combination(
        accelerator: accelerator, torch: label?.torch?.description,
        python: wheel.pythonTags.joined(separator: ".") + abi, platform: wheel.platformTags.joined(separator: "."),
        versions: [], distance: 0)
      let key = combination.label
      if byKey[key] == nil {
        combination.distance = distance(label, wheel)
        byKey[key] = combination
        order.append(key)
      }
      if !byKey[key]!.versions.contains(wheel.version.publicVersion) {
        byKey[key]!.versions.append(wheel.version.publicVersion)
      }
    }
    var result = order.map { byKey[$0]! }
    for k in result.indices {
      result[k].versions.sort(by: >)
      // A combination whose versions the request does not admit is a little further away.
      if !result[k].versions.contains(where: { specifiers.contains($0, allowPrereleases: true) }) {
        result[k].distance += 0.5
      }
    }
    return result.sorted { a, b in
      if a.distance != b.distance { return a.distance < b.distance }
      let (va, vb) = (a.versions.first ?? .zero, b.versions.first ?? .zero)
      return va != vb ? va > vb : a.label > b.label
    }
  }

  /// How far a wheel's build is from the env: 0 when CUDA, torch, Python and platform all fit.
  func distance(_ label: CUDALocalLabel?, _ wheel: WheelFilename) -> Double {
    var d = 0.0
    switch (label?.accelerator, env.cuda) {
    case (.cuda(let built)?, let cuda?):
      if built.major != cuda.major {
        d += 3
      } else if let minor = built.minor, let envMinor = cuda.minor, minor != envMinor {
        d += 1 + Double(abs(minor - envMinor)) / 100
      }
    case (.cuda?, nil): d += 2
    case (.cpu?, _?): d += 4
    case (.other?, _): d += 6
    default: break
    }
    if let built = label?.torch, let torch = env.torchSeries, built != torch {
      d += 1 + Double(abs((built.major * 100 + built.minor) - (torch.major * 100 + torch.minor))) / 1000
    }
    let platforms = env.platformTags + ["any"]
    let pythonFits = wheel.tags.contains { tag in
      platforms.contains { ranking.rank(of: WheelTag(interpreter: tag.interpreter, abi: tag.abi, platform: $0)) != nil }
    }
    if !pythonFits {
      let minor = wheel.pythonTags.compactMap { Int($0.dropFirst(3)) }.first ?? 0
      let envMinor = env.pythonVersion.flatMap { Int($0.split(separator: ".").last ?? "") } ?? 0
      d += 1 + Double(abs(minor - envMinor)) / 100
    }
    if !wheel.platformTags.contains(where: { platforms.contains($0) }) {
      let sameOS = wheel.platformTags.contains { $0.hasPrefix("manylinux") || $0.hasPrefix("linux") }
      d += sameOS && env.os == "linux" ? 1 : 5
    }
    return d
  }

  /// What the closest combination needs that the env does not have, as advice.
  func advice(_ closest: Combination) -> String {
    var needs: [String] = []
    if closest.accelerator != (env.cudaShort.map { "cu" + $0 } ?? "cpu") && closest.accelerator != "any" {
      needs.append("CUDA \(closest.accelerator) (--cuda)")
    }
    if let torch = closest.torch, torch != env.torchSeries?.description { needs.append("torch \(torch) (--torch)") }
    if let python = env.pythonTag, !closest.python.split(separator: ".").contains(where: { $0.hasPrefix(python) }),
      !closest.python.hasSuffix("abi3"), !closest.python.hasPrefix("py")
    {
      needs.append("Python \(closest.python) (--python-version)")
    }
    if !closest.platform.split(separator: ".").contains(where: { env.platformTags.contains(String($0)) || $0 == "any" })
    {
      needs.append("platform \(closest.platform)")
    }
    if !closest.versions.contains(where: { specifiers.contains($0, allowPrereleases: true) }) {
      needs.append("its versions, none of which is \(specifiers)")
    }
    guard !needs.isEmpty else { return "add a source with --find-links, --index or --template" }
    return
      "the closest differs in \(needs.joined(separator: ", ")); match it, or add a source with --find-links, --index or --template"
  }

  /// The `no-wheel` error for a request (`no-cuda` when only CUDA builds exist and the env has
  /// no CUDA).
  func error(request: Request, candidates: [Candidate], tried: [JSON], notes: [String]) -> ErrorRecord {
    let name = request.requirement.name
    let asked = "\(name)\(specifiers) for \(env.combination)"
    let combinations = combinations(candidates)
    var message: String
    var code = "no-wheel"
    if let closest = combinations.first {
      let shown = combinations.prefix(5).map { c in
        "\(c.label) (\(c.versions.prefix(3).map(\.description).joined(separator: ", ")))"
      }
      message = "no wheel fits \(asked); closest available: \(shown.joined(separator: "; "))"
      if !notes.isEmpty { message += "; " + notes.joined(separator: "; ") }
      message += "; " + advice(closest)
    } else if env.cuda == nil, notes == [TemplateVariables.known["cuda_short"]!] {
      code = "no-cuda"
      message =
        "\(name) has only CUDA builds and the env has no CUDA (asked: \(asked)); run on a machine with an NVIDIA driver, or pass --cuda 12.8 to choose for one"
    } else {
      message = "no source lists \(name) wheels (asked: \(asked))"
      if !notes.isEmpty { message += "; " + notes.joined(separator: "; ") }
      message += "; add a source that has them with --find-links, --index or --template"
    }
    var askedObject: JSONObject = ["name": .string(name), "spec": .string(specifiers.description)]
    askedObject["cuda"] = env.cudaShort.map { .string("cu" + $0) } ?? .string("cpu")
    askedObject["torch"] = env.torchSeries.map { .string($0.description) } ?? .null
    askedObject["python"] = env.pythonTag.map { .string($0) } ?? .null
    askedObject["platform"] = .string(env.platformTags.first ?? "")
    let detail: JSON = [
      "asked": .object(askedObject), "available": .array(combinations.prefix(40).map(\.json)), "tried": .array(tried),
    ]
    return ErrorRecord(code: code, message: message, id: request.id, detail: detail)
  }
}

extension PEP440Version {
  static let zero = PEP440Version(release: [0])
}
