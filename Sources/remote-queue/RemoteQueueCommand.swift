import ComfyRemote
import PipeHTTP
import PipeKit

/// The command line of remote-queue.
public enum RemoteQueueCommand {
  public static let spec = CommandSpec(
    name: "remote-queue", version: pipeKitVersion,
    overview: "Queue API-format ComfyUI workflows on one or many servers and write a job record for each.",
    usage: [
      "[--to ADDRESS ...] [--set NODE.INPUT=JSON ...] [--template FILE] [--count N] [options] [FILE ...]",
      "--cancel [--header NAME:VALUE ...] < jobs.ndjson",
    ],
    arguments: [
      ("FILE", "A workflow file (API format, or a workflow record) to queue instead of reading standard input.")
    ],
    options: [
      OptionSpec(
        ["--to"], value: "ADDRESS",
        help:
          "A server, as host:port, host:first-last, [v6]:port or http(s)://host:port/prefix; comma lists; repeatable (default: $COMFY_REMOTE)."
      ),
      OptionSpec(
        ["--header", "-H"], value: "NAME:VALUE",
        help: "Send this header with every request (never printed); repeatable."),
      OptionSpec(
        ["--input-dir"], value: "DIR",
        help: "Where the local files that loader nodes name are found; they are uploaded before queueing."),
      OptionSpec(
        ["--set"], value: "NODE.INPUT=JSON",
        help:
          "Set an input of the node with this id or _meta.title to a JSON value (plain text if not JSON); repeatable."
      ),
      OptionSpec(
        ["--template"], value: "FILE",
        help: "Queue this workflow once per input record without a type, with the record's set object applied."),
      OptionSpec(["--count"], value: "N", help: "Queue N variants of every workflow (default 1)."),
      OptionSpec(
        ["--seed-step"], value: "K", help: "Variant i adds i*K to every seed and noise_seed input (default 1)."),
      OptionSpec(["--client-id"], value: "ID", help: "The client_id to post with (default: a new UUID per run)."),
      OptionSpec(["--no-carry"], help: "Leave the prompt out of job records."),
      OptionSpec(
        ["--cancel"],
        help: "Read job records and cancel those jobs: delete pending ones, interrupt running ones."),
    ] + QueueSettings.httpDefaults.optionSpecs(timeoutNames: ["--request-timeout", "--timeout"]) + [
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr.")
    ])

  public static func run(tool: Tool, arguments: Arguments) throws {
    let settings = try QueueSettings(arguments: arguments, environment: Environment.current)
    tool.output.flushesEachRecord = true
    if settings.cancel {
      try Canceller(tool: tool, settings: settings).run()
    } else {
      var queuer = Queuer(tool: tool, settings: settings)
      try queuer.run()
    }
  }
}
