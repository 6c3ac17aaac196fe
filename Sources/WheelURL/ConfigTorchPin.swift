import PipeHTTP
import PipeKit

/// comfy-env's torch pin (reference §3–4): in an isolated env, torch is the host's major.minor
/// (`torch==2.8.*`) on the host's build (the PyTorch index of its CUDA, or CPU), and torchvision
/// and torchaudio, when something asks for them, the versions that go with it. Without a host
/// torch, the config's `pytorch`/`pytorch_version` (E1 `auto`: 2.5.1 for CUDA 12.4, else 2.8.0),
/// and with neither, comfy-env's fallback (2.8) only for an env that has CUDA packages.
struct TorchPin: Sendable, Equatable {
  /// torch minor → (torchvision, torchaudio) series, comfy-env's `TORCH_FAMILY_COMPAT`.
  static let family: [Int: (vision: String, audio: String)] = [
    4: ("0.19", "2.4"), 5: ("0.20", "2.5"), 6: ("0.21", "2.6"), 7: ("0.22", "2.7"), 8: ("0.23", "2.8"),
    9: ("0.24", "2.9"), 10: ("0.25", "2.10"), 11: ("0.26", "2.11"), 12: ("0.27", "2.11"),
  ]
  /// Where the PyTorch indexes are: `$COMFY_PIPES_TORCH_INDEX` (a mirror, or a local directory
  /// holding `cpu/`, `cu128/`, … of wheels), else download.pytorch.org.
  static var indexBase: String {
    let given = Environment.current["COMFY_PIPES_TORCH_INDEX"] ?? ""
    let base = given.isEmpty ? "https://download.pytorch.org/whl" : (try? URLText.from(userInput: given)) ?? given
    return base.hasSuffix("/") ? String(base.dropLast()) : base
  }

  /// `2.8`.
  var series: String
  /// `cu128` or `cpu`.
  var backend: String
  var index: String

  /// The pin for an env with these settings on the machine `env` describes, or `nil` when the
  /// env has no torch to pin (no host torch and none in the config).
  init?(env: WheelEnv, settings: EnvSettings, indexBase: String = TorchPin.indexBase) {
    guard let adjusted = try? env.adjusted(settings), let version = adjusted.torchVersion else { return nil }
    let parts = version.split(separator: ".")
    guard parts.count >= 2, Int(parts[0]) != nil, Int(parts[1]) != nil else { return nil }
    series = "\(parts[0]).\(parts[1])"
    let hostTorch = (settings.torch ?? "auto").lowercased() == "auto" && env.torchVersion != nil
    let hostCUDA = (settings.cuda ?? "auto").lowercased() == "auto"
    if hostTorch && hostCUDA, let local = env.torchLocal, local == "cpu" || local.hasPrefix("cu") {
      backend = local
    } else {
      backend = adjusted.cudaShort.map { "cu" + $0 } ?? "cpu"
    }
    index = "\(indexBase)/\(backend)"
  }

  /// `torch==2.8.*` (installed) and `torchvision==0.23.*`, `torchaudio==2.8.*` (constraints).
  var entries: [ConfigEntry] {
    var texts = [("torch==\(series).*", false)]
    if let minor = Int(series.split(separator: ".")[1]), series.hasPrefix("2."), let family = Self.family[minor] {
      texts += [("torchvision==\(family.vision).*", true), ("torchaudio==\(family.audio).*", true)]
    }
    return texts.map { text, constraint in
      var entry = ConfigEntry(text: text, kind: .pypi, section: "torch pin")
      entry.index = index
      entry.constraintOnly = constraint
      return entry
    }
  }
}

extension ConfigFile {
  /// The torch pin's entries for each isolated env of the file, and a note saying each.
  public func torchPins(env: WheelEnv?) -> (entries: [ConfigEntry], notes: [String]) {
    guard let env else { return ([], []) }
    var entries: [ConfigEntry] = []
    var notes: [String] = []
    for (name, settings) in isolatedEnvs {
      // Without a host torch, comfy-env puts torch into an env only where it needs one (reference
      // §4): E3 pins its fallback combo's torch (2.8) in an env that has CUDA packages (tier 2);
      // E1 installs torch when the env has a CUDA (its own `cuda`, or the machine's GPU), so a
      // CPU-only machine gets none.
      if env.torchVersion == nil {
        let needsTorch =
          schema == .e3 ? hasCUDAPackages(inEnv: name) : (try? env.adjusted(settings))?.cuda != nil
        if !needsTorch { continue }
      }
      guard let pin = TorchPin(env: env, settings: settings) else { continue }
      var pinned = pin.entries
      for k in pinned.indices {
        pinned[k].envName = name
        pinned[k].settings = settings
      }
      entries += pinned
      let why =
        if let torch = settings.torch, torch.lowercased() != "auto" {
          "the config asks for \(torch)"
        } else if let host = env.torchVersion {
          "the host has \(host)"
        } else {
          "the host has no torch, and comfy-env's default for the \(pin.backend) build is \(pin.series)"
        }
      notes.append(
        "torch pinned to \(pin.series).* (\(pin.backend) build, from \(pin.index))\(name.map { " in env \($0)" } ?? ""), as comfy-env pins it: \(why)"
      )
    }
    return (entries, notes)
  }

  /// Whether one env of the file (`nil`: its main env) asks for CUDA packages.
  private func hasCUDAPackages(inEnv name: String?) -> Bool {
    entries.contains { $0.envName == name && $0.kind == ConfigEntry.Kind.cuda }
  }
}
