/// One item of input: a record, or a line that could not be one.
public enum InputItem: Sendable, Equatable {
  case record(JSONObject, line: Int)
  case invalid(line: Int, reason: String)
}

/// Reads NDJSON leniently: CRLF and LF endings, blank lines skipped, a last line without a newline
/// accepted. A line that is not a JSON object, is not UTF-8, or is longer than `maxLineBytes`
/// becomes an `.invalid` item with its line number, and reading goes on.
public final class RecordReader: Sequence, IteratorProtocol {
  public let fd: FileDescriptor
  public let maxLineBytes: Int
  /// Called before every `read` that may block, so a tool can flush what it has written.
  public var beforeRead: (() -> Void)?
  /// The error that ended reading early, if any.
  public private(set) var readError: SystemError?

  private var buffer: [UInt8] = []
  private var start = 0
  private var scanned = 0
  private var atEnd = false
  private var discarding = false
  private var lineNumber = 0
  private var chunk = [UInt8](repeating: 0, count: 1 << 16)

  public init(fd: FileDescriptor = .standardInput, maxLineBytes: Int = 64 << 20, beforeRead: (() -> Void)? = nil) {
    self.fd = fd
    self.maxLineBytes = maxLineBytes
    self.beforeRead = beforeRead
  }

  public func next() -> InputItem? {
    while let (line, tooLong) = nextLine() {
      lineNumber += 1
      if tooLong {
        return .invalid(line: lineNumber, reason: "line is longer than the limit of \(maxLineBytes) bytes")
      }
      if let item = RecordReader.item(from: line, lineNumber: lineNumber) { return item }
    }
    return nil
  }

  /// Parses one line (without its `\n`); `nil` for a blank line.
  public static func item(from line: ArraySlice<UInt8>, lineNumber: Int) -> InputItem? {
    var end = line.endIndex
    if end > line.startIndex, line[end - 1] == 0x0D { end -= 1 }
    let text = line[line.startIndex..<end]
    if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
    do {
      let value = try JSON.parse(text)
      guard case .object(let object) = value else {
        return .invalid(line: lineNumber, reason: "not a JSON object (found \(value.kindName))")
      }
      return .record(object, line: lineNumber)
    } catch {
      return .invalid(line: lineNumber, reason: "not JSON: \(error)")
    }
  }

  /// The next line's bytes, and whether it was cut for being too long.
  private func nextLine() -> (ArraySlice<UInt8>, Bool)? {
    while true {
      if let newline = buffer[scanned...].firstIndex(of: 0x0A) {
        let line = buffer[start..<newline]
        start = newline + 1
        scanned = start
        if discarding {
          discarding = false
          return ([], true)
        }
        return (line, false)
      }
      scanned = buffer.count
      if buffer.count - start > maxLineBytes {
        discarding = true
        buffer.removeAll(keepingCapacity: true)
        start = 0
        scanned = 0
      }
      if atEnd {
        guard start < buffer.count || discarding else { return nil }
        let line = buffer[start...]
        start = buffer.count
        scanned = start
        if discarding {
          discarding = false
          return ([], true)
        }
        return (line, false)
      }
      fill()
    }
  }

  private func fill() {
    if start > 0 && start * 2 >= buffer.count {
      buffer.removeSubrange(0..<start)
      scanned -= start
      start = 0
    }
    beforeRead?()
    do {
      let n = try chunk.withUnsafeMutableBytes { try fd.read(into: $0) }
      if n == 0 {
        atEnd = true
      } else {
        buffer.append(contentsOf: chunk[0..<n])
      }
    } catch {
      readError = error as? SystemError
      atEnd = true
    }
  }
}

extension JSON {
  /// The kind of value, as a message names it.
  public var kindName: String {
    switch self {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
  }
}

extension JSONObject {
  /// The record's `"type"`, if it has one.
  public var type: String? { self["type"]?.stringValue }
}
