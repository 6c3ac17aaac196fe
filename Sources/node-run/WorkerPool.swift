import Dispatch
import PipeKit

/// Up to `--workers` slots. With one slot a call runs on the reading thread (no hand-off on the
/// hot path); with more, each call runs on its slot's queue and results come back in the order
/// they finish, tagged by `id`.
final class WorkerPool: @unchecked Sendable {
  let tool: Tool
  private let slots: [WorkerSlot]
  private let queues: [DispatchQueue]
  private let free: DispatchSemaphore
  private let lock = Lock()
  private var idle: [Int]

  init(tool: Tool, options: RunOptions, interpreter: String?) {
    self.tool = tool
    slots = (0..<options.workers).map { _ in WorkerSlot(tool: tool, options: options, python: interpreter) }
    queues = (0..<options.workers).map { DispatchQueue(label: "node-run.worker.\($0)") }
    free = DispatchSemaphore(value: options.workers)
    idle = Array((0..<options.workers).reversed())
  }

  /// Runs `call` on a free slot, waiting for one; the most recently used slot goes first, so a
  /// warm worker is preferred to starting another.
  func submit(_ call: CallRequest) {
    if slots.count == 1 {
      slots[0].perform(call)
      return
    }
    tool.output.flush()
    free.wait()
    let index = lock.withLock { idle.removeLast() }
    queues[index].async { [self] in
      slots[index].perform(call)
      tool.output.flush()
      lock.withLock { idle.append(index) }
      free.signal()
    }
  }

  /// Waits until no call is in flight.
  func drain() {
    guard slots.count > 1 else { return }
    for _ in slots { free.wait() }
    for _ in slots { free.signal() }
  }

  /// A new interpreter (from a `venv` record): calls in flight finish, workers stop, and the
  /// next calls start workers on `python`.
  func switchInterpreter(_ python: String) {
    drain()
    for slot in slots {
      slot.stop()
      slot.python = python
    }
  }

  /// End of input: waits for calls in flight, then stops every worker cleanly.
  func finish() {
    drain()
    for slot in slots { slot.stop() }
  }
}
