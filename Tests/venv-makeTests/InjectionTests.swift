import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Nothing in a record, a config or a requirements file reaches the installer as an option.
@Suite(.serialized) struct InjectionTests {
  let scratch = TemporaryDirectory()

  static func requirement(_ spec: String, id: String) -> String {
    JSON.object(["type": "requirement", "spec": .string(spec), "id": .string(id)]).serialized + "\n"
  }

  static let options = [
    "--index-url=http://127.0.0.1:9/evil", "-e .", "-r /etc/passwd", "--target=/tmp/venv-make-evil", "-c x.txt",
    "--extra-index-url http://127.0.0.1:9", "six --index-url=http://127.0.0.1:9", "six\n--target=/tmp/x",
  ]

  /// Each option-like spec gets its own `bad-requirement` record with its id and line; the
  /// other records are still read (the note is forwarded), and nothing is built.
  @Test func requirementRecordsThatAreOptionsAreRefusedOneByOne() throws {
    let target = "\(scratch.path)/never"
    var input = Self.requirement("six", id: "fine")
    for (k, spec) in Self.options.enumerated() { input += Self.requirement(spec, id: "r\(k)") }
    input += #"{"type":"note","text":"after"}"# + "\n"
    for dryRun in [true, false] {
      let run = try VenvFixtures.venvMake(["--dir", target] + (dryRun ? ["--dry-run"] : []), input: input)
      #expect(run.exit == .exited(1), "\(run.stderrText)")
      let errors = run.records.filter { $0.type == "error" }
      #expect(errors.map { $0["id"]?.stringValue ?? "" } == Self.options.indices.map { "r\($0)" })
      #expect(errors.allSatisfy { $0["code"] == "bad-requirement" })
      #expect(errors.map { $0["detail"]?["line"]?.intValue ?? 0 } == Array(2...(Self.options.count + 1)))
      #expect(run.records.contains { $0.type == "note" }, "the other records are still read")
      #expect(run.record("plan") == nil && run.record("venv") == nil)
      #expect(access(target, F_OK) != 0 && access("/tmp/venv-make-evil", F_OK) != 0)
    }
  }

  /// Requirements, direct references and bare VCS URLs pass, and follow `--` on the installer's
  /// command line.
  @Test func realRequirementsFollowDoubleDash() throws {
    let specs = [
      "six==1.16.0", "Requests[socks] >=2.8 ; python_version >= '3.8'",
      "pip @ https://github.com/pypa/pip/archive/1.3.1.zip", "git+https://github.com/pypa/sampleproject.git@main",
    ]
    let input = specs.enumerated().map { Self.requirement($0.element, id: "\($0.offset)") }.joined()
    let run = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/dry", "--dry-run"], input: input)
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    let commands = run.record("plan")?["commands"]?.arrayValue?.compactMap { $0.arrayValue?.compactMap(\.stringValue) }
    let last = try #require(commands?.last)
    let dash = try #require(last.firstIndex(of: "--"))
    #expect(Set(last[(dash + 1)...]) == Set(specs))
  }

  /// A wheel record's name, url or file name cannot become a line or an option of the wheel list.
  @Test func wheelRecordsCannotCarryOptions() throws {
    let good = "file:///w/good-1.0-py3-none-any.whl"
    let records: [JSONObject] = [
      ["type": "wheel", "name": "--index-url=http://127.0.0.1:9", "url": .string(good)],
      ["type": "wheel", "url": "file:///w/x.whl", "filename": "--index-url=http:--evil-1.0-py3-none-any.whl"],
      ["type": "wheel", "name": "good", "url": "file:///w/good.whl\n--index-url http://127.0.0.1:9"],
      ["type": "wheel", "name": "good", "url": "http://h/good.whl --index-url=http://127.0.0.1:9"],
      ["type": "wheel", "name": "good", "url": "-e"],
    ]
    let input = records.enumerated().map { k, record in
      var record = record
      record["id"] = .string("w\(k)")
      return JSON.object(record).serialized + "\n"
    }.joined()
    let run = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/wheels", "--dry-run"], input: input)
    #expect(run.exit == .exited(1), "\(run.stdoutText)")
    let errors = run.records.filter { $0.type == "error" }
    #expect(errors.map { $0["id"]?.stringValue ?? "" } == ["w0", "w1", "w2", "w3", "w4"])
    #expect(errors.allSatisfy { $0["code"] == "bad-record" })
    #expect(run.record("plan") == nil)
  }

  /// A requirements file the user names may not carry options either, on their own line or
  /// after a requirement; a config's requirements are checked like records.
  @Test func requirementsFilesAndConfigsCannotCarryOptions() throws {
    for (k, line) in ["six --index-url=http://127.0.0.1:9", "-e .", "--target /tmp/x", "./local-dir"].enumerated() {
      let file = try scratch.write("req-\(k).txt", "numpy==1.26.4\n\(line)\n")
      let run = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/r", "-r", file, "--dry-run"])
      #expect(run.exit == .exited(1), "\(line): \(run.stdoutText)")
      #expect(run.record("error")?["code"] == "bad-requirements", "\(line)")
      #expect(run.record("error")?["detail"]?["line"] == 2, "\(line)")
      #expect(run.record("plan") == nil, "\(line)")
    }
    let config = try scratch.write(
      "comfy-env.toml", "[packages]\nrequirements = [\"six\", \"--index-url=http://127.0.0.1:9\"]\n")
    let env = #"{"type":"env","os":"linux","arch":"x86_64","glibc":"2.36","python":{"version":"3.11.7"}}"#
    let run = try VenvFixtures.venvMake(
      ["--dir", "\(scratch.path)/c", "--config", config, "--offline", "--dry-run"], input: env + "\n")
    #expect(run.exit == .exited(1), "\(run.stdoutText)")
    #expect(run.records.contains { $0.type == "error" && ($0["message"]?.stringValue ?? "").contains("--index-url") })
    #expect(run.record("plan") == nil)
  }
}
