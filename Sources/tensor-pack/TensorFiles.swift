import PipeKit

/// Reading any supported file into tensors, chosen by the file's first bytes (then its name).
enum TensorFiles {
  struct Found {
    var tensor: LocatedTensor
    var layout: String?
    var extra: JSONObject = [:]
  }

  enum Kind { case npy, npz, safetensors, png }

  static func kind(of path: String) -> Kind {
    let file = try? InputFile(path: path)  // refuses a FIFO at once; the reader then says why
    let prefix = file.flatMap { try? $0.read(at: 0, count: min(8, $0.size), what: "the first bytes") } ?? []
    if prefix.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) { return .npy }
    if prefix.starts(with: [0x50, 0x4B]) { return .npz }
    if prefix.starts(with: PNGChunks.signature) { return .png }
    // No known magic: a file named .png, .npy or .npz is read as one, so that the error says
    // what is wrong with it as that format, not as a safetensors header.
    switch path.split(separator: "/").last?.split(separator: ".").last?.lowercased() {
    case "png": return .png
    case "npy": return .npy
    case "npz": return .npz
    default: return .safetensors
    }
  }

  /// The tensors of one file, named by the file (npy, png), member (npz) or key (safetensors).
  /// `limit` caps what a file may expand to in memory: the members of an npz in all, a PNG's
  /// decoded image (npy and safetensors tensors lie in the file and need no cap).
  ///
  /// A tensor of a dtype the kit does not carry, in an npz or safetensors file beside others, goes
  /// to `skipped` (its error names the file and the tensor) and the others are read; without
  /// `skipped` it is thrown.
  static func read(
    _ path: String, splitMask: Bool, limit: Int = Npz.defaultLimit,
    skipped: ((TensorFormatError) -> Void)? = nil
  ) throws -> [Found] {
    func skip(_ errors: [TensorFormatError]) throws {
      guard let skipped else {
        if let first = errors.first { throw first }
        return
      }
      errors.forEach(skipped)
    }
    let stem = stemName(path)
    switch kind(of: path) {
    case .npy:
      return [Found(tensor: try Npy.read(path: path, name: stem))]
    case .npz:
      let contents = try Npz.readKeeping(path: path, limit: limit)
      try skip(contents.skipped)
      return contents.tensors.map { Found(tensor: $0) }
    case .png:
      let decoded = try PNGDecoder.decode(
        path: path, name: stem, options: PNGDecodeOptions(alpha: splitMask ? .invertedMask : .keep, maxBytes: limit))
      var found = [Found(tensor: decoded.image, layout: "image")]
      if let mask = decoded.mask { found.append(Found(tensor: mask, layout: "mask")) }
      return found
    case .safetensors:
      let contents = try Safetensors.read(path: path)
      try skip(contents.skipped)
      var metadata = JSONObject()
      for (key, value) in contents.metadata { metadata[key] = .string(value) }
      if ComfyLatent.isLatent(contents) {
        var (samples, scale) = try ComfyLatent.samples(of: contents)
        samples.name = "samples"
        var found = Found(tensor: samples, layout: "latent")
        if !metadata.isEmpty { found.extra["metadata"] = .object(metadata) }
        if scale != 1 { found.extra["latent_scale"] = .double(Double(scale)) }
        return [found]
      }
      return contents.tensors.map { tensor in
        var found = Found(tensor: tensor)
        if !metadata.isEmpty { found.extra["metadata"] = .object(metadata) }
        return found
      }
    }
  }

  /// `dir/photo.final.png` → `photo.final`.
  static func stemName(_ path: String) -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
    return String(base[..<dot])
  }
}
