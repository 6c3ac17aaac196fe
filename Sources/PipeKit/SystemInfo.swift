import CPipeShims

#if canImport(Glibc)
  import Glibc
#endif

/// Facts about the running system that need a C call.
public enum SystemInfo {
  /// The glibc version (`2.36`), or `nil` on another C library. The C function is
  /// `gnu_get_libc_version`.
  public static var glibcVersion: String? { cpipes_glibc_version().map { String(cString: $0) } }

  /// The path of the shared object that holds `address`. The C function is `dladdr`.
  public static func objectPath(containing address: UnsafeRawPointer) -> String? {
    cpipes_object_path(address).map { String(cString: $0) }
  }

  /// `uname`'s system name and machine (`("Linux", "x86_64")`).
  public static var uname: (system: String, machine: String) {
    var names = utsname()
    guard Glibc.uname(&names) == 0 else { return ("unknown", "unknown") }
    func field<T>(_ tuple: T) -> String {
      withUnsafeBytes(of: tuple) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
    return (field(names.sysname), field(names.machine))
  }
}
