#if canImport(Glibc)
  import Glibc
#endif

/// A running tool: its output stream, its diagnostics and its exit status.
///
/// `Tool.main` is the whole life of a process: it parses the command line, runs the tool's body,
/// and decides the exit status once at the end from what happened.
public final class Tool: @unchecked Sendable {
  public let spec: CommandSpec
  public let output: RecordWriter
  public let diagnostics: Diagnostics
  private let lock = Lock()
  private var exitStatus = ExitStatus()

  public var name: String { spec.name }
  public var status: ExitCode { lock.withLock { exitStatus.code } }

  public init(spec: CommandSpec, output: RecordWriter = RecordWriter(), diagnostics: Diagnostics? = nil) {
    self.spec = spec
    self.output = output
    self.diagnostics = diagnostics ?? Diagnostics(tool: spec.name)
  }

  /// Writes a record to stdout.
  public func emit(_ record: JSONObject) { output.write(record) }

  /// Notes an exit status without writing anything.
  public func note(_ code: ExitCode) { lock.withLock { exitStatus.note(code) } }

  /// Reports a failed item: an `error` record on stdout, one line on stderr, and its exit status.
  public func report(_ error: ErrorRecord, at position: String? = nil) {
    emit(error.record(tool: name))
    diagnose(error, at: position)
  }

  /// Reports a failed item whose `error` record the caller writes itself (inside another
  /// record, say): the line on stderr and the exit status.
  public func diagnose(_ error: ErrorRecord, at position: String? = nil) {
    let place = position.map { " (at \($0))" } ?? ""
    diagnostics.error("error\(place): \(error.message)")
    note(error.exit)
  }

  /// Input records from `fd`, read leniently; output is flushed before each blocking read.
  public func records(from fd: FileDescriptor = .standardInput) -> RecordReader {
    RecordReader(fd: fd, beforeRead: { [output] in output.flush() })
  }

  /// Reports an input line that is not a record (`bad-record`, exit 65).
  public func reportInvalid(line: Int, reason: String, source: String = "<stdin>") {
    report(
      ErrorRecord(
        code: "bad-record", message: "input line \(line) is not a JSON record: \(reason)",
        detail: ["line": .int(line), "source": .string(source)], exit: .dataError),
      at: "\(source):\(line)")
  }

  /// Runs a tool: parses `CommandLine.arguments`, calls `body`, then flushes, checks the output
  /// and exits with the status decided from everything that happened.
  public static func main(_ spec: CommandSpec, _ body: (Tool, Arguments) throws -> Void) -> Never {
    Termination.install()
    let arguments: Arguments
    do {
      arguments = try Arguments.parse(Array(CommandLine.arguments.dropFirst()), spec: spec)
    } catch let early as EarlyExit {
      // `--help` and `--version` write to stdout like any output: a failed write is exit 74.
      do {
        try FileDescriptor.standardOutput.writeAll(early.text)
      } catch {
        Diagnostics(tool: spec.name).error("error: writing output failed: \(error)")
        exit(ExitCode.ioError.rawValue)
      }
      exit(ExitCode.success.rawValue)
    } catch let usage as UsageError {
      try? FileDescriptor.standardError.writeAll(spec.usageErrorText(usage))
      exit(ExitCode.usage.rawValue)
    } catch {
      exit(ExitCode.software.rawValue)
    }
    let tool = Tool(spec: spec)
    tool.diagnostics.quiet = arguments.flag("--quiet")
    exit(tool.run(arguments, body).rawValue)
  }

  /// Runs `body` and returns the exit status; a thrown `ErrorRecord` ends the run as one failed
  /// item, a `UsageError` as a usage error, anything else as an internal error.
  public func run(_ arguments: Arguments, _ body: (Tool, Arguments) throws -> Void) -> ExitCode {
    do {
      try body(self, arguments)
    } catch let error as ErrorRecord {
      report(error)
    } catch let usage as UsageError {
      output.flush()
      try? FileDescriptor.standardError.writeAll(spec.usageErrorText(usage))
      note(.usage)
    } catch {
      report(ErrorRecord(code: "internal", message: "internal error: \(error)", exit: .software))
    }
    diagnostics.clearProgress()
    output.flush()
    if let failure = output.failure {
      diagnostics.error("error: writing output failed: \(failure.reason)")
      note(.ioError)
    }
    return status
  }
}
