import Testing

@testable import PipeKit

// MARK: - Invalid documents, with the position and message reported

let invalidDocuments: [(toml: String, message: String)] = [
  ("key = # INVALID", "line 1, column 7: expected a value, found '#'"),
  ("a = 1\nb c = 2", "line 2, column 3: expected '=' after key"),
  ("first = \"Tom\" last = \"Preston-Werner\"", "line 1, column 15: expected a newline after the value, found 'l'"),
  ("= \"no key name\"", "line 1, column 1: expected a key, found '='"),
  ("\"\"\"key\"\"\" = 1", "line 1, column 1: a key cannot be a multi-line string"),
  ("name = \"Tom\"\nname = \"Pradyun\"", "line 2, column 1: duplicate key 'name'"),
  ("spelling = \"favorite\"\n\"spelling\" = \"favourite\"", "line 2, column 1: duplicate key 'spelling'"),
  (
    "fruit.apple = 1\nfruit.apple.smooth = true", "line 2, column 7: cannot add to 'fruit.apple': it is already a value"
  ),
  ("[fruit]\napple = \"red\"\n\n[fruit]", "line 4, column 2: table [fruit] is defined more than once"),
  (
    "[fruit]\napple = \"red\"\n[fruit.apple]",
    "line 3, column 8: cannot define table 'fruit.apple': 'fruit.apple' is already a value"
  ),
  ("[fruit]\napple.color = \"red\"\n[fruit.apple]", "line 3, column 8: table [fruit.apple] is defined more than once"),
  (
    "[fruit]\napple.taste.sweet = true\n[fruit.apple.taste]",
    "line 3, column 14: table [fruit.apple.taste] is defined more than once"
  ),
  ("a.b = 1\n[a]", "line 2, column 2: table [a] is defined more than once"),
  (
    "[product]\ntype = { name = \"Nail\" }\ntype.edible = false",
    "line 3, column 1: cannot add to 'product.type': it is an inline table, which cannot be extended"
  ),
  ("[product]\ntype.name = \"Nail\"\ntype = { edible = false }", "line 3, column 1: duplicate key 'product.type'"),
  (
    "[fruit.physical]\ncolor = \"red\"\n[[fruit]]",
    "line 3, column 3: cannot define [[fruit]]: 'fruit' is already a table"
  ),
  (
    "[[fruits]]\n[[fruits.varieties]]\n[fruits.varieties]",
    "line 3, column 9: cannot define [fruits.varieties]: 'fruits.varieties' is an array of tables"
  ),
  (
    "fruits = []\n[[fruits]]",
    "line 2, column 3: cannot define table 'fruits': 'fruits' is an array, which cannot be extended"
  ),
  (
    "[a.b]\nx = 1\n[a]\nb.y = 2",
    "line 4, column 1: cannot add to table [a.b] with a dotted key: it is defined by a header"
  ),
  ("[[a]]\n[a]", "line 2, column 2: cannot define [a]: 'a' is an array of tables"),
  ("a = {x = 1, x = 2}", "line 1, column 13: duplicate key 'x'"),
  ("a = {x = 1,}", "line 1, column 12: trailing comma in an inline table"),
  ("a = {x = 1\n}", "line 1, column 11: newline in an inline table"),
  ("a = {x = 1 y = 2}", "line 1, column 12: expected ',' or '}' in an inline table, found 'y'"),
  ("a = [1 2]", "line 1, column 8: expected ',' or ']' after an array element, found '2'"),
  ("a = [1,,2]", "line 1, column 8: expected a value, found ','"),
  ("a = [1,\n2", "line 1, column 5: unterminated array"),
  ("a = \"unterminated", "line 1, column 5: unterminated string"),
  ("a = \"new\nline\"", "line 1, column 5: unterminated string"),
  ("a = \"\"\"never closed", "line 1, column 5: unterminated multi-line string"),
  (#"a = "\x41""#, #"line 1, column 6: invalid escape sequence '\x'"#),
  (#"a = "\uD800""#, #"line 1, column 6: \u escape is not a Unicode scalar value"#),
  (#"a = "\u00""#, #"line 1, column 6: \u needs 4 hexadecimal digits"#),
  (#"a = """x\  y""""#, #"line 1, column 9: invalid escape sequence '\ '"#),
  ("a = \"\"\"x\"\"\"\"\"\"", "line 1, column 14: too many quotes at the end of a multi-line string"),
  ("a = 'bell\u{07}'", "line 1, column 10: control character U+0007 in a literal string"),
  ("a = \"bell\u{07}\"", "line 1, column 10: control character U+0007 in a string; escape it"),
  ("# bell\u{07}", "line 1, column 7: control character U+0007 in a comment"),
  ("a = 1\rb = 2", "line 1, column 6: carriage return not followed by a newline"),
  ("\r", "line 1, column 1: carriage return not followed by a newline"),
  ("a = 01", "line 1, column 5: invalid value '01'"),
  ("a = 9223372036854775808", "line 1, column 5: integer '9223372036854775808' does not fit in 64 bits"),
  ("a = 1979-13-01", "line 1, column 5: invalid date: no day 1 in month 13 of 1979"),
  ("a = 2023-02-29", "line 1, column 5: invalid date: no day 29 in month 2 of 2023"),
  ("a = 1979-05-27T25:00:00", "line 1, column 16: invalid time: hour, minute or second out of range"),
  ("a = 1979-05-27T07:32", "line 1, column 16: invalid time; expected HH:MM:SS"),
  ("a = 1979-05-27T07:32:00+7:00", "line 1, column 24: invalid time offset; expected Z or ±HH:MM"),
  ("[a", "line 1, column 3: expected ']' after the table name, found end of input"),
  ("[]", "line 1, column 2: expected a key, found ']'"),
  ("[a]b = 1", "line 1, column 4: expected a newline after the table header, found 'b'"),
  ("[[a]\n", "line 1, column 5: expected ']]' to close the array-of-tables header"),
  ("a =\n1", "line 1, column 4: expected a value, found a newline"),
  (
    String(repeating: "a = [", count: 1) + String(repeating: "[", count: 300),
    "line 1, column 261: arrays and inline tables nested deeper than 256"
  ),
]

@Test(arguments: invalidDocuments)
func reportsPositionedError(toml: String, message: String) {
  #expect {
    try TOML.parse(toml)
  } throws: { error in
    (error as? TOMLError)?.description == message
  }
}

/// More invalid values, from the TOML 1.0 specification's rules.
@Test(arguments: [
  "a = 1__2", "a = _1", "a = 1_", "a = +0x1", "a = 0xG", "a = 0X1F", "a = 0b2", "a = 0o8", "a = 1.", "a = .1",
  "a = 1e", "a = 1.e5", "a = 1e_5", "a = 1_.5", "a = 1.0.0", "a = infinity", "a = True", "a = 00.1", "a = -",
  "a = 1979-02-30", "a = 1979-05-27x", "a = 07:32", "a = 07:32:00Z", "a = 1979-05-27T07:32:00.", "a = 1979-5-27",
  "a = [", "a = {", "a = {a.b = 1, a = {}}", "a = 'multi\nline'", "a = \"\"\"a\"\"\" b", "a.b = 1\na.b.c = 2",
  "[a]\nb = 1\n[a.b]", "[ [a]]", "a = \"\\e\"", "a = 1 # ok\u{7F}", "a = \"\\U00110000\"", "a = [1]\n[[a]]",
])
func rejectsInvalidDocument(toml: String) {
  #expect(throws: TOMLError.self) { try TOML.parse(toml) }
}

@Test func describesTheError() {
  let error = TOMLError(line: 3, column: 7, message: "expected '=' after key")
  #expect(error.description == "line 3, column 7: expected '=' after key")
}
