import PipeKit
import TestSupport
import Testing

@testable import PipeHTTP

#if canImport(Glibc)
  import Glibc
#endif

/// The encoder's bytes, parsed back by Python's `email` package (as aiohttp and ComfyUI would).
@Suite struct MultipartFormTests {
  static let parser = """
    import email.parser, email.policy, json, sys
    body = open(sys.argv[1], "rb").read()
    msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + sys.argv[2].encode() + b"\\r\\n\\r\\n" + body)
    assert msg.is_multipart(), "not multipart"
    out = []
    for part in msg.iter_parts():
        data = part.get_payload(decode=True)
        out.append({"name": part.get_param("name", header="content-disposition"),
                    "filename": part.get_filename(), "type": part.get_content_type(),
                    "hex": data.hex()})
    print(json.dumps(out))
    """

  func parsed(_ form: inout MultipartForm) throws -> [JSON] {
    let body = form.body
    let dir = TemporaryDirectory.shared
    let name = "multipart-\(UInt32.random(in: 0...UInt32.max))"
    let script = try dir.write("\(name).py", Self.parser)
    let path = "\(dir.path)/\(name).bin"
    let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC)
    try fd.closeAfter { try $0.writeAll(body) }
    let run = try runCapturing("/usr/bin/env", ["python3", script, path, form.contentType])
    #expect(run.exit == .exited(0), "\(run.stderrText)")
    return try JSON.parse(run.stdoutText).arrayValue ?? []
  }

  func hex(_ bytes: [UInt8]) -> String { SHA256.hexDigits(bytes) }

  @Test func fieldsAndFilesParseBack() throws {
    var form = MultipartForm()
    let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0xFF, 0x0D, 0x0A, 0x2D, 0x2D]
    form.addFile("image", fileName: "in put.png", contentType: "image/png", bytes: png)
    form.addField("subfolder", "jobs/abc")
    form.addField("overwrite", "true")
    form.addField("empty", "")
    let parts = try parsed(&form)
    #expect(parts.count == 4)
    #expect(parts[0]["name"] == "image" && parts[0]["filename"] == "in put.png" && parts[0]["type"] == "image/png")
    #expect(parts[0]["hex"]?.stringValue == hex(png))
    #expect(parts[1]["name"] == "subfolder" && parts[1]["hex"]?.stringValue == hex(Array("jobs/abc".utf8)))
    #expect(parts[1]["filename"] == .null)
    #expect(parts[3]["hex"] == "")
  }

  @Test func quotesAndLineBreaksInNamesCannotBreakTheHeader() throws {
    var form = MultipartForm()
    form.addFile("image", fileName: "a\"b\r\nContent-Type: text/evil.png", bytes: [1, 2, 3])
    let parts = try parsed(&form)
    #expect(parts.count == 1)
    #expect(parts[0]["filename"] == "a%22b%0D%0AContent-Type: text/evil.png")
    #expect(parts[0]["type"] == "application/octet-stream")
  }

  @Test func aPartHoldingTheBoundaryGetsANewOne() throws {
    var form = MultipartForm(boundary: "fixed")
    form.addFile("image", fileName: "x.bin", bytes: Array("\r\n--fixed--\r\n".utf8))
    let parts = try parsed(&form)
    #expect(form.boundary != "fixed")
    #expect(parts.count == 1 && parts[0]["hex"]?.stringValue == hex(Array("\r\n--fixed--\r\n".utf8)))
  }
}

extension SHA256 {
  static func hexDigits(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
  }
}
