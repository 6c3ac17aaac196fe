import Testing

@testable import PipeKit

@Suite struct PlatformTagsTests {
  @Test func x86LadderGoesDownToManylinux1WithAliases() {
    let tags = PlatformTags.linux(arch: "x86_64", glibc: (2, 36))
    #expect(tags.first == "manylinux_2_36_x86_64")
    #expect(tags.count == 32 + 3 + 1)
    let i = tags.firstIndex(of: "manylinux_2_17_x86_64")!
    #expect(tags[i + 1] == "manylinux2014_x86_64")
    #expect(tags[tags.firstIndex(of: "manylinux_2_12_x86_64")! + 1] == "manylinux2010_x86_64")
    #expect(tags.suffix(2) == ["manylinux1_x86_64", "linux_x86_64"])
  }

  @Test func aarch64StopsAt217() {
    let tags = PlatformTags.linux(arch: "arm64", glibc: (2, 28))
    #expect(
      tags == (17...28).reversed().flatMap { minor -> [String] in
        minor == 17 ? ["manylinux_2_17_aarch64", "manylinux2014_aarch64"] : ["manylinux_2_\(minor)_aarch64"]
      } + ["linux_aarch64"])
  }

  @Test func noGlibcMeansOnlyLinux() {
    #expect(PlatformTags.linux(arch: "x86_64", glibc: nil) == ["linux_x86_64"])
    #expect(PlatformTags.parseGlibc("2.36") ?? (0, 0) == (2, 36))
    #expect(PlatformTags.parseGlibc("musl") == nil)
  }
}
