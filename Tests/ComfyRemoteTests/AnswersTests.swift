import ComfyRemote
import PipeHTTP
import PipeKit
import Testing

/// How a `POST /prompt` answer is accepted: only a 200 with a sane `prompt_id` and an integer
/// `number` is a queued prompt.
@Suite struct AnswersTests {
  func reply(_ status: Int, _ body: String) throws(RemoteError) -> PromptReply {
    try Answers.promptReply(HTTPResponse(status: status, url: "u", body: Array(body.utf8)), url: "u")
  }

  @Test func aSaneAnswerIsAccepted() throws {
    let ok = try reply(200, #"{"prompt_id":"0b7c3f0e-1d2a-4c1e-9a4b-2f1e8d7c6b5a","number":3,"node_errors":{}}"#)
    #expect(ok.promptID == "0b7c3f0e-1d2a-4c1e-9a4b-2f1e8d7c6b5a" && ok.number == 3)
  }

  @Test(arguments: [
    (200, #"{"prompt_id":"../etc","number":1}"#), (200, #"{"prompt_id":"a\u001b[2J","number":1}"#),
    (200, #"{"prompt_id":"","number":1}"#), (200, #"{"prompt_id":".hidden","number":1}"#),
    (200, #"{"prompt_id":"\#(String(repeating: "a", count: 129))","number":1}"#),
    (200, #"{"prompt_id":"p","number":"7"}"#), (200, #"{"prompt_id":"p","number":1.5}"#),
    (200, #"{"prompt_id":"p","number":null}"#), (201, #"{"prompt_id":"p","number":1}"#),
    (302, ""),
  ])
  func anythingElseIsNot(status: Int, body: String) {
    #expect(throws: RemoteError.self) { try reply(status, body) }
  }

  @Test func sanePromptIDs() {
    #expect(Answers.isSanePromptID("abc-DEF_0.1"))
    #expect(!Answers.isSanePromptID("a/b") && !Answers.isSanePromptID("a b") && !Answers.isSanePromptID("é"))
  }
}
