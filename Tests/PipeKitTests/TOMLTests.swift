import Testing

@testable import PipeKit

// MARK: - The comfy-env configs (reference/comfy-env.md §2)

@Test(arguments: [
  (ComfyEnvFixtures.e1Simple, ComfyEnvFixtures.e1SimpleJSON),
  (ComfyEnvFixtures.e1Full, ComfyEnvFixtures.e1FullJSON),
  (ComfyEnvFixtures.e3Root, ComfyEnvFixtures.e3RootJSON),
  (ComfyEnvFixtures.e3Env.split(separator: "\n").dropLast().joined(separator: "\n"), ComfyEnvFixtures.e3EnvJSON),
])
func readsComfyEnvConfig(toml: String, json: String) throws {
  #expect(try TOML.parse(toml) == JSON.parse(json))
}

@Test func keepsKeysInTheOrderWritten() throws {
  let config = try TOML.parse(ComfyEnvFixtures.e1Simple)
  #expect(config.objectValue?.keys == ["env", "packages", "cuda", "sources", "variables", "worker"])
  #expect(config["env"]?.objectValue?.keys == ["name", "python", "cuda", "pytorch"])
}

/// The E3 env example ends in a line of prose, which a TOML reader must refuse where it goes wrong.
@Test func pointsAtTheProseLineInTheE3Example() {
  #expect(throws: TOMLError(line: 16, column: 16, message: "expected a newline after the table header, found '/'")) {
    try TOML.parse(ComfyEnvFixtures.e3Env)
  }
}

// MARK: - Valid documents (examples from the TOML 1.0 specification)

/// A TOML document and the JSON it reads as.
struct DocumentCase: Sendable, CustomTestStringConvertible {
  var toml: String
  var json: String
  init(_ toml: String, _ json: String) {
    self.toml = toml
    self.json = json
  }
  var testDescription: String { toml.debugDescription }
}

