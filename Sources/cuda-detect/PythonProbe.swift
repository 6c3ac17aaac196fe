import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// What one run of the interpreter tells: its version and tags, and where it looks for packages.
struct PythonInfo {
  var executable: String
  var version: String
  var tag: String
  var abi: String
  var searchPath: [String]

  var record: JSON {
    ["executable": .string(executable), "version": .string(version), "tag": .string(tag), "abi": .string(abi)]
  }
}

/// The torch installed for an interpreter, read from its metadata and `torch/version.py` as text:
/// torch itself is never imported.
struct TorchInfo {
  var version: String
  var local: String?
  var cuda: CudaVersion?

  var record: JSON {
    [
      "version": .string(version), "cuda": cuda.map { .string($0.dotted) } ?? .null,
      "local": local.map { .string($0) } ?? .null,
    ]
  }
}

enum PythonProbe {
  /// Prints one `key<TAB>value` line per fact; `path` once per directory packages are found in.
  /// The wheel tag rules are packaging.tags': `cpXY` + abiflags for CPython, SOABI's first two
  /// parts elsewhere. Run with `-S`: `site` is imported for its directory rules but its `.pth`
  /// files (which import code and cost tens of milliseconds) are not processed. `site.venv` and
  /// the user-site check run as `site.main()` runs them, so the directories and their order are
  /// those the interpreter itself would use.
  static let script = """
    import sys
    v = sys.version_info
    n = sys.implementation.name
    short = {'cpython': 'cp', 'pypy': 'pp'}.get(n, n)
    tag = '%s%d%d' % (short, v[0], v[1])
    if n == 'cpython':
        abi = tag + getattr(sys, 'abiflags', '')
    else:
        import sysconfig
        abi = '_'.join((sysconfig.get_config_var('SOABI') or tag).split('-')[:2]).replace('.', '_')
    print('executable\t' + sys.executable)
    print('version\t%d.%d.%d' % v[:3])
    print('tag\t' + tag)
    print('abi\t' + abi)
    import site
    site.venv(None)
    if site.ENABLE_USER_SITE is None:
        site.ENABLE_USER_SITE = site.check_enableusersite()
    paths = [p for p in sys.path[1:] if p]
    if site.ENABLE_USER_SITE:
        paths.append(site.getusersitepackages())
    paths += site.getsitepackages()
    for p in paths:
        print('path\t' + p)
    """

  enum Failure: Error {
    case notFound(String)
    case failed(String)
  }

  /// How long the interpreter may take to answer, in seconds, unless `CUDA_DETECT_PYTHON_TIMEOUT`
  /// says otherwise.
  static let defaultTimeout = 30.0

  /// Runs `python` once and reads its answer. An interpreter that has not answered within
  /// `timeout` seconds is killed with everything it started (it runs in a process group of its
  /// own).
  static func probe(_ python: String, path: String?, timeout: Double = defaultTimeout) throws(Failure) -> PythonInfo {
    guard let executable = findExecutable(python, path: path) else { throw .notFound(python) }
    let run: CapturedRun
    do {
      run = try runCapturing(executable, ["-S", "-c", script], timeout: timeout, ownGroup: true)
    } catch {
      throw .failed("\(python) could not be started: \(error)")
    }
    guard run.exit.succeeded else {
      let limit = timeout == timeout.rounded() ? String(Int(timeout)) : String(timeout)
      let why =
        run.timedOut
        ? "did not answer within \(limit) s and was killed with its children; \"python\" is null"
        : "ended with \(run.exit)"
      let said = run.stderrText.split(separator: "\n").last.map { ": \($0)" } ?? ""
      throw .failed("\(python) \(why)\(said)")
    }
    var facts: [String: String] = [:]
    var searchPath: [String] = []
    for line in run.stdoutText.split(separator: "\n") {
      guard let tab = line.firstIndex(of: "\t") else { continue }
      let key = String(line[..<tab])
      let value = String(line[line.index(after: tab)...])
      if key == "path" { searchPath.append(value) } else { facts[key] = value }
    }
    guard let exe = facts["executable"], let version = facts["version"], let tag = facts["tag"],
      let abi = facts["abi"]
    else { throw .failed("\(python) gave an answer that cuda-detect does not understand") }
    return PythonInfo(
      executable: exe.isEmpty ? executable : exe, version: version, tag: tag, abi: abi, searchPath: searchPath)
  }

  /// The first torch distribution on the search path, as the import system would find it.
  static func torch(in searchPath: [String]) -> TorchInfo? {
    for dir in searchPath {
      guard let entries = listDirectoryNames(dir) else { continue }
      guard let metadata = entries.first(where: isTorchMetadata) else { continue }
      let base = "\(dir)/\(metadata)"
      let text =
        readRegularTextFile("\(base)/METADATA") ?? readRegularTextFile("\(base)/PKG-INFO") ?? ""
      let full = headerValue("Version", in: text) ?? versionFromName(metadata)
      guard let full, !full.isEmpty else { continue }
      let plus = full.firstIndex(of: "+")
      let version = plus.map { String(full[..<$0]) } ?? full
      let local = plus.map { String(full[full.index(after: $0)...]) }
      var cuda = local.flatMap { $0.hasPrefix("cu") ? CudaVersion($0) : nil }
      if cuda == nil && !(local ?? "").hasPrefix("cpu") && !(local ?? "").hasPrefix("rocm") {
        cuda = readRegularTextFile("\(dir)/torch/version.py").flatMap(cudaFromVersionFile)
      }
      return TorchInfo(version: version, local: local, cuda: cuda)
    }
    return nil
  }

  static func isTorchMetadata(_ name: String) -> Bool {
    let lower = name.lowercased()
    return lower.hasPrefix("torch-") && (lower.hasSuffix(".dist-info") || lower.hasSuffix(".egg-info"))
  }

  static func versionFromName(_ name: String) -> String? {
    let stem = name.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
    return stem.split(separator: "-").dropFirst().first.map(String.init)
  }

  /// The value of the first `Key: value` header line of a metadata file.
  static func headerValue(_ key: String, in text: String) -> String? {
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line.isEmpty { break }
      if line.hasPrefix(key + ":") { return line.dropFirst(key.count + 1).trimmingSpace() }
    }
    return nil
  }

  /// `cuda: Optional[str] = '12.8'` (or `cuda = '12.8'`) in torch/version.py.
  static func cudaFromVersionFile(_ text: String) -> CudaVersion? {
    for line in text.split(separator: "\n") where line.hasPrefix("cuda") {
      guard let eq = line.firstIndex(of: "=") else { continue }
      let value = line[line.index(after: eq)...].trimmingSpace().filter { $0 != "'" && $0 != "\"" }
      return CudaVersion(value)
    }
    return nil
  }
}
