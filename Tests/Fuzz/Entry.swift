// The libFuzzer entry of `make fuzz`: one binary for every target of
// Tests/FuzzTests/FuzzTargets.swift, the target chosen by $FUZZ_TARGET.
import Foundation

nonisolated(unsafe) let selected: (UnsafeRawBufferPointer) -> Void = {
  let name = ProcessInfo.processInfo.environment["FUZZ_TARGET"] ?? ""
  guard let run = FuzzTargets.named(name) else {
    FileHandle.standardError.write("FUZZ_TARGET must be one of: \(FuzzTargets.all.map(\.name))\n".data(using: .utf8)!)
    exit(2)
  }
  return run
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  selected(UnsafeRawBufferPointer(start: data, count: size))
  return 0
}
