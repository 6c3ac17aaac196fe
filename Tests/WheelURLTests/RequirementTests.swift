import Testing

@testable import WheelURL

/// (text, name, extras, specifier text, url, marker); examples from PEP 508 and comfy-env configs.
@Test(
  arguments: [
    ("requests", "requests", [], "", nil, nil),
    (
      "Requests[Security, Socks]>=2.8.1,==2.8.* ; python_version < \"2.7\"", "requests", ["security", "socks"],
      ">=2.8.1,==2.8.*", nil, "python_version < \"2.7\""
    ),
    ("name>=3", "name", [], ">=3", nil, nil),
    ("name (>=3, <4)", "name", [], ">=3, <4", nil, nil),
    (
      "name[quux, strange];python_version<'2.7' and platform_version=='2'", "name", ["quux", "strange"], "", nil,
      "python_version<'2.7' and platform_version=='2'"
    ),
    ("name[]", "name", [], "", nil, nil),
    ("Foo.Bar_baz==1.0", "foo-bar-baz", [], "==1.0", nil, nil),
    ("A__B--c..D", "a-b-c-d", [], "", nil, nil),
    ("transformers>=4.56", "transformers", [], ">=4.56", nil, nil),
    ("nvdiffrast==0.4.0", "nvdiffrast", [], "==0.4.0", nil, nil),
    ("torch_scatter[Full_Set,full-set] ~= 2.1", "torch-scatter", ["full-set"], "~= 2.1", nil, nil),
    (
      "pip @ https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686", "pip", [],
      "",
      "https://github.com/pypa/pip/archive/1.3.1.zip#sha1=da9234ee9982d4bbb3c72346a6de940a148ea686", nil
    ),
    (
      "name[extra]@ file:///w/x.whl ; python_version >= '3.8'", "name", ["extra"], "", "file:///w/x.whl",
      "python_version >= '3.8'"
    ),
  ] as [(String, String, [String], String, String?, String?)])
func parsesRequirement(
  text: String, name: String, extras: [String], specifierText: String, url: String?, marker: String?
) throws {
  let requirement = try Requirement(text)
  #expect(requirement.name == name)
  #expect(requirement.extras == extras)
  #expect(requirement.specifierText == specifierText)
  #expect(requirement.url == url)
  #expect(requirement.marker == marker)
}

@Test func parsesTheSpecifierSet() throws {
  let requirement = try Requirement("Pillow>=10,<12")
  #expect(requirement.specifiers.contains(try PEP440Version("11.3.0")))
  #expect(!requirement.specifiers.contains(try PEP440Version("12.0")))
  #expect(requirement.specifiers.description == ">=10,<12")
}

@Test(arguments: [
  "", ">=1.0", "-name", "name-", "name[", "name[extra!]", "name[a,,b]", "name ;", "name @ ", "name @ url >=1",
  "name (>=1", "name >=1.0.*", "name 1.0", "na me",
])
func rejectsInvalidRequirement(text: String) {
  #expect(throws: PEP440Error.self) { try Requirement(text) }
}

@Test(arguments: [
  ("Django", "django"), ("ruamel.yaml", "ruamel-yaml"), ("Flask_SQLAlchemy", "flask-sqlalchemy"),
  ("friendly-bard", "friendly-bard"), ("FRIENDLY-BARD", "friendly-bard"), ("friendly.bard", "friendly-bard"),
  ("friendly_bard", "friendly-bard"), ("friendly--bard", "friendly-bard"), ("FrIeNdLy-._.-bArD", "friendly-bard"),
])
func normalisesProjectNamePerPEP503(name: String, normalised: String) {
  #expect(normalizedProjectName(name) == normalised)
}

/// What venv-make may hand an installer as one requirement: PEP 508 requirements, direct
/// references and bare VCS URLs.
@Test(arguments: [
  "numpy", "numpy>=1.26,<2", " six==1.16.0 ", "Requests[socks] >=2.8 ; python_version >= '3.8'",
  "pip @ https://github.com/pypa/pip/archive/1.3.1.zip", "name[extra] @ file:///w/x.whl ; os_name == 'posix'",
  "git+https://github.com/pypa/sampleproject.git@main", "hg+https://hg.example.org/repo#egg=repo",
  "git+ssh://git@github.com/o/r.git",
])
func acceptsARequirementSpec(text: String) {
  #expect(RequirementSpec.problem(text) == nil)
}

/// Options, option-carrying lines, paths and broken text are never requirements.
@Test(arguments: [
  "", "--index-url=http://evil", "-e .", "-r requirements.txt", "--target=/tmp/x", "-c constraints.txt",
  "--extra-index-url http://evil", "six --index-url=http://evil", "six\n--index-url=http://evil", "six\u{7}x",
  "./local/dir", "/abs/path.whl", "name @ ./relative.whl", "git+file", "git+--upload-pack=x",
  "git+https://h/r.git --index-url=http://evil", "evil+https://h/r.git", "name @ -e",
])
func refusesWhatIsNotARequirementSpec(text: String) {
  #expect(RequirementSpec.problem(text) != nil)
}

@Test func projectNamesAreNeverOptions() {
  #expect(RequirementSpec.isProjectName("torch_scatter"))
  #expect(!RequirementSpec.isProjectName("--index-url=http://evil"))
  #expect(!RequirementSpec.isProjectName("-e"))
  #expect(!RequirementSpec.isProjectName("a\nb"))
}
