import TestSupport
import Testing

@testable import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct SafeFileNameTests {
  @Test(arguments: [
    ("image", "image"), ("../../etc/passwd", "_.._etc_passwd"), ("/abs/path", "_abs_path"), ("..", "output"),
    (".hidden", "hidden"), ("a\u{0}b\nc", "a_b_c"), ("C:\\x", "C__x"), ("", "output"), ("ünï 😀", "ünï 😀"),
  ])
  func namesStayInside(name: String, safe: String) {
    #expect(SafeFileName.make(name) == safe)
    #expect(!SafeFileName.make(name).contains("/"))
  }

  @Test func longNamesAreCut() {
    #expect(SafeFileName.make(String(repeating: "é", count: 300)).utf8.count <= 200)
  }

  @Test func existingFilesAreNotOverwrittenUnlessAsked() throws {
    let dir = try TemporaryDirectory.shared.directory("safe-\(UInt32.random(in: 0...UInt32.max))")
    let (a, pathA) = try SafeFileName.create(in: dir, stem: "x", ext: "npy", overwrite: false)
    a.close()
    let (b, pathB) = try SafeFileName.create(in: dir, stem: "x", ext: "npy", overwrite: false)
    b.close()
    #expect(pathA.hasSuffix("/x.npy") && pathB.hasSuffix("/x-1.npy"))
    let (c, pathC) = try SafeFileName.create(in: dir, stem: "x", ext: "npy", overwrite: true)
    c.close()
    #expect(pathC == pathA)
    #expect(symlink("/etc/passwd", "\(dir)/link.npy") == 0)
    let (d, pathD) = try SafeFileName.create(in: dir, stem: "link", ext: "npy", overwrite: false)
    d.close()
    #expect(pathD.hasSuffix("/link-1.npy"), "a symlink in the way is never followed")
  }

  @Test func tensorsAreFoundAtAnyDepth() throws {
    let t: JSON = ["type": "tensor", "dtype": "uint8", "shape": [0], "storage": ["kind": "inline", "base64": ""]]
    let result: JSON = ["type": "result", "id": 1, "outputs": [["samples": t], t, "text", 3]]
    let found = TensorRecord.findAll(in: result)
    #expect(found.map(\.path) == [["outputs", "0", "samples"], ["outputs", "1"]])
    #expect(TensorRecord.findAll(in: t).count == 1)
  }
}
