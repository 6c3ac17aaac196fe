import Testing

@testable import WheelURL

let linuxPlatforms = ["manylinux_2_17_x86_64", "manylinux2014_x86_64", "linux_x86_64"]

/// `cpython_tags((3, 11), ["cp311"], platforms) + compatible_tags((3, 11), "cp311", platforms)` as
/// packaging 26.2 lists them, which is what `sys_tags()` gives on CPython 3.11 with these platforms.
let cp311Golden = """
    cp311-cp311-manylinux_2_17_x86_64 cp311-cp311-manylinux2014_x86_64 cp311-cp311-linux_x86_64
    cp311-abi3-manylinux_2_17_x86_64 cp311-abi3-manylinux2014_x86_64 cp311-abi3-linux_x86_64
    cp311-none-manylinux_2_17_x86_64 cp311-none-manylinux2014_x86_64 cp311-none-linux_x86_64
    cp310-abi3-manylinux_2_17_x86_64 cp310-abi3-manylinux2014_x86_64 cp310-abi3-linux_x86_64
    cp39-abi3-manylinux_2_17_x86_64 cp39-abi3-manylinux2014_x86_64 cp39-abi3-linux_x86_64
    cp38-abi3-manylinux_2_17_x86_64 cp38-abi3-manylinux2014_x86_64 cp38-abi3-linux_x86_64
    cp37-abi3-manylinux_2_17_x86_64 cp37-abi3-manylinux2014_x86_64 cp37-abi3-linux_x86_64
    cp36-abi3-manylinux_2_17_x86_64 cp36-abi3-manylinux2014_x86_64 cp36-abi3-linux_x86_64
    cp35-abi3-manylinux_2_17_x86_64 cp35-abi3-manylinux2014_x86_64 cp35-abi3-linux_x86_64
    cp34-abi3-manylinux_2_17_x86_64 cp34-abi3-manylinux2014_x86_64 cp34-abi3-linux_x86_64
    cp33-abi3-manylinux_2_17_x86_64 cp33-abi3-manylinux2014_x86_64 cp33-abi3-linux_x86_64
    cp32-abi3-manylinux_2_17_x86_64 cp32-abi3-manylinux2014_x86_64 cp32-abi3-linux_x86_64
    py311-none-manylinux_2_17_x86_64 py311-none-manylinux2014_x86_64 py311-none-linux_x86_64
    py3-none-manylinux_2_17_x86_64 py3-none-manylinux2014_x86_64 py3-none-linux_x86_64
    py310-none-manylinux_2_17_x86_64 py310-none-manylinux2014_x86_64 py310-none-linux_x86_64
    py39-none-manylinux_2_17_x86_64 py39-none-manylinux2014_x86_64 py39-none-linux_x86_64
    py38-none-manylinux_2_17_x86_64 py38-none-manylinux2014_x86_64 py38-none-linux_x86_64
    py37-none-manylinux_2_17_x86_64 py37-none-manylinux2014_x86_64 py37-none-linux_x86_64
    py36-none-manylinux_2_17_x86_64 py36-none-manylinux2014_x86_64 py36-none-linux_x86_64
    py35-none-manylinux_2_17_x86_64 py35-none-manylinux2014_x86_64 py35-none-linux_x86_64
    py34-none-manylinux_2_17_x86_64 py34-none-manylinux2014_x86_64 py34-none-linux_x86_64
    py33-none-manylinux_2_17_x86_64 py33-none-manylinux2014_x86_64 py33-none-linux_x86_64
    py32-none-manylinux_2_17_x86_64 py32-none-manylinux2014_x86_64 py32-none-linux_x86_64
    py31-none-manylinux_2_17_x86_64 py31-none-manylinux2014_x86_64 py31-none-linux_x86_64
    py30-none-manylinux_2_17_x86_64 py30-none-manylinux2014_x86_64 py30-none-linux_x86_64 cp311-none-any
    py311-none-any py3-none-any py310-none-any py39-none-any py38-none-any py37-none-any py36-none-any
    py35-none-any py34-none-any py33-none-any py32-none-any py31-none-any py30-none-any
  """

/// The same for a free-threaded CPython 3.13 (`abi = cp313t`) on `linux_x86_64`: no `abi3`, but
/// `abi3t` (packaging 26.1 and later, PEP 803).
let cp313tGolden = """
    cp313-cp313t-linux_x86_64 cp313-abi3t-linux_x86_64 cp313-none-linux_x86_64 cp312-abi3t-linux_x86_64
    cp311-abi3t-linux_x86_64 cp310-abi3t-linux_x86_64 cp39-abi3t-linux_x86_64 cp38-abi3t-linux_x86_64
    cp37-abi3t-linux_x86_64 cp36-abi3t-linux_x86_64 cp35-abi3t-linux_x86_64 cp34-abi3t-linux_x86_64
    cp33-abi3t-linux_x86_64 cp32-abi3t-linux_x86_64 py313-none-linux_x86_64 py3-none-linux_x86_64
    py312-none-linux_x86_64 py311-none-linux_x86_64 py310-none-linux_x86_64 py39-none-linux_x86_64
    py38-none-linux_x86_64 py37-none-linux_x86_64 py36-none-linux_x86_64 py35-none-linux_x86_64
    py34-none-linux_x86_64 py33-none-linux_x86_64 py32-none-linux_x86_64 py31-none-linux_x86_64
    py30-none-linux_x86_64 cp313-none-any py313-none-any py3-none-any py312-none-any py311-none-any
    py310-none-any py39-none-any py38-none-any py37-none-any py36-none-any py35-none-any py34-none-any
    py33-none-any py32-none-any py31-none-any py30-none-any
  """

