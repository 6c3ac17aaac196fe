/// A CUDA version as wheel labels write it: `12.8` from `cu128` or `cu12.8`, or the major alone
/// (`cu12`, as flash-attn's wheels write it).
struct CUDAVersion: Sendable, Hashable, CustomStringConvertible {
  var major: Int
  /// `nil` when only the major version is given.
  var minor: Int?

  var description: String { minor.map { "\(major).\($0)" } ?? "\(major)" }

  /// Reads `12.8`, `128` (cuda_short), `118`, `92` (9.2), `12` (major only: two digits starting
  /// with 1) or `9`.
  init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
      return nil
    }
    if parts.count == 2 {
      guard let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
      (self.major, self.minor) = (major, minor)
      return
    }
    let digits = Array(parts[0])
    switch digits.count {
    case 1: (major, minor) = (Int(String(digits))!, nil)
    case 2 where digits[0] == "1": (major, minor) = (Int(String(digits))!, nil)
    case 2: (major, minor) = (Int(String(digits[0]))!, Int(String(digits[1]))!)
    case 3...4: (major, minor) = (Int(String(digits[..<2]))!, Int(String(digits[2...]))!)
    default: return nil
    }
  }

  init(major: Int, minor: Int?) {
    self.major = major
    self.minor = minor
  }
}

/// A torch release series, major.minor (`2.8`). Reads `2.8`, `2.8.0` and undotted `28`, `210`
/// (2.10), `113` (1.13): the first digit is the major version.
struct TorchSeries: Sendable, Hashable, CustomStringConvertible {
  var major: Int
  var minor: Int

  var description: String { "\(major).\(minor)" }

  init?(_ text: String) {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
    if parts.count >= 2 {
      guard let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
      (self.major, self.minor) = (major, minor)
    } else {
      guard parts[0].count >= 2, parts[0].count <= 3 else { return nil }
      (major, minor) = (Int(String(parts[0].prefix(1)))!, Int(String(parts[0].dropFirst()))!)
    }
  }
}

/// The result of matching a wheel's local label against an environment.
enum LocalLabelMatch: Sendable, Equatable {
  case match
  /// The label names a build this environment cannot use; the string says why.
  case mismatch(String)
  /// No local label, or one that names no accelerator (`+ubuntu1`, a bare git hash).
  case notCUDALabel
}

/// What a local version label says about the build, as CUDA wheel indexes write it:
/// `cu128torch2.8`, `cu128torch28`, `pt2.8cu128`, `pt28cu128`, `cu128`, `cpu`, `pt28cpu`,
/// `cu12.8`, `cu12torch2.8cxx11abitrue` (flash-attn), `2a420edpt2.8.0cu128` (a git hash before),
/// `cu128torch2.8.0.post3` (text after). `rocm6.3` and `xpu` are read as other accelerators.
struct CUDALocalLabel: Sendable, Hashable {
  enum Accelerator: Sendable, Hashable {
    case cuda(CUDAVersion)
    case cpu
    /// Another accelerator (`rocm6.3`, `xpu`), which no CUDA or CPU environment matches.
    case other(String)
  }

  var accelerator: Accelerator
  /// The torch series the wheel was built against; `nil` when the label does not say.
  var torch: TorchSeries?
  /// Text before the accelerator or torch part (a git hash); empty when none.
  var prefix: String
  /// Text after them (`cxx11abitrue`, `.post3`); empty when none.
  var suffix: String

  /// Reads a normalised local label (without `+`); `nil` when it names no accelerator.
  init?(_ local: String) {
    let scanner = LabelScanner(Array(local.lowercased().utf8))
    guard let found = scanner.find() else { return nil }
    (accelerator, torch, prefix, suffix) = found
  }

  /// Matches the label against an environment: `cuda` is `nil` on a machine without CUDA, `torch`
  /// is `nil` when the torch is not known (then the label's torch is not checked). A CUDA label
  /// must name the same major.minor (or the same major when it gives only a major); a CPU label
  /// matches only an environment without CUDA.
  func match(cuda: CUDAVersion?, torch envTorch: TorchSeries?) -> LocalLabelMatch {
    switch (accelerator, cuda) {
    case (.other(let name), _):
      return .mismatch("built for \(name)")
    case (.cpu, let env?):
      return .mismatch("built for CPU, the environment has CUDA \(env)")
    case (.cuda(let wheel), nil):
      return .mismatch("built for CUDA \(wheel), the environment has no CUDA")
    case (.cuda(let wheel), let env?):
      if wheel.major != env.major || (wheel.minor != nil && env.minor != nil && wheel.minor != env.minor) {
        return .mismatch("built for CUDA \(wheel), the environment has CUDA \(env)")
      }
    case (.cpu, nil):
      break
    }
    if let torch, let envTorch, torch != envTorch {
      return .mismatch("built for torch \(torch), the environment has torch \(envTorch)")
    }
    return .match
  }
}

