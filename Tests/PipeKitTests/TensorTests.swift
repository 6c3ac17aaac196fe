import TestSupport
import Testing

@testable import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

@Suite struct TensorTests {
  @Test func base64MatchesRFC4648Vectors() {
    let vectors = [
      ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
      ("foobar", "Zm9vYmFy"),
    ]
    for (plain, encoded) in vectors {
      #expect(Base64.encode(Array(plain.utf8)) == encoded)
      #expect(Base64.decode(encoded) == Array(plain.utf8))
    }
    #expect(Base64.decode("Zm9v!") == nil)
    #expect(Base64.decode("Z") == nil)
    let all = (0...255).map { UInt8($0) }
    #expect(Base64.decode(Base64.encode(all)) == all)
  }

  @Test func byteCountChecksOverflow() {
    #expect(TensorRecord.byteCount(shape: [1, 512, 512, 3], dtype: .float32) == 3_145_728)
    #expect(TensorRecord.byteCount(shape: [], dtype: .float64) == 8)
    #expect(TensorRecord.byteCount(shape: [0, 5], dtype: .int8) == 0)
    #expect(TensorRecord.byteCount(shape: [Int.max / 2, 3], dtype: .uint8) == nil)
    #expect(TensorRecord.byteCount(shape: [-1], dtype: .uint8) == nil)
  }

