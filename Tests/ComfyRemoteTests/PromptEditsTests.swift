import PipeKit
import Testing

@testable import ComfyRemote

@Suite struct PromptEditsTests {
  var prompt: JSONObject {
    [
      "1": ["class_type": "KSampler", "inputs": ["seed": .number("18446744073709551615"), "noise_seed": 5, "cfg": 7]],
      "2": ["class_type": "CLIPTextEncode", "inputs": ["text": "x"], "_meta": ["title": "Positive v1.5"]],
      "3": ["class_type": "CLIPTextEncode", "inputs": ["text": "y"], "_meta": ["title": "Twin"]],
      "4": ["class_type": "CLIPTextEncode", "inputs": ["text": "z"], "_meta": ["title": "Twin"]],
      "5": ["class_type": "KSampler", "inputs": ["seed": ["9", 0]]],
    ]
  }

  @Test func overridesFindNodesByIdOrDottedTitle() throws {
    var edited = prompt
    try PromptEdits.apply(
      [
        try Override(assignment: "Positive v1.5.text=a \"fox\""), try Override(assignment: "1.cfg=4.5"),
        try Override(assignment: "1.new={\"__value__\":[1,2]}"),
      ], to: &edited)
    #expect(edited["2"]?["inputs"]?["text"] == "a \"fox\"")
    #expect(edited["1"]?["inputs"]?["cfg"] == .number("4.5"))
    #expect(edited["1"]?["inputs"]?["new"] == ["__value__": [1, 2]])
    #expect(throws: WorkflowProblem.self) {
      try PromptEdits.apply([try Override(assignment: "Twin.text=1")], to: &edited)
    }
    #expect(throws: UsageError.self) { try Override(assignment: ".text=1") }
    #expect(throws: UsageError.self) { try Override(assignment: "node.=1") }
  }

  @Test func seedsShiftAndWrapWithin64Bits() {
    var edited = prompt
    #expect(PromptEdits.shiftSeeds(by: 2, in: &edited) == 2)
    #expect(edited["1"]?["inputs"]?["seed"] == .number("1"))
    #expect(edited["1"]?["inputs"]?["noise_seed"] == 7)
    #expect(edited["5"]?["inputs"]?["seed"] == ["9", 0], "links are not seeds")
    #expect(PromptEdits.shiftSeeds(by: -7, in: &edited) == 2)
    #expect(edited["1"]?["inputs"]?["noise_seed"] == 0)
  }

  @Test func separatorsFollowTheServer() {
    var edited: JSONObject = [
      "1": [
        "class_type": "L", "inputs": ["ckpt_name": "a/b\\c.safetensors", "url_name": "http://x/y", "image": "a/b"],
      ]
    ]
    PromptEdits.convertSeparators(in: &edited, for: .windows)
    #expect(edited["1"]?["inputs"]?["ckpt_name"] == "a\\b\\c.safetensors")
    #expect(edited["1"]?["inputs"]?["url_name"] == "http://x/y")
    #expect(edited["1"]?["inputs"]?["image"] == "a/b")
    PromptEdits.convertSeparators(in: &edited, for: .posix)
    #expect(edited["1"]?["inputs"]?["ckpt_name"] == "a/b/c.safetensors")
  }

  @Test func annotatedNamesAndEscapesAreNotLocalFiles() {
    #expect(LocalFiles.localPath("x.png [output]", inputDir: "/") == nil)
    #expect(LocalFiles.localPath("x.png [temp]", inputDir: "/") == nil)
    #expect(LocalFiles.localPath("../etc/passwd", inputDir: "/tmp") == nil)
    #expect(LocalFiles.localPath("passwd [input]", inputDir: "/etc") == "/etc/passwd")
    #expect(LocalFiles.localPath("passwd", inputDir: nil) == nil)
    #expect(LocalFiles.localPath("/etc/passwd", inputDir: nil) == "/etc/passwd")
    #expect(LocalFiles.localPath("/etc", inputDir: nil) == nil, "directories are not files")
  }

  @Test func uuidsAreCanonicalVersion4() {
    let id = UUID4.make()
    let parts = id.split(separator: "-").map(\.count)
    #expect(parts == [8, 4, 4, 4, 12] && id == id.lowercased())
    #expect(Array(id)[14] == "4" && "89ab".contains(Array(id)[19]))
  }
}
