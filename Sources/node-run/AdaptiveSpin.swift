import PipeKit

/// Spins before blocking reads only while spinning pays: after `patience` spins in a row that
/// found nothing (a peer doing slow work between messages), it blocks at once, spinning again
/// only on every `probeEvery`-th wait to see whether the exchange got quick again. A peer in a
/// quick exchange gets the spin every time; a slow one costs a quarter of the CPU per wait.
/// (With a shorter patience or rarer probes, a noisy machine's few slow replies in a row can
/// switch spinning off in a quick exchange, and its blocking reads then keep it off.)
public final class AdaptiveSpin {
  public let seconds: Double
  let patience: Int
  let probeEvery: Int
  private var misses = 0
  private var waits = 0

  public init(seconds: Double, patience: Int = 16, probeEvery: Int = 4) {
    self.seconds = seconds
    self.patience = patience
    self.probeEvery = probeEvery
  }

  /// Whether the next wait spins.
  public var isSpinning: Bool { misses < patience || waits % probeEvery == probeEvery - 1 }

  /// Spins on `fd` for up to `seconds` when spinning pays, else returns at once.
  public func wait(for fd: FileDescriptor) {
    defer { waits += 1 }
    guard isSpinning else { return }
    if fd.spinUntilReadable(seconds) { misses = 0 } else { misses += 1 }
  }
}
