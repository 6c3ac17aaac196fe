extension MappedRegion {
  /// Releases the consumable segment `storage` that this region maps (made by
  /// `SharedMemory.map(storage, consume: false)`), once the consumer has put its bytes somewhere
  /// safe (tensor-pack's unpack: once their file is complete and renamed into place): unlinks it
  /// and keeps a descriptor of it, so that `discard` then frees its pages at once, even where its
  /// producer still maps them, rather than when the last mapping goes. Until this call a consumer
  /// that dies leaves the segment whole, so a retry finds it. Nothing for `file` and `inline`
  /// storage. Returns whether `discard` frees memory now.
  @discardableResult
  public func unlinkSegment(_ storage: TensorStorage) -> Bool {
    guard storage.isConsumable else { return false }
    let fd = try? SharedMemory.reopen(storage)
    SharedMemory.release(storage)
    guard let fd else { return false }
    let offset =
      switch storage {
      case .shm(_, let offset, _), .shmFile(_, let offset, _): offset
      case .file, .inline: 0
      }
    // Only a file that no name links to any more: not a producer's pooled segment.
    if keepForDiscard(fd, offset: offset) { return true }
    fd.close()
    return false
  }
}
