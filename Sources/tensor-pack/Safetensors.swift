import PipeKit

/// Reading and writing `.safetensors` files (and so ComfyUI `.latent` files, see `ComfyLatent`).
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON header, then the byte
/// buffer. The header maps each tensor name to `{"dtype","shape","data_offsets":[begin,end]}`
/// (offsets relative to the buffer) and may hold `"__metadata__"`, a string-to-string map.
/// Every tensor comes back as `file` storage pointing at its bytes in place.
enum Safetensors {
  /// Headers beyond this are refused, as the safetensors library does.
  static let maxHeaderLength = 100_000_000

  /// `__metadata__` pairs, in header order.
  typealias Metadata = [(key: String, value: String)]

  struct Contents: Equatable {
    /// Tensors in the order of their offsets in the buffer.
    var tensors: [LocatedTensor]
    var metadata: Metadata
    /// Why each tensor of a dtype the kit does not carry was left out (the path and its name in
    /// front); the other tensors are read all the same.
    var skipped: [TensorFormatError] = []

    static func == (a: Contents, b: Contents) -> Bool {
      a.tensors == b.tensors && a.metadata.map(\.key) == b.metadata.map(\.key)
        && a.metadata.map(\.value) == b.metadata.map(\.value) && a.skipped == b.skipped
    }

    func tensor(named name: String) -> LocatedTensor? { tensors.first { $0.name == name } }
    func metadata(_ key: String) -> String? { metadata.first { $0.key == key }?.value }
  }

  static func read(path: String) throws -> Contents {
    try withErrorContext(path) {
      let file = try InputFile(path: path)
      let prefix = try file.read(at: 0, count: 8, what: "the safetensors header length")
      let declared = try prefix.loadLE(UInt64.self, at: 0)
      guard declared <= UInt64(maxHeaderLength) else {
        throw TensorFormatError.malformed(
          "safetensors header length \(declared) is larger than the \(maxHeaderLength) accepted")
      }
      let length = Int(declared)
      let headerBytes = try file.read(at: 8, count: length, what: "the safetensors header")
      let json: JSON
      do {
        json = try JSON.parse(headerBytes)
      } catch {
        throw TensorFormatError.malformed("safetensors header is not JSON: \(error)")
      }
      guard let object = json.objectValue else {
        throw TensorFormatError.malformed("safetensors header is not a JSON object")
      }
      return try interpret(object, path: path, bufferStart: 8 + length, bufferLength: file.size - 8 - length)
    }
  }

  private static func interpret(
    _ header: JSONObject, path: String, bufferStart: Int, bufferLength: Int
  ) throws -> Contents {
    var metadata: Metadata = []
    var found: [(begin: Int, tensor: LocatedTensor)] = []
    var skipped: [TensorFormatError] = []
    for (name, value) in header {
      if name == "__metadata__" {
        guard let map = value.objectValue else { throw TensorFormatError.malformed("__metadata__ is not an object") }
        for (key, item) in map {
          guard let text = item.stringValue else {
            throw TensorFormatError.malformed("__metadata__ value for '\(key)' is not a string")
          }
          metadata.append((key, text))
        }
        continue
      }
      let what = "tensor '\(name)'"
      guard let entry = value.objectValue, let dtypeName = entry["dtype"]?.stringValue else {
        throw TensorFormatError.malformed("\(what) has no dtype string")
      }
      guard let dtype = DType(safetensorsName: dtypeName) else {
        let supported = DType.allCases.map(\.safetensorsName).joined(separator: " ")
        skipped.append(
          TensorFormatError.unsupported("\(what) has dtype \(dtypeName); supported: \(supported)").within(path))
        continue
      }
      guard let dims = entry["shape"]?.arrayValue else {
        throw TensorFormatError.malformed("\(what) has no shape array")
      }
      var shape: [Int] = []
      for dim in dims {
        guard let n = dim.intValue, n >= 0 else {
          throw TensorFormatError.malformed("\(what) has a shape entry that is not a non-negative integer")
        }
        shape.append(n)
      }
      guard let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
        let begin = offsets[0].intValue, let end = offsets[1].intValue
      else { throw TensorFormatError.malformed("\(what) has no [begin, end] data_offsets") }
      guard begin >= 0, begin <= end, end <= bufferLength else {
        throw TensorFormatError.malformed(
          "\(what) has data_offsets [\(begin), \(end)] outside the \(bufferLength)-byte buffer")
      }
      let nbytes = try dtype.byteCount(shape: shape)
      guard end - begin == nbytes else {
        throw TensorFormatError.malformed(
          "\(what) spans \(end - begin) bytes but \(dtype.rawValue) \(shape) needs \(nbytes)")
      }
      let tensor = try LocatedTensor(
        name: name, dtype: dtype, shape: shape, bytes: .file(path: path, offset: bufferStart + begin, nbytes: nbytes))
      found.append((begin, tensor))
    }
    found.sort { $0.begin < $1.begin || ($0.begin == $1.begin && $0.tensor.nbytes < $1.tensor.nbytes) }
    var previousEnd = 0
    var previousName = ""
    for (begin, tensor) in found {
      guard begin >= previousEnd else {
        throw TensorFormatError.malformed("tensors '\(previousName)' and '\(tensor.name)' overlap in the buffer")
      }
      previousEnd = begin + tensor.nbytes
      previousName = tensor.name
    }
    return Contents(tensors: found.map(\.tensor), metadata: metadata, skipped: skipped)
  }