let validDocuments: [DocumentCase] = [
  DocumentCase("", "{}"),
  DocumentCase(
    "# This is a full-line comment\nkey = \"value\"  # a comment at the end of a line\nanother = \"# not a comment\"",
    ##"{"key":"value","another":"# not a comment"}"##),
  DocumentCase(
    "key = \"value\"\nbare_key = \"value\"\nbare-key = \"value\"\n1234 = \"value\"",
    #"{"key":"value","bare_key":"value","bare-key":"value","1234":"value"}"#),
  DocumentCase(
    #""127.0.0.1" = "a"  # quoted keys"#
      + "\n\"character encoding\" = \"b\"\n\"ʎǝʞ\" = \"c\"\n'key2' = \"d\"\n'quoted \"value\"' = \"e\"",
    #"{"127.0.0.1":"a","character encoding":"b","ʎǝʞ":"c","key2":"d","quoted \"value\"":"e"}"#),
  DocumentCase("\"\" = \"blank\"", #"{"":"blank"}"#),
  DocumentCase(
    "name = \"Orange\"\nphysical.color = \"orange\"\nphysical.shape = \"round\"\nsite.\"google.com\" = true",
    #"{"name":"Orange","physical":{"color":"orange","shape":"round"},"site":{"google.com":true}}"#),
  DocumentCase(
    "fruit.name = \"banana\"\nfruit. color = \"yellow\"\nfruit . flavor = \"banana\"",
    #"{"fruit":{"name":"banana","color":"yellow","flavor":"banana"}}"#),
  DocumentCase(
    "apple.type = \"fruit\"\norange.type = \"fruit\"\napple.skin = \"thin\"\norange.skin = \"thick\"",
    #"{"apple":{"type":"fruit","skin":"thin"},"orange":{"type":"fruit","skin":"thick"}}"#),
  DocumentCase("3.14159 = \"pi\"", #"{"3":{"14159":"pi"}}"#),
  DocumentCase(
    #"str = "I'm a string. \"You can quote me\". Name\tJos\u00E9\nLocation\tSF.""#,
    #"{"str":"I'm a string. \"You can quote me\". Name\tJosé\nLocation\tSF."}"#),
  DocumentCase(#"s = "\U0001F600 \b\f\r\\ \u0000""#, #"{"s":"😀 \b\f\r\\ \u0000"}"#),
  DocumentCase("str1 = \"\"\"\nRoses are red\nViolets are blue\"\"\"", #"{"str1":"Roses are red\nViolets are blue"}"#),
  DocumentCase(
    #"""
    str1 = "The quick brown fox jumps over the lazy dog."
    str2 = """
    The quick brown \


      fox jumps over \
        the lazy dog."""
    str3 = """\
           The quick brown \
           fox jumps over \
           the lazy dog.\
           """
    """#,
    #"{"str1":"The quick brown fox jumps over the lazy dog.","str2":"The quick brown fox jumps over the lazy dog.","#
      + #""str3":"The quick brown fox jumps over the lazy dog."}"#),
  DocumentCase(
    #"""
    str4 = """Here are two quotation marks: "". Simple enough."""
    str5 = """Here are three quotation marks: ""\"."""
    str6 = """Here are fifteen quotation marks: ""\"""\"""\"""\"""\"."""
    str7 = """"This," she said, "is just a pointless statement.""""
    """#,
    #"{"str4":"Here are two quotation marks: \"\". Simple enough.","str5":"Here are three quotation marks: \"\"\".","#
      + #""str6":"Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\".","#
      + #""str7":"\"This,\" she said, \"is just a pointless statement.\""}"#),
  DocumentCase(
    #"""
    winpath  = 'C:\Users\nodejs\templates'
    quoted   = 'Tom "Dubs" Preston-Werner'
    regex    = '<\i\c*\s*>'
    regex2 = '''I [dw]on't need \d{2} apples'''
    lines  = '''
    The first newline is
    trimmed in raw strings.
       All other whitespace
       is preserved.
    '''
    """#,
    #"{"winpath":"C:\\Users\\nodejs\\templates","quoted":"Tom \"Dubs\" Preston-Werner","regex":"<\\i\\c*\\s*>","#
      + #""regex2":"I [dw]on't need \\d{2} apples","#
      + #""lines":"The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n"}"#),
  DocumentCase(
    #"""
    quot15 = '''Here are fifteen quotation marks: """""""""""""""'''
    apos15 = "Here are fifteen apostrophes: '''''''''''''''"
    str = ''''That,' she said, 'She said it.''''
    """#,
    #"{"quot15":"Here are fifteen quotation marks: \"\"\"\"\"\"\"\"\"\"\"\"\"\"\"","#
      + #""apos15":"Here are fifteen apostrophes: '''''''''''''''","str":"'That,' she said, 'She said it.'"}"#),
  DocumentCase(
    "int1 = +99\nint2 = 42\nint3 = 0\nint4 = -17\nint5 = 1_000\nint6 = 5_349_221\nint7 = 53_49_221\nint8 = 1_2_3_4_5",
    #"{"int1":99,"int2":42,"int3":0,"int4":-17,"int5":1000,"int6":5349221,"int7":5349221,"int8":12345}"#),
  DocumentCase(
    "hex1 = 0xDEADBEEF\nhex2 = 0xdeadbeef\nhex3 = 0xdead_beef\noct1 = 0o01234567\noct2 = 0o755\nbin1 = 0b11010110",
    #"{"hex1":3735928559,"hex2":3735928559,"hex3":3735928559,"oct1":342391,"oct2":493,"bin1":214}"#),
  DocumentCase(
    "max = 9223372036854775807\nmin = -9223372036854775808\nzero = -0\nplus = +0",
    #"{"max":9223372036854775807,"min":-9223372036854775808,"zero":0,"plus":0}"#),
  DocumentCase(
    "f1 = +1.0\nf2 = 3.1415\nf3 = -0.01\nf4 = 5e+22\nf5 = 1e06\nf6 = -2E-2\nf7 = 6.626e-34\nf8 = 224_617.445_991_228",
    #"{"f1":1.0,"f2":3.1415,"f3":-0.01,"f4":5e+22,"f5":1e06,"f6":-2e-2,"f7":6.626e-34,"f8":224617.445991228}"#),
  DocumentCase(
    "sf1 = inf\nsf2 = +inf\nsf3 = -inf\nsf4 = nan\nsf5 = +nan\nsf6 = -nan\nz = -0.0",
    #"{"sf1":"inf","sf2":"inf","sf3":"-inf","sf4":"nan","sf5":"nan","sf6":"nan","z":-0.0}"#),
  DocumentCase("bool1 = true\nbool2 = false", #"{"bool1":true,"bool2":false}"#),
  DocumentCase(
    "odt1 = 1979-05-27T07:32:00Z\nodt2 = 1979-05-27T00:32:00-07:00\nodt3 = 1979-05-27T00:32:00.999999-07:00\n"
      + "odt4 = 1979-05-27 07:32:00Z\nldt1 = 1979-05-27T07:32:00\nldt2 = 1979-05-27t00:32:00.999999\n"
      + "ld1 = 1979-05-27\nlt1 = 07:32:00\nlt2 = 00:32:00.999999\nleap = 2024-02-29 # comment",
    #"{"odt1":"1979-05-27T07:32:00Z","odt2":"1979-05-27T00:32:00-07:00","odt3":"1979-05-27T00:32:00.999999-07:00","#
      + #""odt4":"1979-05-27 07:32:00Z","ldt1":"1979-05-27T07:32:00","ldt2":"1979-05-27t00:32:00.999999","#
      + #""ld1":"1979-05-27","lt1":"07:32:00","lt2":"00:32:00.999999","leap":"2024-02-29"}"#
  ),
  DocumentCase(
    #"""
    integers = [ 1, 2, 3 ]
    nested_mixed_array = [ [ 1, 2 ], ["a", "b", "c"] ]
    string_array = [ "all", 'strings', """are the same""", '''type''' ]
    numbers = [ 0.1, 0.2, 0.5, 1, 2, 5 ]
    contributors = [
      "Foo Bar <foo@example.com>",
      { name = "Baz Qux", email = "bazqux@example.com" }
    ]
    integers3 = [
      1,
      2, # this is ok
    ]
    dates = [1979-05-27, 07:32:00,]
    empty = [ ]
    """#,
    #"{"integers":[1,2,3],"nested_mixed_array":[[1,2],["a","b","c"]],"string_array":["all","strings","#
      + #""are the same","type"],"numbers":[0.1,0.2,0.5,1,2,5],"contributors":["Foo Bar <foo@example.com>","#
      + #"{"name":"Baz Qux","email":"bazqux@example.com"}],"integers3":[1,2],"dates":["1979-05-27","07:32:00"],"#
      + #""empty":[]}"#),
  DocumentCase(
    "[table-1]\nkey1 = \"some string\"\nkey2 = 123\n\n[table-2]\nkey1 = \"another string\"\nkey2 = 456",
    #"{"table-1":{"key1":"some string","key2":123},"table-2":{"key1":"another string","key2":456}}"#),
  DocumentCase("[dog.\"tater.man\"]\ntype.name = \"pug\"", #"{"dog":{"tater.man":{"type":{"name":"pug"}}}}"#),
  DocumentCase(
    "[a.b.c]\n[ d.e.f ]\n[ g .  h  . i ]\n[ j . \"ʞ\" . 'l' ]",
    #"{"a":{"b":{"c":{}}},"d":{"e":{"f":{}}},"g":{"h":{"i":{}}},"j":{"ʞ":{"l":{}}}}"#),
  DocumentCase("[x.y.z.w]\n[x]\nk = 1", #"{"x":{"y":{"z":{"w":{}}},"k":1}}"#),
  DocumentCase(
    "name = \"Fido\"\n[owner]\nname = \"Regina Dogman\"\nmember_since = 1999-08-04",
    #"{"name":"Fido","owner":{"name":"Regina Dogman","member_since":"1999-08-04"}}"#),
  DocumentCase(
    "[fruit]\napple.color = \"red\"\napple.taste.sweet = true\n[fruit.apple.texture]  # sub-table\nsmooth = true",
    #"{"fruit":{"apple":{"color":"red","taste":{"sweet":true},"texture":{"smooth":true}}}}"#),
  DocumentCase(
    "name = { first = \"Tom\", last = \"Preston-Werner\" }\npoint = {x=1,y=2}\n"
      + "animal = { type.name = \"pug\" }\ne = {}",
    #"{"name":{"first":"Tom","last":"Preston-Werner"},"point":{"x":1,"y":2},"animal":{"type":{"name":"pug"}},"e":{}}"#),
  DocumentCase(
    "[[products]]\nname = \"Hammer\"\nsku = 738594937\n\n[[products]]  # empty\n\n[[products]]\nname = \"Nail\"",
    #"{"products":[{"name":"Hammer","sku":738594937},{},{"name":"Nail"}]}"#),
  DocumentCase(
    #"""
    [[fruits]]
    name = "apple"
    [fruits.physical]  # subtable
    color = "red"
    [[fruits.varieties]]  # nested array of tables
    name = "red delicious"
    [[fruits.varieties]]
    name = "granny smith"
    [[fruits]]
    name = "banana"
    [[fruits.varieties]]
    name = "plantain"
    """#,
    #"{"fruits":[{"name":"apple","physical":{"color":"red"},"varieties":[{"name":"red delicious"},"#
      + #"{"name":"granny smith"}]},{"name":"banana","varieties":[{"name":"plantain"}]}]}"#),
  DocumentCase(
    "points = [ { x = 1, y = 2 },\n           { x = 7, y = 8 } ]", #"{"points":[{"x":1,"y":2},{"x":7,"y":8}]}"#),
  DocumentCase("a = 1\r\nb = \"\"\"x\r\ny\"\"\"\r\n# c\r\n", #"{"a":1,"b":"x\ny"}"#),
  DocumentCase("\u{FEFF}a = 1", #"{"a":1}"#),
  DocumentCase("b = 1\na = 2\n\t c = 3 ", #"{"b":1,"a":2,"c":3}"#),
  DocumentCase("[a.b.c]\nz = 9\n[a]\nb.t = 1", #"{"a":{"b":{"c":{"z":9},"t":1}}}"#),
]

@Test(arguments: validDocuments)
func readsValidDocument(_ document: DocumentCase) throws {
  #expect(try TOML.parse(document.toml) == JSON.parse(document.json))
}
