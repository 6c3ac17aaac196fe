/// PEP 600 platform tags for a Linux machine, most specific first: `manylinux_2_N_<arch>` from
/// the machine's glibc down to the oldest glibc the architecture has wheels for, each followed
/// by its legacy alias where one exists (`manylinux2014` = 2.17, `manylinux2010` = 2.12,
/// `manylinux1` = 2.5), then `linux_<arch>`. This is the order `packaging.tags` uses.
public enum PlatformTags {
  /// The tags for `arch` (as `uname -m` says it) and glibc `major.minor`; `nil` glibc (musl or
  /// unknown) gives only `linux_<arch>`.
  public static func linux(arch: String, glibc: (major: Int, minor: Int)?) -> [String] {
    let arch = normalizedArch(arch)
    var tags: [String] = []
    if let glibc, glibc.major == 2 {
      let oldest = ["x86_64", "i686"].contains(arch) ? 5 : 17
      if glibc.minor >= oldest {
        for minor in stride(from: glibc.minor, through: oldest, by: -1) {
          tags.append("manylinux_2_\(minor)_\(arch)")
          if let legacy = legacyAlias(minor: minor, arch: arch) { tags.append(legacy) }
        }
      }
    }
    tags.append("linux_\(arch)")
    return tags
  }

  static func legacyAlias(minor: Int, arch: String) -> String? {
    switch minor {
    case 17 where ["x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"].contains(arch):
      "manylinux2014_\(arch)"
    case 12 where ["x86_64", "i686"].contains(arch): "manylinux2010_\(arch)"
    case 5 where ["x86_64", "i686"].contains(arch): "manylinux1_\(arch)"
    default: nil
    }
  }

  /// `uname -m` spellings as wheel tags use them (`arm64` → `aarch64`, `i386` → `i686`).
  public static func normalizedArch(_ arch: String) -> String {
    switch arch {
    case "arm64": "aarch64"
    case "i386", "i486", "i586": "i686"
    case "amd64": "x86_64"
    default: arch
    }
  }

  /// Parses `2.36` into `(2, 36)`.
  public static func parseGlibc(_ text: String) -> (major: Int, minor: Int)? {
    let parts = text.split(separator: ".")
    guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
    return (major, minor)
  }
}