  /// Writes `tensors` and `metadata` the way the safetensors library does: tensors laid out by
  /// descending element size, then name (so every tensor is aligned to its element size), header
  /// padded with spaces to a multiple of 8 bytes.
  static func write(_ tensors: [LocatedTensor], metadata: Metadata = [], to path: String) throws {
    try write(tensors, metadata: metadata, into: withErrorContext(path) { try OutputFile(path: path) })
  }

  /// Writes into `out` and commits it.
  static func write(_ tensors: [LocatedTensor], metadata: Metadata = [], into out: OutputFile) throws {
    try withErrorContext(out.path) {
      var seen = Set<String>()
      for tensor in tensors where !seen.insert(tensor.name).inserted || tensor.name == "__metadata__" {
        throw TensorFormatError.unwritable("tensor name '\(tensor.name)' is repeated or reserved")
      }
      let ordered = tensors.sorted {
        $0.dtype.itemSize != $1.dtype.itemSize ? $0.dtype.itemSize > $1.dtype.itemSize : $0.name < $1.name
      }
      var header = JSONObject()
      if !metadata.isEmpty {
        header["__metadata__"] = .object(JSONObject(metadata.map { ($0.key, JSON.string($0.value)) }))
      }
      var offset = 0
      for tensor in ordered {
        let end = offset + tensor.nbytes
        header[tensor.name] = [
          "dtype": .string(tensor.dtype.safetensorsName), "shape": .array(tensor.shape.map { .int($0) }),
          "data_offsets": [.int(offset), .int(end)],
        ]
        offset = end
      }
      var text: [UInt8] = []
      JSON.object(header).write(to: &text)
      text += [UInt8](repeating: 0x20, count: (8 - text.count % 8) % 8)
      var prefix: [UInt8] = []
      prefix.appendLE(UInt64(text.count))
      try out.write(prefix + text)
      for tensor in ordered { try tensor.writeBytes(into: out) }
      try out.commit()
    }
  }
}

/// ComfyUI `.latent` files: safetensors files written by ComfyUI's SaveLatent node.
///
/// SaveLatent stores the LATENT's samples `[B,C,H,W]` as the tensor `latent_tensor` and marks the
/// current format with an empty float32 tensor `latent_format_version_0` (a tensor, not a
/// metadata key), plus `prompt` and other workflow JSON as `__metadata__` strings. LoadLatent
/// multiplies latents *without* that marker by 1/0.18215 (files from before the marker stored
/// scaled latents); `legacyScale` reports that factor so callers can apply it.
enum ComfyLatent {
  static let tensorName = "latent_tensor"
  static let versionMarker = "latent_format_version_0"
  /// The factor LoadLatent applies to latents of files without the version marker.
  static let legacyScale: Float = 1.0 / 0.18215

  /// Whether `contents` is a ComfyUI latent: it has a `latent_tensor`.
  static func isLatent(_ contents: Safetensors.Contents) -> Bool { contents.tensor(named: tensorName) != nil }

  /// Whether the file has the current-format marker (also accepted as a metadata key).
  static func hasVersionMarker(_ contents: Safetensors.Contents) -> Bool {
    contents.tensor(named: versionMarker) != nil || contents.metadata(versionMarker) != nil
  }

  /// The samples of a latent file, with the factor ComfyUI's LoadLatent would apply to them
  /// (1 for current files, `legacyScale` for old ones).
  static func samples(of contents: Safetensors.Contents) throws -> (samples: LocatedTensor, scale: Float) {
    guard let samples = contents.tensor(named: tensorName) else {
      throw TensorFormatError.malformed("not a ComfyUI latent: no '\(tensorName)' tensor")
    }
    return (samples, hasVersionMarker(contents) ? 1 : legacyScale)
  }

  /// Writes `samples` as a ComfyUI latent file, the way SaveLatent does, with `metadata` (e.g.
  /// `prompt` and `workflow` JSON strings).
  static func write(samples: LocatedTensor, metadata: Safetensors.Metadata = [], to path: String) throws {
    try write(samples: samples, metadata: metadata, into: withErrorContext(path) { try OutputFile(path: path) })
  }

  static func write(samples: LocatedTensor, metadata: Safetensors.Metadata = [], into out: OutputFile) throws {
    var latent = samples
    latent.name = tensorName
    let marker = try LocatedTensor(name: versionMarker, dtype: .float32, shape: [0], owned: [])
    try Safetensors.write([latent, marker], metadata: metadata, into: out)
  }
}
