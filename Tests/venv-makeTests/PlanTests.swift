import PipeKit
import Testing

@testable import venv_make

@Suite struct PlanTests {
  @Test func theFingerprintIgnoresOrder() {
    let a = Plan(
      python: "3.11", requirements: ["b", "a"],
      wheels: [
        .init(name: "x", url: "file:///x.whl", sha256: nil), .init(name: "y", url: "file:///y.whl", sha256: nil),
      ])
    var b = a
    b.requirements.reverse()
    b.wheels.reverse()
    #expect(a.fingerprint == b.fingerprint)
    b.python = "3.12"
    #expect(a.fingerprint != b.fingerprint)
  }

  @Test func projectNamesAreNormalised() {
    let plan = Plan(requirements: ["Foo_Bar[x]>=1; python_version>'3'", "numpy==1.26.4"])
    #expect(plan.projectNames == ["foo-bar", "numpy"])
  }
}
