import Glibc
import TestSupport
import Testing

@testable import PipeKit

/// `AtomicFile`: the temporary name, the digest kept while writing, the naming on commit, and
/// the sweep of a dead run's `.part` files. The crash cases (SIGKILL, SIGTERM, a full disk) are
/// tested through its users, tensor-pack and remote-fetch.
@Suite struct AtomicFileTests {
  @Test func twoWritersOfOneNameInOneProcessNeverShareATemporaryFile() throws {
    let dir = TemporaryDirectory()
    let first = try AtomicFile(directory: dir.path, stem: "out", ext: "png", overwrite: false, tool: "demo")
    let second = try AtomicFile(directory: dir.path, stem: "out", ext: "png", overwrite: false, tool: "demo")
    let pid = getpid()
    #expect(first.temporaryPath == dir.file(".out.png.demo-\(pid).part"))
    #expect(second.temporaryPath == dir.file(".out.png.1.demo-\(pid).part"))
    try first.write([1, 2, 3])
    try second.write([4, 5])
    #expect(listDirectoryNames(dir.path)?.sorted() == [".out.png.1.demo-\(pid).part", ".out.png.demo-\(pid).part"])
    #expect(second.takeSHA256() == SHA256.hex([4, 5]))
    try second.commit()
    try first.commit()
    #expect(second.path == dir.file("out.png") && first.path == dir.file("out-1.png"), "never replaced")
    #expect(try readFile(first.path) == [1, 2, 3])
    #expect(try readFile(second.path) == [4, 5])
    #expect(listDirectoryNames(dir.path)?.sorted() == ["out-1.png", "out.png"])
    let third = try AtomicFile(directory: dir.path, stem: "out", ext: "png", overwrite: false, tool: "demo")
    #expect(third.temporaryPath == dir.file(".out.png.demo-\(pid).part"), "a committed name is free again")
  }

  @Test func replacingARestartedFileKeepsOnlyTheSecondWriting() throws {
    let dir = TemporaryDirectory()
    try writeFile(dir.file("x.bin"), [9])
    let file = try AtomicFile(path: dir.file("x.bin"), tool: "demo")
    try file.write([1, 2, 3, 4])
    try file.restart()
    try file.write([5, 6])
    #expect(file.position == 2)
    #expect(file.takeSHA256() == SHA256.hex([5, 6]))
    try file.commit()
    #expect(try readFile(dir.file("x.bin")) == [5, 6])
    #expect(listDirectoryNames(dir.path) == ["x.bin"])
  }

  @Test func aHoleOrAPatchGivesUpTheDigest() throws {
    let dir = TemporaryDirectory()
    let file = try AtomicFile(path: dir.file("h.bin"), tool: "demo")
    try file.write([1])
    try file.skip(2)
    try file.write([8])
    try file.patch([7], at: 0)
    #expect(file.takeSHA256() == nil)
    try file.commit()
    #expect(try readFile(dir.file("h.bin")) == [7, 0, 0, 8])
  }

  @Test func theSweepTakesOnlyTheToolsPartsOfDeadProcesses() throws {
    let dir = TemporaryDirectory()
    let dead = dir.file(AtomicFile.partialName("a.png", tool: "demo", pid: 99_999_998))
    let deadSecond = dir.file(AtomicFile.partialName("a.png.1", tool: "demo", pid: 99_999_998))
    let live = dir.file(AtomicFile.partialName("b.png", tool: "demo", pid: getpid()))
    let otherTool = dir.file(AtomicFile.partialName("c.png", tool: "other", pid: 99_999_998))
    for path in [dead, deadSecond, live, otherTool] { try writeFile(path, [1]) }
    #expect(AtomicFile.sweep(dir.path, tool: "demo", olderThan: 60).isEmpty, "written just now")
    #expect(Set(AtomicFile.sweep(dir.path, tool: "demo", olderThan: 0)) == [dead, deadSecond])
    #expect(([live, otherTool] as [String]).allSatisfy { access($0, F_OK) == 0 })
  }
}
