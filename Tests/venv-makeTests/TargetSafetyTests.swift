import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// What `--dir` may replace: venv-make's own env, a venv or an empty directory. Anything else is
/// refused with `not-a-venv` (exit 64) and left exactly as it was.
@Suite(.serialized) struct TargetSafetyTests {
  let scratch = TemporaryDirectory()
  var python: String { VenvFixtures.python }

  /// A directory of the user's files: `notes.txt` and `work/data.txt`.
  func userFiles(_ name: String) throws -> String {
    try scratch.write("\(name)/notes.txt", "mine\n")
    try scratch.write("\(name)/work/data.txt", "also mine\n")
    return "\(scratch.path)/\(name)"
  }

  func intact(_ directory: String) -> Bool {
    readTextFileIfPresent("\(directory)/notes.txt") == "mine\n"
      && readTextFileIfPresent("\(directory)/work/data.txt") == "also mine\n"
      && (listDirectoryNames(directory) ?? []).sorted() == ["notes.txt", "work"]
  }

  /// Checks a refused run: exit 64, one `not-a-venv` record, stdin not read (its record neither
  /// forwarded nor consumed), and nothing made beside the target.
  func expectRefused(_ run: CapturedRun, found: String, beside parent: String, before: [String]) {
    #expect(run.exit == .exited(64), "\(run.stderrText)")
    #expect(run.records.map(\.type) == ["error"], "\(run.stdoutText)")
    let error = run.record("error")
    #expect(error?["code"] == "not-a-venv")
    #expect(error?["detail"]?["found"]?.stringValue == found)
    #expect(error?["message"]?.stringValue?.contains("Nothing was changed") == true)
    #expect(run.stderrText.contains("refusing to replace"), "\(run.stderrText)")
    #expect(run.stderrText.hasSuffix("See 'venv-make --help' for more information.\n"), "as after a usage error")
    #expect((listDirectoryNames(parent) ?? []).sorted() == before, "no lock, build or parked env beside it")
  }

  static let input = #"{"type":"note","text":"not read"}"# + "\n"

  @Test func aDirectoryOfUserFilesIsRefusedAndUntouched() throws {
    let mine = try userFiles("mine")
    let before = (listDirectoryNames(scratch.path) ?? []).sorted()
    let run = try VenvFixtures.venvMake(["--dir", mine, "--python", python], input: Self.input)
    expectRefused(run, found: "directory", beside: scratch.path, before: before)
    #expect(intact(mine))
  }

  @Test func dotAndHomeAreRefused() throws {
    let home = try userFiles("home")
    let before = (listDirectoryNames(scratch.path) ?? []).sorted()
    for command in [
      "cd \"$HOME\" && venv-make --dir .", "venv-make --dir \"$HOME\"", "venv-make --dir \"$HOME/work/..\"",
    ] {
      let run = try Products.shell(
        "\(command) --python \(python) < /dev/null",
        environment: VenvFixtures.environment.merging(["HOME": home]) { $1 })
      expectRefused(run, found: "directory", beside: scratch.path, before: before)
      #expect(run.record("error")?["detail"]?["path"]?.stringValue == home, "\(command)")
      #expect(intact(home), "\(command)")
    }
  }

  @Test func theRootIsRefusedEvenInADryRun() throws {
    for dir in ["/", "/tmp/.."] {
      let run = try VenvFixtures.venvMake(["--dir", dir, "--dry-run"], input: Self.input)
      #expect(run.exit == .exited(64), "\(run.stdoutText)")
      #expect(run.record("error")?["code"] == "not-a-venv" && run.record("plan") == nil)
      #expect(run.record("error")?["detail"]?["found"] == "root")
    }
  }

  @Test func aRegularFileIsRefused() throws {
    let file = try scratch.write("file-target", "precious\n")
    let before = (listDirectoryNames(scratch.path) ?? []).sorted()
    let run = try VenvFixtures.venvMake(["--dir", file, "--python", python], input: Self.input)
    expectRefused(run, found: "file", beside: scratch.path, before: before)
    #expect(readTextFileIfPresent(file) == "precious\n")
  }

