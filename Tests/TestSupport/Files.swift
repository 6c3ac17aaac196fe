import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

extension TemporaryDirectory {
  /// The path of `name` inside the directory.
  public func file(_ name: String) -> String { path + "/" + name }
}

/// Writes `bytes` to `path`, replacing what was there.
public func writeFile(_ path: String, _ bytes: [UInt8]) throws {
  let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC)
  try fd.closeAfter { try $0.writeAll(bytes) }
}

/// The whole contents of `path`.
public func readFile(_ path: String) throws -> [UInt8] {
  let fd = try FileDescriptor.open(path, O_RDONLY | O_CLOEXEC)
  return try fd.closeAfter { try $0.readAll() }
}

/// Deterministic pseudo-random bytes (xorshift64*), so failures reproduce.
public struct TestRandom {
  public var state: UInt64

  public init(seed: UInt64) { state = seed | 1 }

  public mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }

  public mutating func bytes(_ count: Int) -> [UInt8] {
    (0..<count).map { _ in UInt8(truncatingIfNeeded: next() >> 24) }
  }

  public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
