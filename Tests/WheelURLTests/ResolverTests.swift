import PipeHTTP
import PipeKit
import TestSupport
import Testing

@testable import WheelURL

/// The resolver against the fake index: the same catalogue over HTTP (find-links page, PEP 691
/// JSON index, PEP 503 HTML index) and on disk (a flat directory, a simple-index tree, a page).
@Suite struct ResolverTests {
  enum Place: String, CaseIterable, CustomTestStringConvertible {
    case httpLinks, httpJSONIndex, httpHTMLIndex, localDirectory, localIndexTree, localPage
    var testDescription: String { rawValue }

    var source: Source {
      let http = WheelIndexFixture.url
      let local = WheelIndexFixture.localDirectory
      switch self {
      case .httpLinks: return Source(.findLinks(url: "\(http)/links.html"), name: "test")
      case .httpJSONIndex: return Source(.index(url: "\(http)/simple/", version: nil), name: "test")
      case .httpHTMLIndex: return Source(.index(url: "\(http)/html/simple", version: nil), name: "test")
      case .localDirectory: return Source(.findLinks(url: URLText.fileURL(forPath: "\(local)/flat")), name: "test")
      case .localIndexTree:
        return Source(.index(url: URLText.fileURL(forPath: "\(local)/simple"), version: nil), name: "test")
      case .localPage: return Source(.findLinks(url: URLText.fileURL(forPath: "\(local)/links.html")), name: "test")
      }
    }

    /// Directories have no hashes, no Requires-Python and no yanked marks: only pages do.
    var hasMetadata: Bool { self != .localDirectory && self != .localIndexTree }
  }

