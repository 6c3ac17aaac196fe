import TestSupport
import Testing

@testable import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct RecordReaderTests {
  func items(_ bytes: [UInt8], maxLineBytes: Int = 1 << 20) throws -> [InputItem] {
    let path = try TemporaryDirectory.shared.write("reader-\(UInt32.random(in: 0...UInt32.max))", "")
    let fd = try FileDescriptor.open(path, O_WRONLY)
    try fd.writeAll(bytes)
    fd.close()
    let input = try FileDescriptor.open(path, O_RDONLY)
    defer { input.close() }
    return Array(RecordReader(fd: input, maxLineBytes: maxLineBytes))
  }

  func items(_ text: String, maxLineBytes: Int = 1 << 20) throws -> [InputItem] {
    try items(Array(text.utf8), maxLineBytes: maxLineBytes)
  }

  @Test func crlfBlankLinesAndMissingFinalNewline() throws {
    let got = try items("{\"type\":\"a\"}\r\n\r\n   \n{\"type\":\"b\"}\n\n{\"type\":\"c\"}")
    #expect(got == [.record(["type": "a"], line: 1), .record(["type": "b"], line: 4), .record(["type": "c"], line: 6)])
  }

  @Test func badLinesAreItemsAndReadingGoesOn() throws {
    let got = try items("{\"type\":\"a\"}\n[1,2]\nnot json\n\"s\"\n{\"type\":\"b\"}\n")
    #expect(got.count == 5)
    #expect(got[0] == .record(["type": "a"], line: 1))
    #expect(got[1] == .invalid(line: 2, reason: "not a JSON object (found an array)"))
    guard case .invalid(3, let reason) = got[2] else { Issue.record("line 3 should be invalid"); return }
    #expect(reason.hasPrefix("not JSON: unexpected character"))
    #expect(got[3] == .invalid(line: 4, reason: "not a JSON object (found a string)"))
    #expect(got[4] == .record(["type": "b"], line: 5))
  }

  @Test func invalidUTF8IsABadLine() throws {
    var bytes = Array("{\"type\":\"a\"}\n{\"type\":\"".utf8)
    bytes += [0xC3, 0x28]
    bytes += Array("\"}\n{\"type\":\"c\"}\n".utf8)
    let got = try items(bytes)
    #expect(got.count == 3)
    guard case .invalid(2, let reason) = got[1] else { Issue.record("line 2 should be invalid"); return }
    #expect(reason.contains("UTF-8"))
    #expect(got[2] == .record(["type": "c"], line: 3))
  }

  @Test func overLongLineIsCutAndCounted() throws {
    let long = "{\"type\":\"x\",\"pad\":\"" + String(repeating: "a", count: 300_000) + "\"}"
    let got = try items("{\"type\":\"a\"}\n\(long)\n{\"type\":\"b\"}\n", maxLineBytes: 1000)
    #expect(
      got == [
        .record(["type": "a"], line: 1), .invalid(line: 2, reason: "line is longer than the limit of 1000 bytes"),
        .record(["type": "b"], line: 3),
      ])
  }

  @Test func overLongLastLineWithoutNewline() throws {
    let got = try items("{\"type\":\"a\"}\n" + String(repeating: "b", count: 5000), maxLineBytes: 100)
    #expect(
      got == [.record(["type": "a"], line: 1), .invalid(line: 2, reason: "line is longer than the limit of 100 bytes")])
  }

  @Test func manyRecordsAcrossBufferBoundaries() throws {
    let text = (0..<20_000).map { "{\"type\":\"n\",\"i\":\($0)}\n" }.joined()
    let got = try items(text)
    #expect(got.count == 20_000)
    #expect(got.last == .record(["type": "n", "i": 19_999], line: 20_000))
  }
}