func tagStrings(_ ranking: TagRanking) -> [String] { ranking.tags.map(\.description) }

func goldenTags(_ text: String) -> [String] { text.split(whereSeparator: \.isWhitespace).map(String.init) }

@Test func listsCPythonTagsInPackagingOrder() throws {
  let ranking = try TagRanking(pythonTag: "cp311", abi: "cp311", platforms: linuxPlatforms)
  #expect(tagStrings(ranking) == goldenTags(cp311Golden))
  #expect(try tagStrings(TagRanking(pythonTag: "cp311", platforms: linuxPlatforms)) == goldenTags(cp311Golden))
}

@Test(arguments: [("cp313t", nil), ("cp313", "cp313t"), ("CP313T", "CP313T")] as [(String, String?)])
func listsFreeThreadedTags(pythonTag: String, abi: String?) throws {
  let ranking = try TagRanking(pythonTag: pythonTag, abi: abi, platforms: ["linux_x86_64"])
  #expect(tagStrings(ranking) == goldenTags(cp313tGolden))
}

/// (tag, rank) for cp311 on the three Linux platforms; `nil` is incompatible.
@Test(
  arguments: [
    ("cp311-cp311-manylinux_2_17_x86_64", 0), ("cp311-cp311-linux_x86_64", 2), ("cp311-abi3-manylinux2014_x86_64", 4),
    ("cp311-none-manylinux_2_17_x86_64", 6), ("cp310-abi3-manylinux_2_17_x86_64", 9),
    ("cp39-abi3-manylinux_2_17_x86_64", 12),
    ("cp32-abi3-linux_x86_64", 35), ("py311-none-manylinux_2_17_x86_64", 36), ("py3-none-linux_x86_64", 41),
    ("py310-none-manylinux_2_17_x86_64", 42), ("py30-none-linux_x86_64", 74), ("cp311-none-any", 75),
    ("py311-none-any", 76), ("py3-none-any", 77), ("py310-none-any", 78), ("py30-none-any", 88),
    ("CP311-CP311-MANYLINUX_2_17_X86_64", 0),
    ("cp312-cp312-manylinux_2_17_x86_64", nil), ("cp312-abi3-manylinux_2_17_x86_64", nil),
    ("cp311-cp311-win_amd64", nil), ("cp311-cp311-manylinux_2_34_x86_64", nil), ("py2-none-any", nil),
    ("cp311-cp311m-linux_x86_64", nil), ("pp310-pypy310_pp73-linux_x86_64", nil), ("cp31-abi3-linux_x86_64", nil),
    ("cp311-abi3t-linux_x86_64", nil), ("py4-none-any", nil),
  ] as [(String, Int?)])
func ranksTag(tag: String, rank: Int?) throws {
  let ranking = try TagRanking(pythonTag: "cp311", abi: "cp311", platforms: linuxPlatforms)
  let parts = tag.split(separator: "-").map(String.init)
  #expect(ranking.rank(of: WheelTag(interpreter: parts[0], abi: parts[1], platform: parts[2])) == rank)
}

/// A wheel ranks by the best tag in its (possibly compressed) tag sets.
@Test(
  arguments: [
    ("numpy-2.1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 0),
    ("foo-1.0-cp39-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", 12),
    ("foo-1.0-cp39-abi3-manylinux2014_x86_64.whl", 13),
    ("six-1.16.0-py2.py3-none-any.whl", 77),
    ("foo-1.0-py3-none-manylinux_2_17_x86_64.whl", 39),
    ("foo-1.0-cp310.cp311-cp310.cp311-linux_x86_64.whl", 2),
    ("nvdiffrast-0.4.0%2Bcu124torch2.4-cp310-cp310-manylinux_2_34_x86_64.manylinux_2_35_x86_64.whl", nil),
    ("foo-1.0-cp311-cp311-win_amd64.whl", nil),
    ("foo-1.0-py2-none-any.whl", nil),
  ] as [(String, Int?)])
func ranksWheel(filename: String, rank: Int?) throws {
  let ranking = try TagRanking(pythonTag: "cp311", abi: "cp311", platforms: linuxPlatforms)
  #expect(ranking.bestRank(of: try WheelFilename(filename)) == rank)
}

@Test func prefersTheMoreSpecificPlatform() throws {
  let platforms = ["manylinux_2_36_x86_64", "manylinux_2_35_x86_64", "manylinux_2_34_x86_64", "linux_x86_64"]
  let ranking = try TagRanking(pythonTag: "cp310", platforms: platforms)
  let newer = try WheelFilename("x-1.0-cp310-cp310-manylinux_2_35_x86_64.whl")
  let older = try WheelFilename("x-1.0-cp310-cp310-manylinux_2_34_x86_64.whl")
  let pure = try WheelFilename("x-1.0-py3-none-any.whl")
  #expect(ranking.bestRank(of: newer)! < ranking.bestRank(of: older)!)
  #expect(ranking.bestRank(of: older)! < ranking.bestRank(of: pure)!)
}

@Test func rankingWithoutPlatformsKeepsPurePythonTags() throws {
  let ranking = try TagRanking(pythonTag: "cp312", platforms: [])
  #expect(tagStrings(ranking).prefix(3) == ["cp312-none-any", "py312-none-any", "py3-none-any"])
}

@Test(arguments: ["pp310", "cp", "cpx11", "py311", "", "cp3.11"])
func rejectsUnsupportedPythonTag(tag: String) {
  #expect(throws: TagRankingError.self) { try TagRanking(pythonTag: tag, platforms: linuxPlatforms) }
}