  func resolver(_ place: Place) -> Resolver {
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher()), registry: .empty)
    resolver.userSources = [place.source]
    return resolver
  }

  func resolve(_ text: String, _ env: WheelEnv, _ place: Place) throws -> Outcome {
    resolver(place).resolve(try Request(text, origin: "test"), env: env)
  }

  func filename(_ text: String, _ env: WheelEnv, _ place: Place) throws -> String? {
    guard case .wheel(let record) = try resolve(text, env, place) else { return nil }
    return record["filename"]?.stringValue
  }

  static let m235 = "manylinux_2_34_x86_64.manylinux_2_35_x86_64"
  static let m217 = "manylinux_2_17_x86_64.manylinux2014_x86_64"

  @Test(arguments: Place.allCases)
  func choosesTheWheelForEachEnv(place: Place) throws {
    #expect(
      try filename("nvdiffrast", TestEnvs.cudaTorch, place)
        == "nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-\(Self.m235).whl")
    #expect(
      try filename("nvdiffrast", TestEnvs.oldGlibc, place)
        == "nvdiffrast-0.3.3+cu128torch2.8-cp311-cp311-\(Self.m217).whl")
    #expect(
      try filename("nvdiffrast", TestEnvs.otherPython, place)
        == "nvdiffrast-0.4.0+cu126torch2.7-cp312-cp312-\(Self.m235).whl")
    #expect(
      try filename("cumesh", TestEnvs.cudaTorch, place)
        == "cumesh-0.2.0+pt2.8cu128-cp311-cp311-manylinux_2_28_x86_64.whl")
    #expect(
      try filename("torch-scatter", TestEnvs.cpuOnly, place)
        == "torch_scatter-2.1.2+pt28cpu-cp311-cp311-linux_x86_64.whl")
    #expect(
      try filename("torch_scatter", TestEnvs.cudaTorch, place)
        == "torch_scatter-2.1.2+pt28cu128-cp311-cp311-linux_x86_64.whl")
    #expect(
      try filename("torch-scatter", TestEnvs.otherPython, place)
        == "torch_scatter-2.1.2+pt27cu126-cp312-cp312-linux_x86_64.whl")
    #expect(try filename("pytorch3d", TestEnvs.cudaTorch, place) == "pytorch3d-0.7.9+cu128-cp39-abi3-\(Self.m217).whl")
    #expect(
      try filename("gsplat", TestEnvs.cudaTorch, place) == "gsplat-1.4.0+cu128torch2.8-cp311-cp311-\(Self.m217).whl")
  }

  @Test(arguments: Place.allCases)
  func pinsAndRanges(place: Place) throws {
    let env = TestEnvs.cudaTorch
    #expect(
      try filename("nvdiffrast==0.3.3", env, place) == "nvdiffrast-0.3.3+cu128torch2.8-cp311-cp311-\(Self.m217).whl")
    #expect(try filename("nvdiffrast<0.4", env, place) == "nvdiffrast-0.3.3+cu128torch2.8-cp311-cp311-\(Self.m217).whl")
    #expect(try filename("nvdiffrast==0.4.0+cu128torch2.8", env, place) != nil)
    #expect(try filename("pytorch3d>=0.7.8,<0.7.9", env, place) == "pytorch3d-0.7.8+cu128-cp39-abi3-\(Self.m217).whl")
    #expect(try filename("pytorch3d~=0.7.8", env, place) == "pytorch3d-0.7.9+cu128-cp39-abi3-\(Self.m217).whl")
    // 1.1.5 has a build tag 1 (preferred), 1.1.0 requires Python 3.12, 1.2.0 is yanked, 2.0.0rc1 a pre-release.
    #expect(try filename("simplepkg<1.2", env, place) == "simplepkg-1.1.5-1-py3-none-any.whl")
    guard place.hasMetadata else {
      #expect(try filename("simplepkg", env, place) == "simplepkg-1.2.0-py3-none-any.whl")
      #expect(try filename("simplepkg<1.1.5", env, place) == "simplepkg-1.1.0-py3-none-any.whl")
      return
    }
    #expect(try filename("simplepkg", env, place) == "simplepkg-1.1.5-1-py3-none-any.whl")
    #expect(try filename("simplepkg<1.1.5", env, place) == "simplepkg-1.0.0-py3-none-any.whl")
    #expect(try filename("simplepkg<1.1.5", TestEnvs.otherPython, place) == "simplepkg-1.1.0-py3-none-any.whl")
    #expect(try filename("simplepkg>=2.0.0rc1", env, place) == "simplepkg-2.0.0rc1-py3-none-any.whl")
  }

  @Test(arguments: Place.allCases.filter(\.hasMetadata))
  func yankedFilesOnlyWhenPinned(place: Place) throws {
    let env = TestEnvs.cudaTorch
    #expect(try filename("simplepkg==1.2.0", env, place) == "simplepkg-1.2.0-py3-none-any.whl")
    #expect(try filename("simplepkg>=1.2,<2", env, place) == nil)
    guard case .failure(let error) = try resolve("simplepkg>=1.2,<2", env, place) else { return }
    #expect(error.code == "no-wheel")
  }

  @Test(arguments: Place.allCases)
  func theRecordCarriesURLAndHash(place: Place) throws {
    guard case .wheel(let record) = try resolve("nvdiffrast==0.4.0", TestEnvs.cudaTorch, place) else {
      Issue.record("no wheel")
      return
    }
    let name = "nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-\(Self.m235).whl"
    #expect(record.keys.prefix(5) == ["type", "name", "version", "url", "filename"])
    #expect(record["name"] == "nvdiffrast")
    #expect(record["version"] == "0.4.0+cu128torch2.8")
    #expect(
      record["url"]?.stringValue?.hasSuffix(name.replacingOccurrences("+", "%2B")) == true
        || record["url"]?.stringValue?.hasSuffix(name) == true)
    if place.hasMetadata {
      #expect(record["sha256"] == .string(sha256Hex(name)))
    } else {
      #expect(record["sha256"] == nil)
    }
    #expect(record["source"] != nil)
  }

  @Test func aNameNoSourceKnowsPassesThrough() throws {
    guard case .requirement(let record) = try resolve("transformers>=4.56", TestEnvs.cudaTorch, .localDirectory) else {
      Issue.record("not a requirement")
      return
    }
    #expect(record == ["type": "requirement", "spec": "transformers>=4.56"])
  }

  @Test func aMissListsTheCombinationsClosestFirst() throws {
    guard case .failure(let error) = try resolve("nvdiffrast==0.4.0", TestEnvs.cpuOnly, .httpLinks) else {
      Issue.record("not a miss")
      return
    }
    #expect(error.code == "no-wheel")
    #expect(error.message.contains("cpu torch2.8 cp311 manylinux_2_36_x86_64"))
    #expect(error.detail?["asked"]?["cuda"] == "cpu")
    let available = error.detail?["available"]?.arrayValue ?? []
    #expect(available.count > 10)
    #expect(available.first?["torch"] == "2.8" && available.first?["python"] == "cp311")

    let torch29 = WheelEnv(
      pythonVersion: "3.11", platformTags: TestEnvs.linux(glibc: 36), cuda: CUDAVersion("12.8"), torchVersion: "2.9.0")
    guard case .failure(let miss) = try resolve("nvdiffrast", torch29, .httpLinks) else {
      Issue.record("not a miss")
      return
    }
    let first = miss.detail?["available"]?.arrayValue?.first
    #expect(
      first == [
        "cuda": "cu128", "torch": "2.8", "python": "cp311", "platform": "manylinux_2_34_x86_64.manylinux_2_35_x86_64",
        "versions": ["0.4.0"],
      ])
    #expect(
      miss.message.contains(
        "closest available: cu128 torch2.8 cp311 manylinux_2_34_x86_64.manylinux_2_35_x86_64 (0.4.0)"))
  }

  @Test func offlineWithAnHTTPIndexIsAnErrorNotAHang() throws {
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher(offline: true)), registry: .empty)
    resolver.userSources = [Source(.index(url: "http://192.0.2.1/simple/", version: nil), name: "--index")]
    let start = monotonicSeconds()
    guard case .failure(let error) = resolver.resolve(try Request("nvdiffrast", origin: "t"), env: TestEnvs.cudaTorch)
    else {
      Issue.record("not an error")
      return
    }
    #expect(error.code == "offline")
    #expect(monotonicSeconds() - start < 1)
  }

  @Test func templatesAreTriedFirstAndChecked() throws {
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher()), registry: .empty)
    resolver.templates["nvdiffrast"] = [
      Source(
        .template(
          url:
            "\(WheelIndexFixture.url)/files/nvdiffrast-{version}%2Bcu{cuda_short}torch{torch_dotted_mm}-{py_tag}-{py_tag}-linux_aarch64.whl",
          platforms: []), name: "arm"),
      Source(
        .template(
          url:
            "\(WheelIndexFixture.url)/files/nvdiffrast-{version}%2Bcu{cuda_short}torch{torch_dotted_mm}-{py_tag}-{py_tag}-\(Self.m235).whl",
          platforms: []), name: "x86"),
    ]
    guard
      case .wheel(let record) = resolver.resolve(try Request("nvdiffrast==0.4.0", origin: "t"), env: TestEnvs.cudaTorch)
    else {
      Issue.record("no wheel")
      return
    }
    #expect(record["source"] == "x86")
    #expect(record["filename"] == .string("nvdiffrast-0.4.0+cu128torch2.8-cp311-cp311-\(Self.m235).whl"))
    guard
      case .failure(let unpinned) = resolver.resolve(try Request("nvdiffrast", origin: "t"), env: TestEnvs.cudaTorch)
    else {
      Issue.record("not an error")
      return
    }
    #expect(unpinned.code == "needs-version")
  }

  @Test func verifyChecksTheChosenURL() throws {
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher()), registry: .empty)
    resolver.verify = true
    resolver.templates["simplepkg"] = [
      Source(
        .template(url: "\(WheelIndexFixture.url)/files/simplepkg-{version}-py2-none-any.whl", platforms: []),
        name: "gone"),
      Source(
        .template(url: "\(WheelIndexFixture.url)/nohead/files/simplepkg-{version}-py3-none-any.whl", platforms: []),
        name: "ok"),
    ]
    // py2 does not fit cp311: skipped without a request; a 404 is skipped after one.
    resolver.templates["filler"] = [
      Source(
        .template(url: "\(WheelIndexFixture.url)/files/filler-{version}-cp311-cp311-linux_x86_64.whl", platforms: []),
        name: "404")
    ]
    guard
      case .wheel(let record) = resolver.resolve(try Request("simplepkg==1.0.0", origin: "t"), env: TestEnvs.cudaTorch)
    else {
      Issue.record("no wheel")
      return
    }
    #expect(record["source"] == "ok")
    guard
      case .failure(let error) = resolver.resolve(try Request("filler==9.9.9", origin: "t"), env: TestEnvs.cudaTorch)
    else {
      Issue.record("not an error")
      return
    }
    #expect(error.detail?["tried"]?.arrayValue?.first?["result"] == "does not exist (--verify)")
  }

  @Test func anUnknownPlaceholderEndsTheRequest() throws {
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher()), registry: .empty)
    resolver.templates["x"] = [
      Source(.template(url: "https://x.example/x-{verison}.whl", platforms: []), name: "--template")
    ]
    guard case .failure(let error) = resolver.resolve(try Request("x==1", origin: "t"), env: TestEnvs.cudaTorch) else {
      Issue.record("not an error")
      return
    }
    #expect(error.code == "unknown-placeholder")
    #expect(error.detail?["placeholder"] == "verison")
  }
}

/// The fixture's fake hashes: SHA-256 of the file name, computed by Python.
func sha256Hex(_ text: String) -> String {
  let run = try? runCapturing(
    "/usr/bin/env",
    ["python3", "-c", "import hashlib,sys;print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", text])
  return run.map { String($0.stdoutText.dropLast()) } ?? ""
}