/// Finds the accelerator and torch parts in a local label's bytes.
private struct LabelScanner {
  let s: [UInt8]

  init(_ bytes: [UInt8]) { s = bytes }

  /// The first position where an accelerator part, alone or with a torch part before or after it,
  /// starts; with the text before and after.
  func find() -> (CUDALocalLabel.Accelerator, TorchSeries?, prefix: String, suffix: String)? {
    for start in s.indices {
      var found: (CUDALocalLabel.Accelerator, TorchSeries?, end: Int)?
      if let (accelerator, end) = accelerator(at: start) {
        let torch = self.torch(at: skipDot(end))
        found = (accelerator, torch?.0, torch?.1 ?? end)
      } else if let (series, end) = torch(at: start), let (accelerator, after) = accelerator(at: skipDot(end)) {
        found = (accelerator, series, after)
      }
      if let (accelerator, torch, end) = found {
        return (accelerator, torch, text(0, start), text(end, s.count))
      }
    }
    return nil
  }

  func text(_ from: Int, _ to: Int) -> String { String(decoding: s[from..<to], as: UTF8.self) }

  func skipDot(_ k: Int) -> Int { k < s.count && s[k] == UInt8(ascii: ".") ? k + 1 : k }

  func isDigit(_ k: Int) -> Bool { k < s.count && (0x30...0x39).contains(s[k]) }

  /// Whether `word` is spelled at `k`, followed by a digit when `digitAfter`.
  func has(_ word: String, at k: Int, digitAfter: Bool) -> Bool {
    let w = Array(word.utf8)
    guard k + w.count <= s.count, Array(s[k..<k + w.count]) == w else { return false }
    return !digitAfter || isDigit(k + w.count)
  }

  /// The digits starting at `k`, with further `.digits` groups when `dotted`.
  func numbers(from k: Int, dotted: Bool) -> (text: String, end: Int) {
    var end = k
    while isDigit(end) || (dotted && end > k && isDigit(end + 1) && s[end] == UInt8(ascii: ".")) { end += 1 }
    return (text(k, end), end)
  }

  /// `cuXYZ`, `cuXY.Z`, `cpu`, `xpu` or `rocmX.Y` at `k`, and where it ends.
  func accelerator(at k: Int) -> (CUDALocalLabel.Accelerator, Int)? {
    if has("cu", at: k, digitAfter: true) {
      var (digits, end) = numbers(from: k + 2, dotted: false)
      if digits.count <= 2, end < s.count, s[end] == UInt8(ascii: "."), isDigit(end + 1) {
        let minor = numbers(from: end + 1, dotted: false)
        (digits, end) = (digits + "." + minor.text, minor.end)
      }
      return CUDAVersion(digits).map { (.cuda($0), end) }
    }
    if has("cpu", at: k, digitAfter: false) { return (.cpu, k + 3) }
    if has("xpu", at: k, digitAfter: false) { return (.other("xpu"), k + 3) }
    if has("rocm", at: k, digitAfter: true) {
      let run = numbers(from: k + 4, dotted: true)
      return (.other("rocm" + run.text), run.end)
    }
    return nil
  }

  /// `torchX.Y[.Z]`, `torchXY`, `ptX.Y[.Z]` or `ptXY` at `k`, and where it ends.
  func torch(at k: Int) -> (TorchSeries, Int)? {
    for word in ["torch", "pt"] where has(word, at: k, digitAfter: true) {
      let run = numbers(from: k + word.utf8.count, dotted: true)
      return TorchSeries(run.text).map { ($0, run.end) }
    }
    return nil
  }
}

/// Matches a wheel version's local label (`PEP440Version.local`) against an environment given as
/// cuda_short (`128`, or `nil` for no CUDA) and torch (`2.8`, `2.8.0`, or `nil` when unknown).
func matchLocalLabel(_ local: String?, cudaShort: String?, torch: String?) -> LocalLabelMatch {
  guard let local, let label = CUDALocalLabel(local) else { return .notCUDALabel }
  return label.match(cuda: cudaShort.flatMap(CUDAVersion.init), torch: torch.flatMap(TorchSeries.init))
}

extension Character {
  var isASCIIDigit: Bool { isASCII && isNumber }
}