  @Test(arguments: [
    (
      #"{"type":"tensor","dtype":"complex64","shape":[1],"storage":{"kind":"inline","base64":"AAAAAA=="}}"#,
      "unknown dtype"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[-1],"storage":{"kind":"inline","base64":""}}"#,
      "non-negative integers"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1.5],"storage":{"kind":"inline","base64":""}}"#,
      "non-negative integers"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[3],"storage":{"kind":"inline","base64":"AAA="}}"#, "holds 2 bytes but"
    ),
    (
      #"{"type":"tensor","dtype":"int64","shape":[4611686018427387904,4],"storage":{"kind":"inline","base64":""}}"#,
      "overflows"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"layout":"video","storage":{"kind":"inline","base64":"AA=="}}"#,
      "unknown layout"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","name":"/../etc/passwd","offset":0,"nbytes":1}}"#,
      "needs a \"name\""
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","name":"/pulse-shm-1","offset":0,"nbytes":1}}"#,
      "needs a \"name\""
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","path":"/home/u/notes.txt","offset":0,"nbytes":1}}"#,
      "this user's fallback directory"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","path":"/tmp/../cpipes-1-00000000000000ab","offset":0,"nbytes":1}}"#,
      "this user's fallback directory"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","path":"/home/u/cpipes-1-00000000000000ab","offset":0,"nbytes":1}}"#,
      "this user's fallback directory"
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","name":"/cpipes-1-ab","offset":0,"nbytes":1}}"#,
      "needs a \"name\""
    ),
    (
      #"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"shm","name":"/x","offset":9223372036854775807,"nbytes":1}}"#,
      "overflows"
    ),
    (#"{"type":"tensor","dtype":"uint8","shape":[1],"storage":{"kind":"tape"}}"#, "unknown storage kind 'tape'"),
  ])
  func badRecordsAreRefusedBeforeMapping(text: String, message: String) throws {
    let record = try #require(try JSON.parse(text).objectValue)
    #expect(throws: TensorError.self) { try TensorRecord(record: record) }
    do { _ = try TensorRecord(record: record) } catch { #expect(error.message.contains(message), "\(error.message)") }
  }

  @Test func recordRoundTripKeepsUnknownMembers() throws {
    let text =
      #"{"type":"tensor","name":"image","dtype":"float32","shape":[1,2,2,3],"layout":"image","storage":{"kind":"inline","base64":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"id":7,"metadata":{"k":"v"}}"#
    let record = try TensorRecord(record: try #require(try JSON.parse(text).objectValue))
    #expect(record.storage.nbytes == 48)
    #expect(JSON.object(record.record).serialized == text)
  }

  @Test func sharedMemoryIsCreatedPrivateMappedAndConsumed() throws {
    let (storage, region) = try SharedMemory.create(nbytes: 4096 * 3 + 5)
    guard case .shm(let name, 0, 12_293) = storage else { Issue.record("expected shm storage, got \(storage)"); return }
    #expect(name.hasPrefix("/cpipes-\(getpid())-"))
    var info = stat()
    #expect(stat("/dev/shm" + name, &info) == 0)
    #expect(info.st_mode & 0o777 == 0o600)
    for k in 0..<region.count { region.mutableBytes[k] = UInt8(k % 251) }
    let reader = try SharedMemory.map(storage, consume: true)
    #expect(stat("/dev/shm" + name, &info) != 0, "the consumer unlinks the segment")
    #expect(reader.count == 12_293)
    #expect(reader.withBytes { $0[12_292] } == UInt8(12_292 % 251))
    #expect(throws: SystemError.self) { try SharedMemory.map(storage, consume: true) }
  }

  /// A copy from a file into a new segment, split over parallel parts (each through its own
  /// descriptor), lands every byte in place, from any offset of the source and for a size that
  /// no part size divides; a source that ends early is an error and leaves no segment.
  @Test(arguments: [1, 3, 7])
  func copiesIntoANewSegmentInParts(parts: Int) throws {
    let count = 3 * 4096 * 5 + 123
    let bytes = (0..<(count + 77)).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 9) }
    let path = TemporaryDirectory.shared.path + "/source-\(UInt32.random(in: 0...UInt32.max)).bin"
    try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_TRUNC).closeAfter { try $0.writeAll(bytes) }
    let source = try FileDescriptor.open(path, O_RDONLY)
    defer { source.close() }
    let storage = try SharedMemory.create(nbytes: count, copying: source, at: 77, parts: parts)
    let region = try SharedMemory.map(storage, consume: true)
    #expect(region.withBytes { Array($0) } == Array(bytes[77...]))
    #expect(throws: TensorError.self) { try SharedMemory.create(nbytes: count, copying: source, at: 200, parts: parts) }
  }

  /// A consumer that reads a consumed segment once gives its memory back as it goes: the whole
  /// pages before the mark leave memory (not resident, reading as zeros), the rest stays intact.
  @Test func consumedSegmentsAreFreedBehindTheReader() throws {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let (storage, writer) = try SharedMemory.create(nbytes: page * 4)
    writer.mutableBytes.initializeMemory(as: UInt8.self, repeating: 7)
    let reader = try SharedMemory.map(storage, consume: true)
    #expect(reader.canDiscard)
    reader.discard(through: page * 2 + 100)
    #expect(try resident(writer) == [false, false, true, true], "a partial page is kept")
    reader.discard(through: page)
    #expect(try resident(writer) == [false, false, true, true], "nothing twice, nothing backwards")
    #expect(reader.withBytes { ($0[0], $0[page * 2 - 1], $0[page * 2], $0[page * 4 - 1]) } == (0, 0, 7, 7))
    reader.discard(through: page * 4)
    #expect(try resident(writer).suffix(2) == [false, false])
  }

  /// A segment that another name still links to (a producer's pool, DESIGN.md §2) and file
  /// storage are never freed: their bytes are not the consumer's alone.
  @Test func linkedSegmentsAndFilesAreNeverFreed() throws {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let (storage, writer) = try SharedMemory.create(nbytes: page * 2)
    writer.mutableBytes.initializeMemory(as: UInt8.self, repeating: 5)
    guard case .shm(let name, _, _) = storage else { Issue.record("expected shm storage"); return }
    let pool = "/dev/shm/cpipes-\(getpid())-pool\(UInt32.random(in: 0...UInt32.max))"
    #expect(link("/dev/shm" + name, pool) == 0)
    defer { unlink(pool) }
    let reader = try SharedMemory.map(storage, consume: true)
    #expect(!reader.canDiscard)
    reader.discard(through: page * 2)
    #expect(try resident(writer) == [true, true])
    #expect(reader.withBytes { $0[0] } == 5)
    let path = try TemporaryDirectory.shared.write("kept-\(UInt32.random(in: 0...UInt32.max)).bin", "0123456789")
    let file = try SharedMemory.map(.file(path: path, offset: 0, nbytes: 10), consume: true)
    #expect(!file.canDiscard)
    file.discard(through: 10)
    #expect(file.withBytes { $0[9] } == UInt8(ascii: "9"))
  }

  /// Which pages of `region` are in memory. The C function is `mincore`.
  func resident(_ region: MappedRegion) throws -> [Bool] {
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    var pages = [UInt8](repeating: 0, count: (region.count + page - 1) / page)
    _ = try valueOrErrno("mincore") { mincore(region.base, region.count, &pages) }
    return pages.map { $0 & 1 == 1 }
  }

  @Test func fileStorageChecksBoundsAndMapsAtAnyOffset() throws {
    let bytes = (0..<10_000).map { Character(UnicodeScalar(UInt8(65 + $0 % 26))) }
    let path = try TemporaryDirectory.shared.write("raw-\(UInt32.random(in: 0...UInt32.max)).bin", String(bytes))
    let region = try SharedMemory.map(.file(path: path, offset: 4097, nbytes: 3), consume: true)
    #expect(region.withBytes { Array($0) } == Array("PQR".utf8))
    #expect(access(path, F_OK) == 0, "file storage is never removed")
    #expect(throws: TensorError.self) {
      try SharedMemory.map(.file(path: path, offset: 9_999, nbytes: 2), consume: false)
    }
    #expect(throws: SystemError.self) {
      try SharedMemory.map(.file(path: path + ".missing", offset: 0, nbytes: 1), consume: false)
    }
  }

  @Test func fileFallbackAndEmptyTensors() throws {
    let (storage, region) = try SharedMemory.create(nbytes: 16, preferFile: true)
    guard case .shmFile(let path, _, _) = storage else { Issue.record("expected a file-backed segment"); return }
    region.mutableBytes[15] = 9
    #expect(try SharedMemory.map(storage, consume: true).withBytes { $0[15] } == 9)
    #expect(access(path, F_OK) != 0)
    let (empty, emptyRegion) = try SharedMemory.create(nbytes: 0)
    #expect(emptyRegion.count == 0)
    #expect(try SharedMemory.map(empty, consume: true).count == 0)
  }

  @Test func sweepFindsOnlyDeadCreators() throws {
    // A pid that cannot be running: above the kernel's pid_max.
    let orphan = "/cpipes-99999999-00000000deadbeef"
    let fd = shm_open(orphan, O_CREAT | O_RDWR, 0o600)
    #expect(fd >= 0)
    close(fd)
    let (mine, _) = try SharedMemory.create(nbytes: 8)
    #expect(SharedMemory.sweep(dryRun: true).contains("/dev/shm" + orphan))
    #expect(SharedMemory.sweep(dryRun: false).contains("/dev/shm" + orphan))
    #expect(!SharedMemory.sweep(dryRun: true).contains("/dev/shm" + orphan))
    if case .shm(let name, _, _) = mine {
      #expect(!SharedMemory.sweep(dryRun: true).contains("/dev/shm" + name), "a live creator's segment stays")
    }
    SharedMemory.release(mine)
  }
}

@Suite(.serialized) struct SHA256Tests {
  @Test(arguments: [false, true])
  func fipsVectorsAndChunking(portable: Bool) {
    SystemSHA256.disabled = portable
    defer { SystemSHA256.disabled = false }
    #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
    #expect(SHA256.hex(long) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    var hash = SHA256()
    for start in stride(from: 0, to: million.count, by: 777) {
      million[start..<min(start + 777, million.count)].withUnsafeBytes { hash.update($0) }
    }
    #expect(hash.finalize() == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
  }
}
