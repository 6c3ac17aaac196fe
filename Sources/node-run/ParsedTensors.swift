import PipeKit

/// The tensor records inside a JSON value, each parsed and checked once by PipeKit's rules: the
/// good ones, the first bad one, and the consumable storages of all that name one readably (a bad
/// record's segment must go as well when the call or reply it came with is refused).
struct ParsedTensors {
  var tensors: [(path: [String], tensor: TensorRecord)] = []
  var firstBad: (path: [String], error: TensorError)?
  var storages: [TensorStorage] = []

  init(in value: JSON) {
    for (path, record) in TensorRecord.findAll(in: value) {
      do throws(TensorError) {
        let tensor = try TensorRecord(record: record)
        tensors.append((path, tensor))
        if tensor.storage.isConsumable { storages.append(tensor.storage) }
      } catch {
        if firstBad == nil { firstBad = (path, error) }
        if let storage = record["storage"]?.objectValue, let parsed = try? TensorRecord.parseStorage(storage),
          parsed.isConsumable
        {
          storages.append(parsed)
        }
      }
    }
  }

  /// Adds `other`'s records after these.
  mutating func append(_ other: ParsedTensors) {
    tensors += other.tensors
    firstBad = firstBad ?? other.firstBad
    storages += other.storages
  }
}
