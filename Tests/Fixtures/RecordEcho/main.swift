import PipeKit

// A tool used only by the tests: it forwards every record it reads, reports lines that are not
// records, and with `--repeat N` writes each record N times (to fill a pipe).
let spec = CommandSpec(
  name: "record-echo", version: pipeKitVersion, overview: "Forward records (a test fixture).",
  usage: ["[--repeat N] [--fail-type TYPE]"],
  options: [
    OptionSpec(["--repeat"], value: "N", help: "Write each record N times."),
    OptionSpec(["--fail-type"], value: "TYPE", help: "Answer records of this type with an error record."),
    OptionSpec(["--quiet", "-q"], help: "No notes."),
  ])

Tool.main(spec) { tool, arguments in
  guard let times = Int(arguments.value("--repeat") ?? "1"), times >= 0 else {
    throw UsageError("--repeat needs a whole number")
  }
  let failType = arguments.value("--fail-type")
  for item in tool.records() {
    switch item {
    case .record(let record, let line):
      if let failType, record.type == failType {
        tool.report(
          ErrorRecord(code: "refused", message: "record of type \(failType) refused", id: record["id"]),
          at: "<stdin>:\(line)")
        continue
      }
      for _ in 0..<times { tool.emit(record) }
    case .invalid(let line, let reason):
      tool.reportInvalid(line: line, reason: reason)
    }
  }
}
