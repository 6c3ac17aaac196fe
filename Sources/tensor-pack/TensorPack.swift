import PipeKit

/// The command line of tensor-pack: pack files into tensor records, unpack tensor records into
/// files, or sweep orphaned shared-memory segments.
enum TensorPack {
  static let spec = CommandSpec(
    name: "tensor-pack", version: pipeKitVersion,
    overview: "Move tensors between npy, npz, safetensors, latent and PNG files and shared memory.",
    usage: [
      "[--to shm|file|inline] [--mask] [--max-bytes SIZE] [FILE...]",
      "--unpack -o DIR [--format npy|safetensors|latent|png] [--force] [--keep]",
      "--gc [--dry-run] [--older-than SECONDS]",
    ],
    arguments: [
      ("FILE", "Files to pack (.npy .npz .safetensors .latent .png); without FILE, 'file' records on stdin.")
    ],
    options: [
      OptionSpec(["--to"], value: "KIND", help: "Where packed tensors live: shm (default), file (in place), inline."),
      OptionSpec(["--mask"], help: "Split a PNG's alpha into a MASK tensor (1 - alpha, as ComfyUI's LoadImage)."),
      OptionSpec(
        ["--max-bytes"], value: "SIZE",
        help: "What one file may expand to in memory: npz members in all, a PNG's image (default 16G)."),
      OptionSpec(["--unpack", "-u"], help: "Write every tensor found in the input records to a file in DIR."),
      OptionSpec(
        ["--output", "-o"], value: "DIR", help: "With --unpack: the directory to write (created if missing)."),
      OptionSpec(
        ["--format", "-f"], value: "FMT", help: "With --unpack: npy, safetensors, latent or png (default by layout)."),
      OptionSpec(["--force"], help: "With --unpack: replace existing files instead of choosing a new name."),
      OptionSpec(
        ["--keep", "-k"],
        help: "With --unpack: answer a record with itself, each tensor replaced by its file record."),
      OptionSpec(["--gc"], help: "Remove shared-memory segments whose creating process is gone."),
      OptionSpec(["--dry-run", "-n"], help: "With --gc: list the orphaned segments, remove nothing."),
      OptionSpec(
        ["--older-than"], value: "SECONDS",
        help: "With --gc: only segments untouched this long (default 60; 0 takes every orphan)."),
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr."),
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let modes = ["--unpack", "--gc"].filter(arguments.flag)
    if modes.count > 1 { throw UsageError("--unpack and --gc exclude each other") }
    if arguments.value("--older-than") != nil && !arguments.flag("--gc") {
      throw UsageError("--older-than goes with --gc")
    }
    if arguments.flag("--gc") {
      if !arguments.positionals.isEmpty { throw UsageError("--gc takes no FILE arguments") }
      try sweep(tool: tool, dryRun: arguments.flag("--dry-run"), olderThan: gcGrace(arguments))
    } else if arguments.flag("--unpack") {
      if !arguments.positionals.isEmpty {
        throw UsageError("--unpack reads records on stdin and takes no FILE arguments")
      }
      try Unpacker(tool: tool, arguments: arguments).run()
    } else {
      for flag in ["--output", "--format"] where arguments.value(flag) != nil {
        throw UsageError("\(flag) goes with --unpack")
      }
      for flag in ["--force", "--keep"] where arguments.flag(flag) {
        throw UsageError("\(flag) goes with --unpack")
      }
      try Packer(tool: tool, arguments: arguments).run()
    }
  }

  /// `--older-than`: seconds, 60 unless given.
  static func gcGrace(_ arguments: Arguments) throws -> Double {
    guard let text = arguments.value("--older-than") else { return 60 }
    guard let seconds = Double(text), seconds >= 0, seconds.isFinite else {
      throw UsageError("--older-than wants a number of seconds, not '\(text)'")
    }
    return seconds
  }

  static func sweep(tool: Tool, dryRun: Bool, olderThan: Double) throws {
    for path in SharedMemory.sweep(dryRun: dryRun, olderThan: olderThan) {
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
