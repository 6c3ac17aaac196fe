import CPipeShims

/// The kit's version: the one place it is written (packaging/release.py reads it from here for
/// the wheel and the release archive).
public let pipeKitVersion = "0.1.0"

/// What `--version` prints after a tool's name: the version, and the git commit when `make`
/// built it from a checkout (`0.1.0 (git 1a2b3c4d5e6f)`).
public var pipeKitVersionLine: String {
  let commit = String(cString: cpipes_build_commit())
  return commit.isEmpty ? pipeKitVersion : "\(pipeKitVersion) (git \(commit))"
}
