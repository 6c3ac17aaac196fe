import PipeKit

/// The machine and interpreter a wheel must fit, read from cuda-detect's `env` record and
/// adjusted by a config's or the command line's `python`, `cuda` and `torch`.
public struct WheelEnv: Sendable {
  public var os: String
  public var arch: String
  /// `3.11`, or `nil` when the record has no python.
  var pythonVersion: String?
  /// `3.11.7` when the record says, for `Requires-Python`.
  var pythonFullVersion: String?
  /// `cp311`.
  var pythonTag: String?
  /// `cp311`, `cp313t`.
  var abi: String?
  /// Most specific first, as cuda-detect lists them.
  var platformTags: [String]
  /// The CUDA wheels must match, or `nil` for a CPU-only machine.
  var cuda: CUDAVersion?
  /// torch's public version (`2.8.0`), or `nil` when torch is not installed or not known.
  var torchVersion: String?
  /// Whether `torchVersion` is comfy-env's default for an env without torch, not an installed
  /// torch or one asked for.
  var torchIsDefault = false
  /// The installed torch's local label (`cu128`, `cpu`), when it has one.
  var torchLocal: String?

  /// Reads an `env` record.
  /// - Throws: `InputError` when a member has the wrong shape.
  public init(record: JSONObject) throws(InputError) {
    func string(_ value: JSON?, _ name: String) throws(InputError) -> String? {
      guard let value, !value.isNull else { return nil }
      guard let text = value.stringValue else { throw InputError("\"\(name)\" is \(value.kindName), not a string") }
      return text
    }
    os = try string(record["os"], "os") ?? "linux"
    arch = PlatformTags.normalizedArch(try string(record["arch"], "arch") ?? "x86_64")
    if let python = record["python"], !python.isNull {
      guard case .object(let object) = python else {
        throw InputError("\"python\" is \(python.kindName), not an object")
      }
      pythonFullVersion = try string(object["version"], "python.version")
      pythonVersion = pythonFullVersion.map(Self.majorMinor)
      pythonTag = try string(object["tag"], "python.tag")
      abi = try string(object["abi"], "python.abi")
      if pythonTag == nil, let version = pythonVersion { pythonTag = "cp" + version.replacingAll(".", with: "") }
    }
    if let tags = record["platform_tags"], !tags.isNull {
      guard let list = tags.arrayValue?.compactMap(\.stringValue), list.count == tags.arrayValue?.count else {
        throw InputError("\"platform_tags\" is not an array of strings")
      }
      platformTags = list
    } else {
      let glibc = try string(record["glibc"], "glibc").flatMap(PlatformTags.parseGlibc)
      platformTags = PlatformTags.linux(arch: arch, glibc: glibc)
    }
    if let cuda = record["cuda"], !cuda.isNull {
      var text = try string(cuda["version"], "cuda.version")
      if text == nil { text = try string(cuda["short"], "cuda.short") }
      guard let text, let version = CUDAVersion(text) else { throw InputError("\"cuda\" has no version like 12.8") }
      self.cuda = version
    }
    if let torch = record["torch"], !torch.isNull {
      let version = try string(torch["version"], "torch.version")
      torchVersion = version.map { String($0.prefix { $0 != "+" }) }
      torchLocal =
        try string(torch["local"], "torch.local") ?? version?.split(separator: "+").dropFirst().first.map(String.init)
    }
  }

  init(
    os: String = "linux", arch: String = "x86_64", pythonVersion: String?, platformTags: [String],
    cuda: CUDAVersion?, torchVersion: String?
  ) {
    self.os = os
    self.arch = arch
    self.pythonVersion = pythonVersion
    self.pythonTag = pythonVersion.map { "cp" + $0.replacingAll(".", with: "") }
    self.abi = pythonTag
    self.platformTags = platformTags
    self.cuda = cuda
    self.torchVersion = torchVersion
  }

  /// `3.11.7` → `3.11`.
  static func majorMinor(_ version: String) -> String {
    version.split(separator: ".").prefix(2).joined(separator: ".")
  }

