#if canImport(Glibc)
  import Glibc
#endif

/// SHA-256 (FIPS 180-4), streaming: `update` with chunks, then `finalize`.
///
/// The system's libcrypto does the work when it can be loaded (`dlopen`; it uses the CPU's SHA
/// instructions, several times faster); otherwise the portable implementation below does. A
/// hasher is not meant to be copied halfway through a stream.
public struct SHA256: @unchecked Sendable {
  private var system = SystemSHA256.make()
  private var state: [UInt32] = [
    0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
  ]
  private var pending: [UInt8] = []
  private var length: UInt64 = 0

  static let k: [UInt32] = [
    0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
    0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
    0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
    0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
    0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
    0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
    0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
    0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
  ]

  public init() {}

  /// The hex digest of `bytes`.
  public static func hex(_ bytes: UnsafeRawBufferPointer) -> String {
    var hash = SHA256()
    hash.update(bytes)
    return hash.finalize()
  }

  public static func hex(_ bytes: [UInt8]) -> String { bytes.withUnsafeBytes { hex($0) } }

  /// The hex digest of everything `fd` reads from where it stands to its end.
  public static func hex(of fd: FileDescriptor) throws -> String {
    var hash = SHA256()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
      if n == 0 { break }
      chunk.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    return hash.finalize()
  }

  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    if let system {
      system.update(bytes)
      return
    }
    length &+= UInt64(bytes.count)
    var index = 0
    if !pending.isEmpty {
      let take = min(64 - pending.count, bytes.count)
      pending.append(contentsOf: bytes[0..<take])
      index = take
      if pending.count == 64 {
        pending.withUnsafeBytes { compress($0.baseAddress!, blocks: 1) }
        pending.removeAll(keepingCapacity: true)
      }
    }
    let blocks = (bytes.count - index) / 64
    if blocks > 0 {
      compress(bytes.baseAddress! + index, blocks: blocks)
      index += blocks * 64
    }
    if index < bytes.count { pending.append(contentsOf: bytes[index...]) }
  }

  /// The hex digest; the hash must not be updated afterwards.
  public mutating func finalize() -> String {
    if let system { return system.finalize() }
    let bits = length &* 8
    var tail: [UInt8] = [0x80]
    while (pending.count + tail.count) % 64 != 56 { tail.append(0) }
    for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
    let saved = length
    tail.withUnsafeBytes { update($0) }
    length = saved
    return state.map { word in
      let hex = String(word, radix: 16)
      return String(repeating: "0", count: 8 - hex.count) + hex
    }.joined()
  }

  /// Runs the compression function over `blocks` consecutive 64-byte blocks.
  private mutating func compress(_ start: UnsafeRawPointer, blocks: Int) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
      SHA256.k.withUnsafeBufferPointer { k in
        var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
        var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
        for block in 0..<blocks {
          let p = start + block * 64
          for t in 0..<16 { w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self)) }
          for t in 16..<64 {
            let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
            let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
          }
          var (a, b, c, d, e, f, g, h) = (h0, h1, h2, h3, h4, h5, h6, h7)
          for t in 0..<64 {
            let s1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
            let ch = (e & f) ^ (~e & g)
            let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
            let s0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            (h, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ s0 &+ maj)
          }
          h0 &+= a
          h1 &+= b
          h2 &+= c
          h3 &+= d
          h4 &+= e
          h5 &+= f
          h6 &+= g
          h7 &+= h
        }
        state = [h0, h1, h2, h3, h4, h5, h6, h7]
      }
    }
  }
}

/// SHA-256 from the system's libcrypto, reached through `dlopen` so that its absence is normal.
/// The C functions are `SHA256_Init`, `SHA256_Update` and `SHA256_Final`.
final class SystemSHA256 {
  typealias Initialise = @convention(c) (UnsafeMutableRawPointer) -> Int32
  typealias Update = @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer?, Int) -> Int32
  typealias Final = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutableRawPointer) -> Int32

  nonisolated(unsafe) static var disabled = false
  static let functions: (Initialise, Update, Final)? = {
    guard let handle = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libcrypto.so", RTLD_NOW | RTLD_LOCAL),
      let i = dlsym(handle, "SHA256_Init"), let u = dlsym(handle, "SHA256_Update"),
      let f = dlsym(handle, "SHA256_Final")
    else { return nil }
    return (
      unsafeBitCast(i, to: Initialise.self), unsafeBitCast(u, to: Update.self), unsafeBitCast(f, to: Final.self)
    )
  }()

  /// SHA256_CTX is 112 bytes; room to spare.
  private let context = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
  private let functions: (Initialise, Update, Final)

  static func make() -> SystemSHA256? {
    guard !disabled, let functions else { return nil }
    return SystemSHA256(functions)
  }

  private init(_ functions: (Initialise, Update, Final)) {
    self.functions = functions
    _ = functions.0(context)
  }

  deinit { context.deallocate() }

  func update(_ bytes: UnsafeRawBufferPointer) {
    _ = functions.1(context, bytes.baseAddress, bytes.count)
  }

  func finalize() -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    _ = functions.2(&digest, context)
    let hex = Array("0123456789abcdef".utf8)
    return String(decoding: digest.flatMap { [hex[Int($0 >> 4)], hex[Int($0 & 15)]] }, as: UTF8.self)
  }
}

extension UInt32 {
  @inline(__always) func rotatedRight(_ n: UInt32) -> UInt32 { (self >> n) | (self << (32 - n)) }
}
