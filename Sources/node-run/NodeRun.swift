import PipeKit

/// The command line of node-run: call records (or wrapped tensor records) in, result and error
/// records out, through persistent Python workers in the node's own venv.
enum NodeRun {
  static let spec = CommandSpec(
    name: "node-run", version: pipeKitVersion,
    overview: "Run a ComfyUI node's Python method in a persistent worker inside its own venv, tensors zero-copy.",
    usage: [
      "(--venv DIR | --python PATH) [--path DIR]... (--node MODULE:CLASS [--method NAME] | --call MODULE:FUNCTION)",
      "... --input NAME [--arg NAME=JSON]...", "--print-host-module",
    ],
    options: [
      OptionSpec(["--venv"], value: "DIR", help: "The venv whose bin/python runs the worker."),
      OptionSpec(["--python"], value: "PATH", help: "The interpreter that runs the worker (instead of --venv)."),
      OptionSpec(["--path"], value: "DIR", help: "A directory put on the worker's sys.path (repeatable)."),
      OptionSpec(["--node"], value: "MODULE:CLASS", help: "The node class; each call runs its FUNCTION method."),
      OptionSpec(["--method"], value: "NAME", help: "With --node: the method to call instead of FUNCTION."),
      OptionSpec(["--call"], value: "MODULE:FUNCTION", help: "A plain function to call instead of a node class."),
      OptionSpec(["--input"], value: "NAME", help: "Turn each incoming tensor record into a call with this argument."),
      OptionSpec(["--arg"], value: "NAME=JSON", help: "An argument added to every call (repeatable)."),
      OptionSpec(["--tensors"], value: "KIND", help: "What tensor arguments become: numpy (default) or torch."),
      OptionSpec(["--allow-pickle"], help: "Pass values that are not JSON or tensors as pickles (trusted code only)."),
      OptionSpec(
        ["--keep-objects"], help: "Keep outputs that are not JSON or tensors in the worker; answer with handles."),
      OptionSpec(
        ["--call-timeout", "--timeout"], value: "SECONDS", help: "Kill and replace a worker whose call takes longer."),
      OptionSpec(["--workers", "-j"], value: "N", help: "Run up to N workers at once (default 1)."),
      OptionSpec(["--progress-records"], help: "Write the node's progress as progress records on stdout."),
      OptionSpec(["--models-dir"], value: "DIR", help: "folder_paths.models_dir for nodes that use the stand-in."),
      OptionSpec(["--output-dir"], value: "DIR", help: "folder_paths' output directory."),
      OptionSpec(["--input-dir"], value: "DIR", help: "folder_paths' input directory."),
      OptionSpec(["--temp-dir"], value: "DIR", help: "folder_paths' temp directory."),
      OptionSpec(
        ["--folders"], value: "JSON",
        help:
          "ComfyUI's folders as the host module passes them: its folder_paths.py (file), base, models, output, input, temp, user, folder_names_and_paths."
      ),
      OptionSpec(["--print-host-module"], help: "Print the ComfyUI host module (comfy_pipes_host.py) and exit."),
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    if arguments.flag("--print-host-module") {
      do {
        try FileDescriptor.standardOutput.writeAll(PythonSources.hostModule)
      } catch {
        tool.diagnostics.error("error: writing output failed: \(error)")
        tool.note(.ioError)
      }
      return
    }
    let options = try RunOptions(arguments)
    // A venv without Python still gets every record answered: calls get this error, by id.
    var missing: ErrorRecord? = nil
    var interpreter: String? = nil
    do {
      interpreter = try options.interpreterFromFlags()
    } catch let error as ErrorRecord {
      missing = error
      tool.diagnose(error)
    }
    let pool = WorkerPool(tool: tool, options: options, interpreter: interpreter)
    var current = interpreter
    // Between calls, stdin is polled briefly before a blocking read: a caller waiting on each
    // result sends its next call within microseconds (a slow caller is not polled for).
    let stdinSpin = AdaptiveSpin(seconds: FrameReader.spinSeconds)
    let input = RecordReader(
      fd: .standardInput,
      beforeRead: {
        tool.output.flush()
        stdinSpin.wait(for: .standardInput)
      })
    for item in input {
      switch item {
      case .record(let record, let line):
        switch record.type {
        case "call":
          submit(
            tool: tool, pool: pool, missing: missing,
            Result { () throws(ErrorRecord) in try CallRequest(call: record, line: line, options: options) })
        case "tensor" where options.inputName != nil:
          submit(
            tool: tool, pool: pool, missing: missing,
            Result { () throws(ErrorRecord) in try CallRequest(tensor: record, line: line, options: options) })
        case "venv":
          tool.emit(record)
          guard options.pythonFlag == nil, options.venvFlag == nil else { continue }
          switch Interpreter.fromVenvRecord(record) {
          case .success(let python) where python != current:
            pool.switchInterpreter(python)
            current = python
          case .failure(let error): tool.report(error, at: "<stdin>:\(line)")
          default: break
          }
        default:
          tool.emit(record)
        }
      case .invalid(let line, let reason):
        tool.reportInvalid(line: line, reason: reason)
      }
    }
    pool.finish()
  }

  static func submit(tool: Tool, pool: WorkerPool, missing: ErrorRecord?, _ call: Result<CallRequest, ErrorRecord>) {
    switch call {
    case .success(let call) where missing != nil:
      call.releaseInputs()
      var error = missing!
      error.id = call.id
      tool.emit(error.record(tool: tool.name))
      tool.note(error.exit)
    case .success(let call): pool.submit(call)
    case .failure(let error): tool.report(error, at: error.detail?["line"]?.intValue.map { "<stdin>:\($0)" })
    }
  }
}
