#if canImport(Glibc)
  import Glibc
#endif

/// What a tensor record may make a consumer map and unlink (comfy-pipes(7), "Tensor records").
/// A consumer removes what a record names, so a record must not be able to name anything but a
/// segment this kit made for this user. The same rule is written once in Python, in
/// `Sources/node-run/comfy_pipes/segment.py`, for node-run's worker and the host module.
///
/// - A segment's name is `/cpipes-PID-HEX`: PID the creator's process id in decimal (1 to 10
///   digits, no leading zero), HEX exactly 16 lowercase hexadecimal digits; nothing else.
/// - `name` storage is the file `/dev/shm/cpipes-PID-HEX`.
/// - `path` storage (the fallback where `/dev/shm` is missing or full) is accepted only as
///   `FALLBACK/cpipes-PID-HEX`, FALLBACK being `realpath($TMPDIR or /tmp)/comfy-pipes-UID`
///   (UID the effective user id): a directory created with mode 0700 that must not be a
///   symbolic link, must be owned by this user and must give no access to group or others.
/// - The segment is opened with `O_NOFOLLOW` and must be a regular file owned by this user. It is
///   unlinked only if its name still links to the file that was opened.
extension SharedMemory {
  /// Whether `name` has the form this kit's producers give segments: `/cpipes-PID-HEX`.
  public static func isValidName(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    let head = Array("/\(prefix)-".utf8)
    guard bytes.count >= head.count + 18, bytes.count <= head.count + 27, bytes.starts(with: head) else {
      return false
    }
    let rest = bytes[head.count...]
    guard let dash = rest.firstIndex(of: UInt8(ascii: "-")) else { return false }
    let pid = rest[..<dash]
    let hex = rest[(dash + 1)...]
    return (1...10).contains(pid.count) && pid.first != UInt8(ascii: "0")
      && pid.allSatisfy { (0x30...0x39).contains($0) } && hex.count == 16
      && hex.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
  }

  /// The directory for file-backed segments: `realpath($TMPDIR or /tmp)/comfy-pipes-UID`.
  public static var fallbackDirectory: String {
    let variable = Environment.current["TMPDIR"] ?? ""
    var base = variable.isEmpty ? "/tmp" : variable
    if let resolved = realpath(base, nil) {
      base = String(cString: resolved)
      free(resolved)
    }
    while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
    return "\(base == "/" ? "" : base)/comfy-pipes-\(geteuid())"
  }

  /// Whether `path` is a file-backed segment's path by the rule: the fallback directory, a
  /// slash, a segment name (no file system access).
  public static func isValidFallbackPath(_ path: String) -> Bool {
    guard let slash = path.lastIndex(of: "/") else { return false }
    return path[..<slash] == fallbackDirectory && isValidName(String(path[slash...]))
  }

  /// The fallback directory, created (mode 0700) when `create` and missing, after checking that
  /// it is a directory, not a symbolic link, owned by this user and closed to everyone else.
  public static func checkedFallbackDirectory(create: Bool) throws(TensorError) -> String {
    let dir = fallbackDirectory
    var info = stat()
    if lstat(dir, &info) != 0 {
      guard create, errno == ENOENT, mkdir(dir, 0o700) == 0 || errno == EEXIST, lstat(dir, &info) == 0 else {
        throw TensorError("the fallback directory \(dir) for file-backed segments cannot be used")
      }
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
      throw TensorError(
        "\(dir) must be a directory (not a symbolic link) of mode 0700 owned by this user; remove it to have it made again"
      )
    }
    return dir
  }

  /// The file a consumable storage names, checked by the rule (the fallback directory included).
  static func segmentPath(_ storage: TensorStorage) throws(TensorError) -> String {
    switch storage {
    case .shm(let name, _, _):
      guard isValidName(name) else { throw TensorError("shm storage needs a \"name\" like /cpipes-PID-HEX") }
      return "/dev/shm" + name
    case .shmFile(let path, _, _):
      guard isValidFallbackPath(path) else { throw TensorError(fallbackPathMessage) }
      _ = try checkedFallbackDirectory(create: false)
      return path
    case .file(let path, _, _):
      return path
    case .inline:
      throw TensorError("an inline tensor has no segment")
    }
  }

  static var fallbackPathMessage: String {
    "a file-backed segment's path must be a segment name like cpipes-PID-HEX in \(fallbackDirectory) "
      + "(this user's fallback directory)"
  }

  /// Checks an open segment: a regular file owned by this user.
  static func checkOwnedSegment(_ info: stat, _ path: String) throws(TensorError) {
    guard (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else {
      throw TensorError("tensor storage \(path) is not a regular file owned by this user")
    }
  }

  /// Unlinks `path` if it still names a regular file of this user (the file `opened` when given).
  static func unlinkSegment(_ path: String, opened: stat? = nil) {
    var info = stat()
    guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else { return }
    if let opened, opened.st_dev != info.st_dev || opened.st_ino != info.st_ino { return }
    unlink(path)
  }
}
