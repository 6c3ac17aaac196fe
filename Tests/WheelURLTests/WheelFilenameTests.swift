import PipeHTTP
import Testing

@testable import WheelURL

/// (file name, normalised name, version, build tag, python tags, abi tags, platform tags).
@Test(
  arguments: [
    ("pip-20.0.2-py2.py3-none-any.whl", "pip", "20.0.2", nil, ["py2", "py3"], ["none"], ["any"]),
    ("distribution-1.0-1-py27-none-any.whl", "distribution", "1.0", "1", ["py27"], ["none"], ["any"]),
    ("foo-1.0-12abc-py3-none-any.whl", "foo", "1.0", "12abc", ["py3"], ["none"], ["any"]),
    (
      "numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", "numpy", "2.1.0", nil, ["cp311"],
      ["cp311"], ["manylinux_2_17_x86_64", "manylinux2014_x86_64"]
    ),
    (
      "nvdiffrast-0.4.0%2Bcu124torch2.4-cp310-cp310-manylinux_2_34_x86_64.manylinux_2_35_x86_64.whl", "nvdiffrast",
      "0.4.0+cu124torch2.4", nil, ["cp310"], ["cp310"], ["manylinux_2_34_x86_64", "manylinux_2_35_x86_64"]
    ),
    (
      "flash_attn-2.8.3+cu12torch2.8cxx11abiTRUE-cp311-cp311-linux_x86_64.whl", "flash-attn",
      "2.8.3+cu12torch2.8cxx11abitrue", nil, ["cp311"], ["cp311"], ["linux_x86_64"]
    ),
    (
      "torch_scatter-2.1.2+pt28cu128-cp311-cp311-linux_x86_64.whl", "torch-scatter", "2.1.2+pt28cu128", nil,
      ["cp311"], ["cp311"], ["linux_x86_64"]
    ),
    (
      "sageattention-2.2.0%2Bcu128torch2.8.0.post3-cp39-abi3-win_amd64.whl", "sageattention",
      "2.2.0+cu128torch2.8.0.post3", nil, ["cp39"], ["abi3"], ["win_amd64"]
    ),
    ("Flask_SQLAlchemy-3.1.1-py3-none-any.whl", "flask-sqlalchemy", "3.1.1", nil, ["py3"], ["none"], ["any"]),
    ("ruamel.yaml-0.18.6-py3-none-any.whl", "ruamel-yaml", "0.18.6", nil, ["py3"], ["none"], ["any"]),
    ("Foo-1.0-PY3-NONE-ANY.whl", "foo", "1.0", nil, ["py3"], ["none"], ["any"]),
    // Python's `\w` is Unicode: packaging accepts non-ASCII project names.
    ("foo_bár-1.0-py3-none-any.whl", "foo-bár", "1.0", nil, ["py3"], ["none"], ["any"]),
    ("Ünïcode.Pkg-2.0-py3-none-any.whl", "ünïcode-pkg", "2.0", nil, ["py3"], ["none"], ["any"]),
    ("数据_包-0.1-py3-none-any.whl", "数据-包", "0.1", nil, ["py3"], ["none"], ["any"]),
    (
      "torch-2.8.0+cu128-cp313-cp313t-manylinux_2_28_x86_64.whl", "torch", "2.8.0+cu128", nil, ["cp313"], ["cp313t"],
      ["manylinux_2_28_x86_64"]
    ),
  ] as [(String, String, String, String?, [String], [String], [String])])
func parsesWheelFilename(
  filename: String, name: String, version: String, build: String?, python: [String], abi: [String],
  platform: [String]
) throws {
  let wheel = try WheelFilename(filename)
  #expect(wheel.name == name)
  #expect(wheel.version.description == version)
  #expect(wheel.buildTag?.description == build)
  #expect(wheel.pythonTags == python)
  #expect(wheel.abiTags == abi)
  #expect(wheel.platformTags == platform)
  #expect(wheel.tags.count == python.count * abi.count * platform.count)
}

