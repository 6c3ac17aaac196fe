import PipeKit
import Testing

@testable import node_run

@Suite struct AdaptiveSpinTests {
  /// A wait spins while spinning finds data; after `patience` (here four) empty spins in a row
  /// it stops, and spins again on every `probeEvery`-th (here 32nd) wait only, until a spin
  /// finds data again.
  @Test func adaptiveSpinStopsWhileItDoesNotPay() throws {
    let pipe = try FileDescriptor.pipe()
    defer {
      pipe.read.close()
      pipe.write.close()
    }
    let spin = AdaptiveSpin(seconds: 0.0001, patience: 4, probeEvery: 32)
    for _ in 0..<4 {
      #expect(spin.isSpinning)
      spin.wait(for: pipe.read)
    }
    var skipped = 0
    while !spin.isSpinning {
      skipped += 1
      spin.wait(for: pipe.read)
    }
    #expect(skipped == 27, "waits 4…30 do not spin; wait 31 (the 32nd) probes")
    try pipe.write.writeAll("x")
    spin.wait(for: pipe.read)
    #expect(spin.isSpinning, "the probe found data, so spinning pays again")
  }
}
