import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// Runs installer commands, their output kept for the error record (stdout is for records).
///
/// The output reaches venv-make's stderr only when the installer fails (unless `--quiet`), or
/// with `--verbose`: then on a terminal the installer writes straight to it, so its progress
/// shows, and elsewhere its output is copied through as it comes.
struct InstallerRun {
  let diagnostics: Diagnostics
  /// `--verbose`: each command and the installer's own output on stderr as they come.
  let verbose: Bool
  /// Descriptors the installer inherits (the target's lock, so that an installer left behind by
  /// a killed venv-make still holds it).
  var inherited: [FileDescriptor] = []

  /// Writes the command's files, runs it and throws an `install-failed` error record carrying
  /// the installer's own message when it fails.
  func run(_ command: InstallerCommand, step: String) throws(ErrorRecord) {
    for (path, text) in command.files {
      do {
        try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC).closeAfter { try $0.writeAll(text) }
      } catch {
        throw ErrorRecord(code: "io-error", message: "cannot write \(path): \(error)")
      }
    }
    if verbose { diagnostics.note("\(step): \(command.argv.joined(separator: " "))") }
    let (exit, output): (ProcessExit, String)
    do {
      (exit, output) = try execute(command.argv)
    } catch {
      throw ErrorRecord(
        code: "no-installer", message: "cannot start \(command.argv[0]): \(error)", exit: .unavailable)
    }
    guard exit.succeeded else {
      if !verbose && !diagnostics.quiet && !output.isEmpty {
        diagnostics.error("\(step) failed: \(command.argv.joined(separator: " ")); the installer said:")
        try? FileDescriptor.standardError.writeAll(output.hasSuffix("\n") ? output : output + "\n")
      }
      let lines = output.split(separator: "\n").map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
      let said = lines.suffix(6).joined(separator: " | ")
      throw ErrorRecord(
        code: "install-failed",
        message: "\(step) failed (\(exit))\(said.isEmpty ? "" : ": \(said)"); the previous env was left as it was",
        detail: [
          "command": .array(command.argv.map(JSON.string)), "exit": .string(exit.description),
          "output": .string(output),
        ])
    }
  }

  /// Starts `argv` with stdout and stderr to one pipe (or the terminal) and waits for it.
  func execute(_ argv: [String]) throws -> (ProcessExit, String) {
    // The inherited descriptors become the child's 3, 4, …
    let passed = Dictionary(uniqueKeysWithValues: inherited.enumerated().map { (Int32(3 + $0.offset), $0.element) })
    if verbose && diagnostics.showsProgress {
      let child = try ChildProcess.spawn(
        argv[0], arguments: Array(argv.dropFirst()),
        redirect: passed.merging([1: .standardError, 2: .standardError]) { $1 })
      return (try child.wait(), "")
    }
    let pipe = try FileDescriptor.pipe()
    let null = try FileDescriptor.open("/dev/null", O_RDONLY)
    let child: ChildProcess
    do {
      defer {
        pipe.write.close()
        null.close()
      }
      child = try ChildProcess.spawn(
        argv[0], arguments: Array(argv.dropFirst()),
        redirect: passed.merging([0: null, 1: pipe.write, 2: pipe.write]) { $1 })
    } catch {
      pipe.read.close()
      throw error
    }
    var kept: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 14)
    while let n = try? chunk.withUnsafeMutableBytes({ try pipe.read.read(into: $0) }), n > 0 {
      if verbose { try? FileDescriptor.standardError.writeAll(Array(chunk[0..<n])) }
      kept.append(contentsOf: chunk[0..<n])
      if kept.count > 64 << 10 { kept.removeFirst(kept.count - (32 << 10)) }
    }
    pipe.read.close()
    return (try child.wait(), String(decoding: kept, as: UTF8.self))
  }
}
