import Testing

@testable import PipeKit

@Suite struct ArgumentsTests {
  let spec = CommandSpec(
    name: "demo-tool", version: "1.2.3", overview: "Do a demo.", usage: ["[--out DIR] FILE..."],
    arguments: [("FILE", "Input files.")],
    options: [
      OptionSpec(["--out", "-o"], value: "DIR", help: "Where to write."),
      OptionSpec(["--set"], value: "K=V", help: "Repeatable."),
      OptionSpec(["--quiet", "-q"], help: "Quiet."),
    ])

  @Test func formsOfOptionsAndArguments() throws {
    let args = try Arguments.parse(["a", "--out=x", "-q", "--set", "k=1", "-", "--set=k=2", "--", "--b"], spec: spec)
    #expect(args.positionals == ["a", "-", "--b"])
    #expect(args.value("--out") == "x")
    #expect(args.flag("--quiet"))
    #expect(args.values("--set") == ["k=1", "k=2"])
    #expect(try Arguments.parse(["-o", "y"], spec: spec).value("--out") == "y")
  }

  @Test(arguments: [
    (["--nope"], "unknown option '--nope'"),
    (["--out"], "option '--out' needs a value (DIR)"),
    (["--quiet=1"], "option '--quiet' takes no value"),
  ])
  func usageErrors(argv: [String], message: String) {
    #expect(throws: UsageError(message)) { try Arguments.parse(argv, spec: spec) }
  }

  @Test func positionalsRefusedWhenNoneDeclared() {
    var bare = spec
    bare.acceptsArguments = false
    #expect(throws: UsageError("unexpected argument 'x'")) { try Arguments.parse(["x"], spec: bare) }
  }

  @Test func helpHasTheOneSkeleton() throws {
    do {
      _ = try Arguments.parse(["--help"], spec: spec)
      Issue.record("--help should stop parsing")
    } catch let early as EarlyExit {
      let text = early.text
      #expect(text.hasPrefix("OVERVIEW: Do a demo.\n\nUSAGE: demo-tool [--out DIR] FILE...\n"))
      #expect(text.contains("\nARGUMENTS:\n  FILE"))
      #expect(text.contains("  -o, --out DIR           Where to write.\n"))
      #expect(!text.contains("--dump-options"))
      let options = text.components(after: "OPTIONS:")
      #expect(
        options.hasSuffix(
          "  -h, --help              Show help information and exit.\n\nSee demo-tool(1) for the full description.\n"))
    }
  }

  @Test func helpWrapsAt80ColumnsOutsideBrackets() {
    let wide = CommandSpec(
      name: "wide-tool", version: "1", overview: String(repeating: "Overview words. ", count: 8),
      usage: [
        "(--dir DIR | --name NAME) [--python-version X.Y] [--config FILE] [-r FILE] [--installer uv|pip] [options]"
      ],
      options: [OptionSpec(["--long"], value: "X", help: String(repeating: "Help words here. ", count: 8))])
    let lines = wide.helpText.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.filter { $0.count > 80 })")
    #expect(lines.contains("USAGE: wide-tool (--dir DIR | --name NAME) [--python-version X.Y]"))
    #expect(lines.contains("                 [--config FILE] [-r FILE] [--installer uv|pip] [options]"))
    #expect(lines.filter { $0.hasPrefix("          Overview") }.count >= 1)
  }

  @Test func versionAndDumpOptions() throws {
    #expect(throws: EarlyExit.self) { try Arguments.parse(["--version"], spec: spec) }
    do { _ = try Arguments.parse(["--version"], spec: spec) } catch let e as EarlyExit {
      #expect(e.text == "demo-tool 1.2.3\n")
    }
    do { _ = try Arguments.parse(["--dump-options"], spec: spec) } catch let e as EarlyExit {
      #expect(e.text.split(separator: "\n").contains("--set"))
      #expect(e.text.split(separator: "\n").contains("-o"))
    }
  }

  @Test func usageErrorTextPointsToHelp() {
    #expect(
      spec.usageErrorText(UsageError("bad")) == """
        demo-tool: bad
        Usage: demo-tool [--out DIR] FILE...
        See 'demo-tool --help' for more information.

        """)
  }

  @Test func exitStatusKeepsTheMostSevere() {
    var status = ExitStatus()
    #expect(status.code == .success)
    status.note(.failure)
    status.note(.dataError)
    status.note(.failure)
    #expect(status.code == .dataError)
    status.note(.ioError)
    status.note(.unavailable)
    #expect(status.code == .ioError)
  }
}

extension String {
  func components(after marker: String) -> String {
    guard let range = self.firstRange(of: marker) else { return "" }
    return String(self[range.upperBound...])
  }
}
