import PipeKit

/// The command line of tensor-pack: pack files into tensor records, unpack tensor records into
/// files, or sweep orphaned shared-memory segments.
enum TensorPack {
  static let spec = CommandSpec(
    name: "tensor-pack", version: pipeKitVersion,
    overview: "Move tensors between npy, npz, safetensors, latent and PNG files and shared memory.",
    usage: [
      "[--to shm|file|inline] [--mask] [FILE...]", "--unpack -o DIR [--format npy|safetensors|latent|png] [--force]",
      "--gc [--dry-run]",
    ],
    arguments: [
      ("FILE", "Files to pack (.npy .npz .safetensors .latent .png); without FILE, 'file' records on stdin.")
    ],
    options: [
      OptionSpec(["--to"], value: "KIND", help: "Where packed tensors live: shm (default), file (in place), inline."),
      OptionSpec(["--mask"], help: "Split a PNG's alpha into a MASK tensor (1 - alpha, as ComfyUI's LoadImage)."),
      OptionSpec(["--unpack", "-u"], help: "Write every tensor found in the input records to a file in DIR."),
      OptionSpec(
        ["--output", "-o"], value: "DIR", help: "With --unpack: the directory to write (created if missing)."),
      OptionSpec(
        ["--format", "-f"], value: "FMT", help: "With --unpack: npy, safetensors, latent or png (default by layout)."),
      OptionSpec(["--force"], help: "With --unpack: replace existing files instead of choosing a new name."),
      OptionSpec(["--gc"], help: "Remove shared-memory segments whose creating process is gone."),
      OptionSpec(["--dry-run", "-n"], help: "With --gc: list the orphaned segments, remove nothing."),
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let modes = ["--unpack", "--gc"].filter(arguments.flag)
    if modes.count > 1 { throw UsageError("--unpack and --gc exclude each other") }
    if arguments.flag("--gc") {
      if !arguments.positionals.isEmpty { throw UsageError("--gc takes no FILE arguments") }
      sweep(tool: tool, dryRun: arguments.flag("--dry-run"))
    } else if arguments.flag("--unpack") {
      if !arguments.positionals.isEmpty {
        throw UsageError("--unpack reads records on stdin and takes no FILE arguments")
      }
      try Unpacker(tool: tool, arguments: arguments).run()
    } else {
      for flag in ["--output", "--format"] where arguments.value(flag) != nil {
        throw UsageError("\(flag) goes with --unpack")
      }
      try Packer(tool: tool, arguments: arguments).run()
    }
  }

  static func sweep(tool: Tool, dryRun: Bool) {
    for path in SharedMemory.sweep(dryRun: dryRun) {
      tool.diagnostics.note(dryRun ? "orphaned: \(path)" : "removed \(path)")
    }
  }
}

extension TensorFormatError {
  /// The error record for a failed item.
  func record(id: JSON?, file: String?) -> ErrorRecord {
    ErrorRecord(code: kind.rawValue, message: message, id: id, detail: file.map { ["path": .string($0)] })
  }
}
