import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// One GPU as the record lists it.
struct GPU: Equatable {
  var index: Int
  var name: String
  var uuid: String?
  var computeCapability: (major: Int, minor: Int)?
  var memoryMiB: Int?

  static func == (a: GPU, b: GPU) -> Bool {
    a.index == b.index && a.name == b.name && a.uuid == b.uuid && a.memoryMiB == b.memoryMiB
      && a.computeCapability?.major == b.computeCapability?.major
      && a.computeCapability?.minor == b.computeCapability?.minor
  }
}

/// The NVIDIA Management Library, reached through `dlopen` so that its absence is normal.
struct NVML {
  let handle: UnsafeMutableRawPointer

  typealias NoArgs = @convention(c) () -> Int32
  typealias GetString = @convention(c) (UnsafeMutablePointer<CChar>?, UInt32) -> Int32
  typealias GetInt = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32
  typealias GetCount = @convention(c) (UnsafeMutablePointer<UInt32>?) -> Int32
  typealias GetHandle = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>?) -> Int32
  typealias DeviceString = @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, UInt32) -> Int32
  typealias DeviceCC =
    @convention(c) (OpaquePointer?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Int32
  typealias DeviceMemory = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt64>?) -> Int32

  /// Loads and initialises NVML (`nvmlInit_v2`), or `nil` when it is not there or fails.
  static func open() -> NVML? {
    guard let handle = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL) else { return nil }
    let nvml = NVML(handle: handle)
    guard let initialise: NoArgs = nvml.symbol("nvmlInit_v2"), initialise() == 0 else {
      dlclose(handle)
      return nil
    }
    return nvml
  }

  func close() {
    if let shutdown: NoArgs = symbol("nvmlShutdown") { _ = shutdown() }
    dlclose(handle)
  }

  func symbol<T>(_ name: String) -> T? {
    dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
  }

  var driverVersion: String? {
    guard let get: GetString = symbol("nvmlSystemGetDriverVersion") else { return nil }
    return readString { get($0, $1) }
  }

  var cudaDriverVersion: CudaVersion? {
    guard let get: GetInt = symbol("nvmlSystemGetCudaDriverVersion_v2") ?? symbol("nvmlSystemGetCudaDriverVersion")
    else { return nil }
    var value: Int32 = 0
    return get(&value) == 0 && value > 0 ? CudaVersion(driverAPI: value) : nil
  }

  var gpus: [GPU] {
    guard let count: GetCount = symbol("nvmlDeviceGetCount_v2"),
      let byIndex: GetHandle = symbol("nvmlDeviceGetHandleByIndex_v2")
    else { return [] }
    var n: UInt32 = 0
    guard count(&n) == 0 else { return [] }
    let nameOf: DeviceString? = symbol("nvmlDeviceGetName")
    let uuidOf: DeviceString? = symbol("nvmlDeviceGetUUID")
    let ccOf: DeviceCC? = symbol("nvmlDeviceGetCudaComputeCapability")
    let memoryOf: DeviceMemory? = symbol("nvmlDeviceGetMemoryInfo")
    var result: [GPU] = []
    for index in 0..<n {
      var device: OpaquePointer?
      guard byIndex(index, &device) == 0 else { continue }
      var gpu = GPU(index: Int(index), name: "NVIDIA GPU")
      if let nameOf, let name = readString({ nameOf(device, $0, $1) }) { gpu.name = name }
      if let uuidOf { gpu.uuid = readString { uuidOf(device, $0, $1) } }
      var major: Int32 = 0
      var minor: Int32 = 0
      if let ccOf, ccOf(device, &major, &minor) == 0 { gpu.computeCapability = (Int(major), Int(minor)) }
      var memory: (UInt64, UInt64, UInt64) = (0, 0, 0)
      if let memoryOf,
        withUnsafeMutableBytes(of: &memory, { memoryOf(device, $0.baseAddress!.assumingMemoryBound(to: UInt64.self)) })
          == 0
      {
        gpu.memoryMiB = Int(memory.0 >> 20)
      }
      result.append(gpu)
    }
    return result
  }

  private func readString(_ body: (UnsafeMutablePointer<CChar>, UInt32) -> Int32) -> String? {
    var buffer = [CChar](repeating: 0, count: 256)
    let ok = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!, UInt32($0.count - 1)) == 0 }
    guard ok else { return nil }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }
}

/// The CUDA driver library, for the driver's CUDA version (`cuDriverGetVersion`, which needs no
/// `cuInit`) and the driver version in the library's own file name (`libcuda.so.550.144.03`).
enum LibCuda {
  typealias GetVersion = @convention(c) (UnsafeMutablePointer<Int32>?) -> Int32

  static func probe() -> (driver: String?, cuda: CudaVersion?)? {
    guard let handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL) else { return nil }
    defer { dlclose(handle) }
    guard let symbol = dlsym(handle, "cuDriverGetVersion") else { return nil }
    let get = unsafeBitCast(symbol, to: GetVersion.self)
    var value: Int32 = 0
    let cuda = get(&value) == 0 && value > 0 ? CudaVersion(driverAPI: value) : nil
    var driver: String?
    if let path = SystemInfo.objectPath(containing: symbol), let real = realpath(path, nil) {
      driver = driverVersion(fromLibraryPath: String(cString: real))
      free(real)
    }
    return (driver, cuda)
  }

  /// `/usr/lib/x86_64-linux-gnu/libcuda.so.550.144.03` → `550.144.03`.
  static func driverVersion(fromLibraryPath path: String) -> String? {
    let file = path.split(separator: "/").last ?? ""
    guard file.hasPrefix("libcuda.so.") else { return nil }
    let version = String(file.dropFirst("libcuda.so.".count))
    return DriverVersion(version) != nil && version.contains(".") ? version : nil
  }
}
