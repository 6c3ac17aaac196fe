import PipeKit
import Testing

/// One stderr line never carries raw control characters, whatever text went into it.
@Suite struct DiagnosticsTests {
  @Test func controlCharactersAreEscaped() {
    #expect("plain text".escapingControlCharacters() == "plain text")
    #expect("a\r\nb\nc".escapingControlCharacters() == "a  b c")
    #expect("\u{1B}[2J\0x\u{7F}\u{9B}é".escapingControlCharacters() == "\\x1b[2J\\x00x\\x7f\\x9bé")
  }
}
