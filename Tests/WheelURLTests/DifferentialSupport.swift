import PipeKit
import TestSupport
import Testing

/// Differential testing against the reference implementations: cases generated from a seed,
/// answered by Python's `packaging` and `tomllib` (through `PIPES_TEST_PYTHON`) and by the kit,
/// and compared. A failure names the seed; `PIPES_DIFF_SEED=N` replays it.
enum Differential {
  static let python = Environment.current["PIPES_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
  static let skipReason: Comment =
    "PIPES_TEST_PYTHON is not set or lacks packaging; point it at the test venv (make test installs packaging there)"
  static let tomlSkipReason: Comment = "PIPES_TEST_PYTHON is not set or has no tomllib (Python 3.11 or later)"

  /// Whether the test python can import `module` (run isolated, as the reference runs).
  static func has(_ module: String) -> Bool {
    guard let python else { return false }
    return (try? runCapturing(python, ["-I", "-c", "import \(module)"], timeout: 60))?.exit == .exited(0)
  }
  static let hasPackaging = has("packaging")
  static let hasTomllib = has("tomllib")

  /// The seed of a suite: `PIPES_DIFF_SEED` when set, else the suite's fixed default.
  static func seed(default value: UInt64) -> UInt64 {
    Environment.current["PIPES_DIFF_SEED"].flatMap { UInt64($0) } ?? value
  }

  /// Runs the reference script on `cases` and returns its answers, one per case.
  static func reference(_ kind: String, _ cases: [JSON]) throws -> [JSON] {
    guard let python else { throw DifferentialError("PIPES_TEST_PYTHON is not set") }
    // A directory of the call's own, gone when the call returns, pass or fail.
    let scratch = TemporaryDirectory()
    defer { withExtendedLifetime(scratch) {} }
    let input = try scratch.write("\(kind).json", JSON.array(cases).serialized)
    // -I: the repository's own `packaging/` folder must not shadow the library.
    let run = try runCapturing(python, ["-I", "-c", script, kind, input], timeout: 120)
    guard run.exit == .exited(0) else {
      throw DifferentialError("reference \(kind) failed: \(run.stderrText.suffix(2000))")
    }
    guard let answers = try JSON.parse(run.stdoutText).arrayValue, answers.count == cases.count else {
      throw DifferentialError("reference \(kind) gave no answer per case")
    }
    return answers
  }

  static let script = #"""
    import json, sys
    kind, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)
    out = []
    if kind in ("version", "order", "specifier"):
        from packaging.version import Version, InvalidVersion
        from packaging.specifiers import SpecifierSet, InvalidSpecifier
    if kind == "version":
        for text in cases:
            try:
                out.append(str(Version(text)))
            except InvalidVersion:
                out.append(None)
    elif kind == "order":
        for a, b in cases:
            va, vb = Version(a), Version(b)
            out.append((va > vb) - (va < vb))
    elif kind == "specifier":
        for spec, candidates in cases:
            try:
                s = SpecifierSet(spec)
            except InvalidSpecifier:
                out.append(None)
                continue
            out.append([[s.contains(c, prereleases=True) for c in candidates], list(s.filter(candidates))])
    elif kind == "wheel":
        from packaging.utils import parse_wheel_filename, InvalidWheelFilename
        for name in cases:
            try:
                n, v, b, tags = parse_wheel_filename(name)
            except InvalidWheelFilename:
                out.append(None)
                continue
            out.append([n, str(v), [str(b[0]), b[1]] if b else None, sorted(str(t) for t in tags)])
    elif kind == "tags":
        from packaging import tags as T
        from packaging.tags import _manylinux as M
        M._have_compatible_abi = lambda executable, archs: True
        M._is_compatible = lambda arch, version: True
        for minor, glibc, arch in cases:
            M._get_glibc_version = lambda g=glibc: (2, g)
            platforms = list(M.platform_tags([arch])) + ["linux_" + arch]
            interpreter = "cp3%d" % minor
            tags = list(T.cpython_tags((3, minor), abis=[interpreter], platforms=platforms))
            tags += list(T.compatible_tags((3, minor), interpreter, platforms))
            out.append([platforms, [str(t) for t in dict.fromkeys(tags)]])
    elif kind == "toml":
        import tomllib, datetime
        def conv(x):
            if isinstance(x, bool):
                return x
            if isinstance(x, int):
                return {"int": str(x)}
            if isinstance(x, float):
                return {"float": repr(x)}
            if isinstance(x, dict):
                return {"table": [[k, conv(v)] for k, v in x.items()]}
            if isinstance(x, list):
                return [conv(v) for v in x]
            if isinstance(x, str):
                return x
            return {"other": str(x)}
        for text in cases:
            try:
                out.append({"ok": conv(tomllib.loads(text))})
            except tomllib.TOMLDecodeError:
                out.append(None)
    json.dump(out, sys.stdout)
    """#
}

struct DifferentialError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// SplitMix64: small, fast and the same on every platform, so a seed reproduces its cases.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }
  mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
  mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
}