  /// The env with a config's or the command line's settings applied; `nil` leaves a part as it
  /// is. `python` is `3.11`; `cuda` is `12.8`, `128`, or `none`/`null`/`cpu` for no CUDA (`auto`
  /// keeps the machine's); `torch` is `2.8.0` or `2.8`, `none` for no torch (`auto` or no setting
  /// keeps the installed torch, or, with none installed, takes comfy-env's default: 2.5.1 for
  /// CUDA 12.4, else 2.8.0).
  public func adjusted(_ settings: EnvSettings) throws(InputError) -> WheelEnv {
    var env = self
    if let python = settings.python, python.lowercased() != "auto" {
      let parts = python.split(separator: ".")
      guard parts.count >= 2, parts.allSatisfy({ Int($0) != nil }) else {
        throw InputError("python '\(python)' is not a version like 3.11")
      }
      let version = Self.majorMinor(python)
      if version != env.pythonVersion {
        env.pythonVersion = version
        env.pythonFullVersion = nil
        env.pythonTag = "cp" + version.replacingAll(".", with: "")
        env.abi = env.pythonTag
      }
    }
    if let cuda = settings.cuda?.lowercased(), cuda != "auto" {
      if ["none", "null", "cpu", ""].contains(cuda) {
        env.cuda = nil
      } else {
        guard let version = CUDAVersion(cuda), version.minor != nil else {
          throw InputError("cuda '\(cuda)' is not a version like 12.8")
        }
        env.cuda = version
      }
    }
    if settings.torch == nil || settings.torch?.lowercased() == "auto" {
      // comfy-env's rule for a pytorch version that is "auto" or absent when no torch is
      // installed (reference §2, E1's config and E3's fallback combo): CUDA 12.4 → 2.5.1,
      // anything else → 2.8.0.
      if env.torchVersion == nil {
        env.torchVersion = env.cuda.map { $0.major == 12 && $0.minor == 4 } == true ? "2.5.1" : "2.8.0"
        env.torchIsDefault = true
      }
    } else if let torch = settings.torch?.lowercased(), torch != "auto" {
      env.torchIsDefault = false
      if ["none", "null", ""].contains(torch) {
        env.torchVersion = nil
      } else {
        let version = String(torch.prefix { $0 != "+" })
        guard TorchSeries(version) != nil, version.contains(".") else {
          throw InputError("torch '\(torch)' is not a version like 2.8.0")
        }
        env.torchVersion = version.split(separator: ".").count == 2 ? version + ".0" : version
      }
    }
    return env
  }

  /// The tag ranking for this interpreter and platform.
  func tagRanking() throws(InputError) -> TagRanking {
    guard let pythonTag else {
      throw InputError("the env has no python; run cuda-detect with a python, or pass --python-version 3.11")
    }
    do {
      return try TagRanking(pythonTag: pythonTag, abi: abi, platforms: platformTags)
    } catch {
      throw InputError(error.message)
    }
  }

  var cudaShort: String? { cuda.map { "\($0.major)\($0.minor.map(String.init) ?? "")" } }

  var torchSeries: TorchSeries? { torchVersion.flatMap(TorchSeries.init) }

  /// What a wheel must be built for, as a miss reports it: `cu128 torch2.8 cp311
  /// manylinux_2_36_x86_64`.
  var combination: String {
    [
      cudaShort.map { "cu" + $0 } ?? "cpu", torchSeries.map { "torch\($0)" } ?? "torch?", pythonTag ?? "python?",
      platformTags.first ?? "\(os)_\(arch)",
    ].joined(separator: " ")
  }
}

/// Settings that override what the env record says.
public struct EnvSettings: Sendable, Equatable {
  var python: String?
  var cuda: String?
  var torch: String?

  public init(python: String? = nil, cuda: String? = nil, torch: String? = nil) {
    self.python = python
    self.cuda = cuda
    self.torch = torch
  }

  /// These settings, with `other`'s where they are set.
  public func overridden(by other: EnvSettings) -> EnvSettings {
    EnvSettings(python: other.python ?? python, cuda: other.cuda ?? cuda, torch: other.torch ?? torch)
  }

  /// Checks that the settings can be applied to an env (a Python `X.Y`, a CUDA `X.Y` or
  /// `none`, a torch version or `none`).
  public func check() throws(InputError) {
    _ = try WheelEnv(pythonVersion: "3.11", platformTags: [], cuda: nil, torchVersion: nil).adjusted(self)
  }
}

/// Why an input cannot be used: an env record or setting, a registry source, an index page.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
  public var message: String
  init(_ message: String) { self.message = message }
  public var description: String { message }
}

extension String {
  /// The string with every `target` replaced (`"3.11".replacingAll(".", with: "")` → `311`).
  func replacingAll(_ target: Character, with replacement: String) -> String {
    split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
  }
}

extension WheelEnv {
  /// The system and machine this process runs on, as an env record names them (`linux`, `x86_64`):
  /// the platform a config's markers are read for when no env record says otherwise.
  public static var runningPlatform: (String, String) {
    let (system, machine) = SystemInfo.uname
    return (system.lowercased(), PlatformTags.normalizedArch(machine))
  }
}