  /// `--dir a/b/env` where `a` does not exist: the directories are made, as `uv venv` makes
  /// them (a dry run makes nothing); a parent that is a file is an io-error that names it.
  @Test func missingParentDirectoriesAreMade() throws {
    let env = "\(scratch.path)/new/deeper/env"
    let plan = try VenvFixtures.venvMake(["--dir", env, "--python", python, "--dry-run"], input: "")
    #expect(plan.exit == .exited(0), "\(plan.stderrText)")
    #expect(access("\(scratch.path)/new", F_OK) != 0, "a dry run makes nothing")
    let run = try VenvFixtures.venvMake(["--dir", env, "--python", python], input: "")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(try VenvFixtures.pythonSays("\(env)/bin/python", "print('ok')") == "ok")
    #expect((listDirectoryNames("\(scratch.path)/new/deeper") ?? []) == ["env"], "no lock or build left beside it")

    try scratch.write("plain-file", "precious\n")
    let blocked = try VenvFixtures.venvMake(["--dir", "\(scratch.path)/plain-file/env", "--python", python], input: "")
    #expect(blocked.exit == .exited(74), "\(blocked.stderrText)")
    #expect(blocked.record("error")?["code"] == "io-error")
    #expect(
      blocked.record("error")?["message"]?.stringValue?.hasPrefix(
        "cannot make \(scratch.path)/plain-file, the directory the env goes in") == true, "\(blocked.stdoutText)")
    #expect(readTextFileIfPresent("\(scratch.path)/plain-file") == "precious\n")
  }

  /// A link is neither followed (its target's files stay) nor replaced (the link stays), even
  /// when it points at an env venv-make built.
  @Test func aSymbolicLinkIsRefusedAndKept() throws {
    let victim = try userFiles("victim")
    let env = "\(scratch.path)/real-env"
    #expect(try VenvFixtures.venvMake(["--dir", env, "--python", python], input: "").exit == .exited(0))
    let links = try scratch.directory("links")
    for (name, destination) in [("to-files", victim), ("to-env", env), ("dangling", "\(scratch.path)/nowhere")] {
      #expect(symlink(destination, "\(links)/\(name)") == 0)
      let before = (listDirectoryNames(links) ?? []).sorted()
      let run = try VenvFixtures.venvMake(["--dir", "\(links)/\(name)", "--python", python], input: Self.input)
      expectRefused(run, found: "symlink", beside: links, before: before)
      var buffer = [UInt8](repeating: 0, count: 4096)
      let count = buffer.withUnsafeMutableBufferPointer {
        $0.withMemoryRebound(to: CChar.self) { readlink("\(links)/\(name)", $0.baseAddress!, 4095) }
      }
      #expect(count > 0 && String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self) == destination, "\(name)")
    }
    #expect(intact(victim))
    #expect(access("\(scratch.path)/nowhere", F_OK) != 0, "nothing created through the dangling link")
    #expect(try VenvFixtures.pythonSays("\(env)/bin/python", "print('ok')") == "ok")
  }

  /// An empty directory, a venv made by uv, and venv-make's own env are replaced; a venv made
  /// in a project's directory (`python -m venv .`) holds the project too, and is refused.
  @Test func anEmptyDirectoryAndVenvsAreReplaced() throws {
    let empty = try scratch.directory("empty")
    let made = try VenvFixtures.venvMake(["--dir", empty, "--python", python], input: "")
    #expect(made.exit == .exited(0), "\(made.stderrText)")
    #expect(made.record("venv")?["changed"] == true)
    let again = try VenvFixtures.venvMake(
      ["--dir", empty, "--python", python], input: #"{"type":"requirement","spec":"six==1.16.0"}"# + "\n")
    #expect(again.exit == .exited(0) && again.record("venv")?["changed"] == true, "\(again.stderrText)")

    let plain = "\(scratch.path)/uv-venv"
    let uv = try runCapturing("uv", ["venv", "-q", "--python", python, plain], environment: mergedEnvironment())
    #expect(uv.exit.succeeded, "\(uv.stderrText)")
    let replaced = try VenvFixtures.venvMake(["--dir", plain, "--python", python], input: "")
    #expect(replaced.exit == .exited(0), "\(replaced.stderrText)")

    let project = try userFiles("project")
    let venv = try runCapturing(
      "uv", ["venv", "-q", "--allow-existing", "--python", python, project], environment: mergedEnvironment())
    #expect(venv.exit.succeeded, "\(venv.stderrText)")
    let refused = try VenvFixtures.venvMake(["--dir", project, "--python", python], input: "")
    #expect(refused.exit == .exited(64))
    #expect(refused.record("error")?["message"]?.stringValue?.contains("'notes.txt'") == true)
    #expect(readTextFileIfPresent("\(project)/notes.txt") == "mine\n")
    #expect(access("\(project)/pyvenv.cfg", F_OK) == 0)
  }

  /// The clean-up of killed runs removes only the names venv-make makes, and links among them
  /// are removed, not followed; a link is never restored as the env.
  @Test func theCleanUpRemovesOnlyItsOwnLeftovers() throws {
    let victim = try userFiles("cleanup-victim")
    let parent = try scratch.directory("cleanup")
    #expect(symlink(victim, "\(parent)/.env.venv-make-build.tmp") == 0)
    #expect(symlink(victim, "\(parent)/.env.venv-make-old.4242") == 0)
    try scratch.write("cleanup/.env.venv-make-build.notes/mine.txt", "mine\n")
    try scratch.write("cleanup/.env.venv-make-old.backup", "mine\n")
    // A killed old-style build, holding a name that is not UTF-8: removed all the same.
    let killed = try scratch.directory("cleanup/.env.venv-make-build.77/sub")
    let script = "import sys, os; open(os.fsencode(sys.argv[1]) + b'/\\xff', 'w')"
    let odd = try runCapturing("python3", ["-c", script, killed])
    #expect(odd.exit.succeeded, "\(odd.stderrText)")
    let run = try VenvFixtures.venvMake(["--dir", "\(parent)/env", "--python", python], input: "")
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    #expect(intact(victim))
    #expect(!isLink("\(parent)/env"), "the parked link was not restored as the env")
    #expect(access("\(parent)/env/pyvenv.cfg", F_OK) == 0)
    let left = (listDirectoryNames(parent) ?? []).sorted()
    #expect(left == [".env.venv-make-build.notes", ".env.venv-make-old.backup", "env"], "nor the lock file")
    #expect(readTextFileIfPresent("\(parent)/.env.venv-make-build.notes/mine.txt") == "mine\n")
  }

  /// What is at the target is checked again just before the swap: user files put there while
  /// the build ran are not swapped out, and the build is removed.
  @Test func filesPutAtTheTargetDuringTheBuildAreKept() throws {
    let parent = try scratch.directory("late")
    let target = "\(parent)/env"
    let build = "\(parent)/.env.venv-make-build.tmp"
    let child = try VenvFixtures.start(
      ["--dir", target, "--python", python], input: #"{"type":"requirement","spec":"numpy==1.26.4"}"# + "\n",
      scratch: scratch)
    let reached = VenvFixtures.waitFor(120) { access("\(build)/pyvenv.cfg", F_OK) == 0 }
    _ = try userFiles("late/env")
    #expect(reached && access("\(target)/pyvenv.cfg", F_OK) != 0, "the files came while the build ran")
    #expect(try child.wait() == .exited(64))
    #expect(intact(target))
    #expect((listDirectoryNames(parent) ?? []).sorted() == ["env"], "the build and the lock are gone")
  }

  /// The lock file is not opened through a link planted at its name: nothing is created or
  /// locked where the link points, and nothing is built.
  @Test func aLinkAtTheLocksNameIsNotFollowed() throws {
    let parent = try scratch.directory("planted")
    #expect(symlink("\(scratch.path)/created-by-the-lock", "\(parent)/.env.venv-make.lock") == 0)
    let run = try VenvFixtures.venvMake(["--dir", "\(parent)/env", "--python", python], input: "")
    #expect(run.exit == .exited(74), "\(run.stderrText)")
    #expect(run.record("error")?["code"] == "io-error")
    #expect(access("\(scratch.path)/created-by-the-lock", F_OK) != 0)
    #expect(access("\(parent)/env", F_OK) != 0)
  }

  /// `--into` takes an interpreter: a directory is not one.
  @Test func intoADirectoryIsRefused() throws {
    let directory = try userFiles("into-dir")
    let run = try VenvFixtures.venvMake(["--into", directory], input: "")
    #expect(run.exit == .exited(69), "\(run.stderrText)")
    #expect(run.record("error")?["code"] == "no-python")
    #expect(intact(directory))
  }

  func isLink(_ path: String) -> Bool {
    var info = stat()
    return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK
  }

  func mergedEnvironment() -> [String: String] {
    var env = Environment.current
    for (key, value) in VenvFixtures.environment { env[key] = value }
    return env
  }
}
