import Testing

@testable import PipeKit

@Suite struct JSONTests {
  @Test(arguments: [
    #"{"type":"env","b":1,"a":[true,false,null]}"#,
    #"{"seed":18446744073709551615,"f":1e-05,"g":-0.5,"h":0}"#,
    #"{"s":"tab\there \"q\" back\\slash / ünï 😀"}"#,
    #"{"nested":{"z":{"y":[[],{}]}}}"#,
    #"[1,"two",{"3":4}]"#,
  ])
  func roundTripKeepsTextAndOrder(text: String) throws {
    #expect(try JSON.parse(text).serialized == text)
  }

  @Test func numbersKeepTheirLiteral() throws {
    let value = try JSON.parse(#"{"seed":18446744073709551615,"x":2.50}"#)
    #expect(value["seed"] == .number("18446744073709551615"))
    #expect(value["x"]?.doubleValue == 2.5)
    #expect(JSON.int(42).intValue == 42)
    #expect(JSON.double(.nan) == .null)
  }

  @Test func escapesDecode() throws {
    let value = try JSON.parse(#""a\u00e9\ud83d\ude00\n\/""#)
    #expect(value == .string("aé😀\n/"))
    #expect(JSON.string("\u{1}\u{7f}").serialized == #""\u0001\u007f""#)
  }

  @Test(arguments: [
    ("", "unexpected end of input"),
    ("{", "expected a string key"),
    (#"{"a" 1}"#, "expected ':'"),
    (#"{"a":1,}"#, "expected a string key"),
    ("[1 2]", "expected ',' or ']'"),
    ("01", "unexpected text after the JSON value"),
    ("-", "unexpected end of input"),
    ("1.", "expected a digit after '.'"),
    ("tru", "unexpected end of input"),
    (#""\ud800""#, "unpaired surrogate in \\u escape"),
    (#""\x""#, "unknown escape"),
    ("\"a\nb\"", "control character in string"),
    ("{} {}", "unexpected text after the JSON value"),
  ])
  func syntaxErrorsSayWhy(text: String, message: String) {
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(text) }
    do {
      _ = try JSON.parse(text)
    } catch {
      #expect(error.message == message)
    }
  }

  @Test func invalidUTF8IsRefused() {
    let bytes: [UInt8] = [0x22, 0xFF, 0xFE, 0x22]
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(bytes) }
  }

  @Test func deepNestingIsRefusedNotCrashed() {
    let text = String(repeating: "[", count: 100_000)
    #expect(throws: JSONSyntaxError.self) { try JSON.parse(text) }
  }

  @Test func objectKeepsInsertionOrderAndReplacesInPlace() {
    var object: JSONObject = ["type": "x", "b": 1]
    object["a"] = 2
    object["b"] = 3
    #expect(object.keys == ["type", "b", "a"])
    object["type"] = nil
    #expect(JSON.object(object).serialized == #"{"b":3,"a":2}"#)
  }
}
