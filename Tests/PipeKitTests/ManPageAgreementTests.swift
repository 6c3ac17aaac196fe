import PipeKit
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Each tool's man page documents exactly the options its binary accepts.
@Suite struct ManPageAgreementTests {
  /// The tools that have a man page and are built.
  static let tools: [String] = {
    let pages = listDirectoryNames("\(Products.root)/man/man1") ?? []
    return pages.filter { $0.hasSuffix(".1") }.map { String($0.dropLast(2)) }
  }()

  /// Options named in an mdoc page: `.Fl \-name` (long) and `.Fl x` (short) anywhere on a line.
  static func documentedOptions(_ page: String) -> Set<String> {
    var found: Set<String> = []
    for line in page.split(separator: "\n") where line.hasPrefix(".") {
      let words = line.split(separator: " ").map(String.init)
      for (k, word) in words.enumerated() where word == "Fl" && k + 1 < words.count {
        var name = words[k + 1].replacingBackslashDash()
        while let last = name.last, !(last.isLetter || last.isNumber) { name.removeLast() }
        found.insert(name.hasPrefix("-") ? "-" + name : "-" + name)
      }
    }
    return found
  }

  /// Runs a built tool, or a tracked script of `bin/` (the install hook) where no tool has the name.
  static func run(_ tool: String, _ arguments: [String]) throws -> CapturedRun {
    let script = "\(Products.root)/bin/\(tool)"
    if access(Products.path(tool), X_OK) != 0 && access(script, X_OK) == 0 {
      return try runCapturing(script, arguments)
    }
    return try Products.run(tool, arguments)
  }

  @Test(arguments: tools)
  func helpAndManPageAgree(tool: String) throws {
    let page = try #require(readTextFileIfPresent("\(Products.root)/man/man1/\(tool).1"))
    let run = try Self.run(tool, ["--dump-options"])
    #expect(run.exit == .exited(0))
    let accepted = Set(run.stdoutText.split(separator: "\n").map(String.init)).subtracting(["--dump-options"])
    let documented = Self.documentedOptions(page)
    #expect(
      accepted.subtracting(documented).isEmpty,
      "accepted but not documented: \(accepted.subtracting(documented).sorted())")
    #expect(
      documented.subtracting(accepted).isEmpty,
      "documented but not accepted: \(documented.subtracting(accepted).sorted())")
    #expect(page.contains(".Xr comfy-pipes 7"), "every tool page refers to the record manual")
  }
}

extension String {
  func replacingBackslashDash() -> String {
    var out = ""
    var chars = self[...]
    while let c = chars.first {
      if c == "\\", chars.dropFirst().first == "-" {
        out.append("-")
        chars = chars.dropFirst(2)
      } else {
        out.append(c)
        chars = chars.dropFirst()
      }
    }
    return out
  }
}
