/// An NVIDIA driver version such as `550.144.03`, compared component by component. A leading
/// `v` is accepted and dropped, as uv's PEP 440 parse of `UV_CUDA_DRIVER_VERSION` accepts it.
struct DriverVersion: Comparable, CustomStringConvertible {
  var parts: [Int]
  var text: String

  init?(_ text: String) {
    var trimmed = text.trimmingSpace()
    if trimmed.first == "v" || trimmed.first == "V" { trimmed.removeFirst() }
    let pieces = trimmed.split(separator: ".", omittingEmptySubsequences: false)
    guard !pieces.isEmpty, pieces.count <= 4 else { return nil }
    var parts: [Int] = []
    for piece in pieces {
      guard !piece.isEmpty, piece.allSatisfy(\.isASCIIDigit), let n = Int(piece) else { return nil }
      parts.append(n)
    }
    self.parts = parts
    self.text = trimmed
  }

  var major: Int { parts[0] }
  var description: String { text }

  static func < (a: DriverVersion, b: DriverVersion) -> Bool {
    for k in 0..<max(a.parts.count, b.parts.count) {
      let x = k < a.parts.count ? a.parts[k] : 0
      let y = k < b.parts.count ? b.parts[k] : 0
      if x != y { return x < y }
    }
    return false
  }

  static func == (a: DriverVersion, b: DriverVersion) -> Bool { !(a < b) && !(b < a) }
}

/// A CUDA version: `12.8`, `12.8.1`, or the dotless `128` that comfy-env and backends use.
struct CudaVersion: Equatable {
  var major: Int
  var minor: Int

  init(major: Int, minor: Int) {
    self.major = major
    self.minor = minor
  }

  init?(_ text: String) {
    var t = text.trimmingSpace().lowercased()
    if t.hasPrefix("cu") { t.removeFirst(2) }
    let pieces = t.split(separator: ".")
    if pieces.count >= 2, let major = Int(pieces[0]), let minor = Int(pieces[1]) {
      self.init(major: major, minor: minor)
    } else if pieces.count == 1, t.count >= 2, t.allSatisfy(\.isASCIIDigit), let minor = Int(String(t.last!)),
      let major = Int(String(t.dropLast()))
    {
      self.init(major: major, minor: minor)
    } else {
      return nil
    }
  }

  /// From the integer NVML and libcuda report: 12080 → 12.8.
  init(driverAPI value: Int32) {
    self.init(major: Int(value) / 1000, minor: Int(value) % 1000 / 10)
  }

  var dotted: String { "\(major).\(minor)" }
  var short: String { "\(major)\(minor)" }
}

extension Character {
  var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension StringProtocol {
  func trimmingSpace() -> String {
    var s = Substring(self)
    while let first = s.first, first.isWhitespace { s.removeFirst() }
    while let last = s.last, last.isWhitespace { s.removeLast() }
    return String(s)
  }
}
