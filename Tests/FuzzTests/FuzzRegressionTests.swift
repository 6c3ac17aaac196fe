import PipeKit
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Every seed of the fuzz corpus and every input that ever crashed a fuzz target, replayed
/// through the same target bodies `make fuzz` runs: none may trap. A crash `make fuzz` finds is
/// saved under `regressions/<target>/` and fails here until it is fixed.
@Suite struct FuzzRegressionTests {
  static let root = String(#filePath.dropLast("FuzzRegressionTests.swift".count))

  static func inputs(_ target: String) -> [String] {
    ["corpus", "regressions"].flatMap { kind in
      let dir = "\(root)\(kind)/\(target)"
      return (listDirectoryNames(dir) ?? []).map { "\(dir)/\($0)" }
    }
  }

  @Test(arguments: FuzzTargets.all.map(\.name))
  func replaysSeedsAndCrashes(target: String) throws {
    let run = try #require(FuzzTargets.named(target))
    let inputs = Self.inputs(target)
    #expect(!inputs.isEmpty, "target \(target) has no seeds under corpus/\(target)")
    for path in inputs {
      let bytes = try #require(readFileIfPresent(path), "\(path)")
      bytes.withUnsafeBytes { run($0) }
    }
  }

  @Test func everyTargetHasARunnerInTheFuzzBuild() throws {
    let script = try #require(readTextFileIfPresent("\(Self.root)../Fuzz/run.sh"))
    for target in FuzzTargets.all.map(\.name) {
      #expect(script.contains(target), "Tests/Fuzz/run.sh does not run \(target)")
    }
  }
}