@Test func keepsTheDistributionAsWrittenAndDecodesTheName() throws {
  let wheel = try WheelFilename("Flash_Attn-2.8.3%2Bcu12torch2.8-cp311-cp311-linux_x86_64.whl")
  #expect(wheel.distribution == "Flash_Attn")
  #expect(wheel.filename == "Flash_Attn-2.8.3+cu12torch2.8-cp311-cp311-linux_x86_64.whl")
  #expect(wheel.version.local == "cu12torch2.8")
}

@Test func expandsCompressedTagSets() throws {
  let wheel = try WheelFilename("foo-1.0-py2.py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
  #expect(
    wheel.tags.map(\.description) == [
      "py2-none-manylinux_2_17_x86_64", "py2-none-manylinux2014_x86_64",
      "py3-none-manylinux_2_17_x86_64", "py3-none-manylinux2014_x86_64",
    ])
}

/// PEP 427: the build tag sorts as a tuple of its leading number and the rest.
@Test(arguments: [("1", "2"), ("1a", "1b"), ("9z", "10"), ("2", "2a"), ("01", "2")])
func ordersBuildTags(lower: String, higher: String) throws {
  let a = try WheelFilename("foo-1.0-\(lower)-py3-none-any.whl").buildTag!
  let b = try WheelFilename("foo-1.0-\(higher)-py3-none-any.whl").buildTag!
  #expect(a < b)
}

@Test(arguments: [
  ("foo-1.0-py3-none-any.zip", "it does not end in '.whl'"),
  ("foo-1.0-py3-none-any.WHL", "it does not end in '.whl'"),
  ("foo-1.0-py3-none.whl", "expected 5 or 6 parts separated by '-', found 4"),
  ("foo-bar-1.0-1-py3-none-any.whl", "expected 5 or 6 parts separated by '-', found 7"),
  ("foo-1.0-a1-py3-none-any.whl", "build tag 'a1' does not start with a digit"),
  ("foo-1.0--py3-none-any.whl", "build tag '' does not start with a digit"),
  ("foo-notaversion-py3-none-any.whl", "invalid version 'notaversion'"),
  ("foo__bar-1.0-py3-none-any.whl", "invalid distribution name 'foo__bar'"),
  ("-1.0-py3-none-any.whl", "invalid distribution name ''"),
  ("foo bar-1.0-py3-none-any.whl", "invalid distribution name 'foo bar'"),
  ("foo\u{202F}bar-1.0-py3-none-any.whl", "invalid distribution name 'foo\u{202F}bar'"),
  ("foo+bar-1.0-py3-none-any.whl", "invalid distribution name 'foo+bar'"),
  // NFD: the combining accent is a mark, not a word character, to Python's `\w`.
  ("foo_ba\u{0301}r-1.0-py3-none-any.whl", "invalid distribution name 'foo_ba\u{0301}r'"),
  ("foo-1.0-3py-none-any.whl", "invalid interpreter tag '3py'"),
  ("foo-1.0-py3..py2-none-any.whl", "empty tag in 'py3..py2'"),
  ("foo-1.0-py3-none-.whl", "empty tag in ''"),
])
func rejectsMalformedFilename(filename: String, reason: String) {
  #expect(throws: WheelFilenameError(filename: filename, reason: reason)) { try WheelFilename(filename) }
}

@Test func describesTheError() {
  let error = WheelFilenameError(filename: "x.whl", reason: "expected 5 or 6 parts separated by '-', found 1")
  #expect(error.description == "invalid wheel file name 'x.whl': expected 5 or 6 parts separated by '-', found 1")
}

@Test(arguments: [
  ("a%2Bb", "a+b"), ("a%2bb", "a+b"), ("100%", "100%"), ("%zz", "%zz"), ("%E2%9C%93", "✓"), ("%FF", "%FF"), ("x", "x"),
])
func decodesPercentEscapes(input: String, decoded: String) {
  #expect(input.removingPercentEscapes() == decoded)
}
