/// RFC 4648 base64, standard alphabet with padding.
public enum Base64 {
  static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
  static let values: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (k, c) in alphabet.enumerated() { table[Int(c)] = UInt8(k) }
    return table
  }()

  public static func encode(_ bytes: some Collection<UInt8>) -> String {
    let input = Array(bytes)
    var out: [UInt8] = []
    out.reserveCapacity((input.count + 2) / 3 * 4)
    var k = 0
    while k + 3 <= input.count {
      let n = UInt32(input[k]) << 16 | UInt32(input[k + 1]) << 8 | UInt32(input[k + 2])
      out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
      k += 3
    }
    let rest = input.count - k
    if rest > 0 {
      let n = UInt32(input[k]) << 16 | (rest == 2 ? UInt32(input[k + 1]) << 8 : 0)
      out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)]]
      out += rest == 2 ? [alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")] : [UInt8(ascii: "="), UInt8(ascii: "=")]
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Decodes padded or unpadded base64; `nil` for any other character or a bad length.
  public static func decode(_ text: String) -> [UInt8]? {
    var symbols = Array(text.utf8)
    while symbols.last == UInt8(ascii: "=") { symbols.removeLast() }
    guard symbols.count % 4 != 1, text.utf8.count - symbols.count <= 2 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(symbols.count * 3 / 4)
    var buffer: UInt32 = 0
    var bits = 0
    for c in symbols {
      let v = values[Int(c)]
      guard v != 0xFF else { return nil }
      buffer = buffer << 6 | UInt32(v)
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
      }
    }
    return out
  }
}
