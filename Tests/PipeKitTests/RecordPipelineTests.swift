import TestSupport
import Testing

@testable import PipeKit

/// The reader, writer and exit status seen from outside, through a tiny tool built on PipeKit.
@Suite struct RecordPipelineTests {
  @Test func goodRecordsPassAndABadLineExits65() throws {
    let input = "{\"type\":\"a\",\"id\":1}\r\nnope\n\n{\"type\":\"b\",\"id\":2}\n"
    let run = try Products.run("RecordEcho", input: input)
    #expect(run.exit == .exited(65))
    let records = run.records
    #expect(records.count == 3)
    #expect(records[0] == ["type": "a", "id": 1])
    #expect(records[1].type == "error")
    #expect(records[1]["code"] == "bad-record")
    #expect(records[1]["tool"] == "record-echo")
    #expect(records[1]["detail"]?["line"] == 2)
    #expect(records[2] == ["type": "b", "id": 2])
    #expect(run.stderrText.hasPrefix("record-echo: error (at <stdin>:2): input line 2 is not a JSON record"))
    #expect(run.stderrText.split(separator: "\n").count == 1)
  }

  @Test func anItemFailureExits1AndKeepsTheId() throws {
    let run = try Products.run(
      "RecordEcho", ["--fail-type", "b"], input: "{\"type\":\"b\",\"id\":\"x\"}\n{\"type\":\"a\"}\n")
    #expect(run.exit == .exited(1))
    #expect(run.records.map(\.type) == ["error", "a"])
    #expect(run.records[0]["id"] == "x")
  }

  @Test func emptyInputIsSuccess() throws {
    let run = try Products.run("RecordEcho", input: "")
    #expect(run.exit == .exited(0))
    #expect(run.stdout.isEmpty && run.stderr.isEmpty)
  }

  @Test func fullDiskExits74() throws {
    let run = try Products.shell("echo '{\"type\":\"a\"}' | RecordEcho --repeat 10 > /dev/full")
    #expect(run.exit == .exited(74))
    #expect(run.stderrText == "record-echo: error: writing output failed: No space left on device\n")
  }

  @Test func aClosedReaderEndsQuietlyBySIGPIPE() throws {
    let run = try Products.shell(
      "bash -c 'set -o pipefail; yes \"{\\\"type\\\":\\\"a\\\"}\" | head -n 1000 | RecordEcho --repeat 1000 | head -1; echo \"${PIPESTATUS[@]}\"'"
    )
    #expect(run.stdoutText == "{\"type\":\"a\"}\n141 0 141 0\n")
    #expect(run.stderrText == "")
  }

  @Test func usageErrorExits64WithPointerToHelp() throws {
    let run = try Products.run("RecordEcho", ["--repeat", "x"])
    #expect(run.exit == .exited(64))
    #expect(run.stdout.isEmpty)
    #expect(run.stderrText.hasSuffix("See 'record-echo --help' for more information.\n"))
  }

  @Test func sigtermWhileWaitingOnInputDiesBySIGTERM() throws {
    let run = try Products.shell("sleep 5 | RecordEcho & pid=$!; sleep 0.3; kill -TERM $pid; wait $pid; echo $?")
    #expect(run.stdoutText == "143\n")
  }

  @Test func recordsStreamBeforeInputEnds() throws {
    // The producer sends its second record only after the consumer has seen the first, so the
    // writer must flush before it blocks on input; if it did not, the producer gives up after
    // 10 s and sends "timeout" instead.
    let marker = "\(TemporaryDirectory.shared.path)/seen-\(UInt32.random(in: 0...UInt32.max))"
    let producer = """
      echo '{"type":"a"}'; n=0; while [ ! -f \(marker) ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n+1)); done; \
      if [ -f \(marker) ]; then echo '{"type":"b"}'; else echo '{"type":"timeout"}'; fi
      """
    let run = try Products.shell("(\(producer)) | RecordEcho | (read -r line; touch \(marker); echo \"$line\"; cat)")
    #expect(run.records.map(\.type) == ["a", "b"])
  }
}
