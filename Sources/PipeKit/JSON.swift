/// A JSON value as the tools exchange it.
///
/// Objects keep their keys in order, so a record read and written again comes out as it went in,
/// and records built by the tools show `"type"` first. Numbers keep their literal text, so a
/// 64-bit seed or a float passes through a tool unchanged.
public enum JSON: Sendable, Equatable {
  case null
  case bool(Bool)
  /// A number, as its JSON literal text (`"3"`, `"-0.5"`, `"1e-05"`).
  case number(String)
  case string(String)
  case array([JSON])
  case object(JSONObject)

  /// A number from an integer.
  public static func int<T: BinaryInteger>(_ value: T) -> JSON { .number(String(value)) }

  /// A number from a double; NaN and infinities, which JSON cannot hold, become `null`.
  public static func double(_ value: Double) -> JSON {
    value.isFinite ? .number(String(value)) : .null
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  public var boolValue: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }

  /// The value as an integer, when it is a number without fraction that fits.
  public var intValue: Int? {
    guard case .number(let text) = self else { return nil }
    if let i = Int(text) { return i }
    if let d = Double(text), d == d.rounded(), abs(d) < 9e15 { return Int(d) }
    return nil
  }

  public var doubleValue: Double? {
    if case .number(let text) = self { return Double(text) }
    return nil
  }

  public var arrayValue: [JSON]? {
    if case .array(let a) = self { return a }
    return nil
  }

  public var objectValue: JSONObject? {
    if case .object(let o) = self { return o }
    return nil
  }

  public var isNull: Bool { self == .null }

  /// The member `key` of an object; `nil` for other values and missing keys.
  public subscript(key: String) -> JSON? {
    if case .object(let o) = self { return o[key] }
    return nil
  }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral,
  ExpressibleByFloatLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(arrayLiteral elements: JSON...) { self = .array(elements) }
  public init(nilLiteral: ()) { self = .null }
  public init(dictionaryLiteral elements: (String, JSON)...) {
    self = .object(JSONObject(elements))
  }
}

/// A JSON object whose keys keep the order they were added or read in.
public struct JSONObject: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
  public private(set) var keys: [String] = []
  private var values: [String: JSON] = [:]

  public init() {}

  public init(_ pairs: some Sequence<(String, JSON)>) {
    for (key, value) in pairs { self[key] = value }
  }

  public init(dictionaryLiteral elements: (String, JSON)...) { self.init(elements) }

  public var count: Int { keys.count }
  public var isEmpty: Bool { keys.isEmpty }

  /// Reading gives the member or `nil`; writing replaces in place, appends a new key at the end,
  /// or, with `nil`, removes the key.
  public subscript(key: String) -> JSON? {
    get { values[key] }
    set {
      if let newValue {
        if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
      } else if values.removeValue(forKey: key) != nil {
        keys.removeAll { $0 == key }
      }
    }
  }

  public func makeIterator() -> some IteratorProtocol<(key: String, value: JSON)> {
    var index = 0
    return AnyIterator { [keys, values] in
      guard index < keys.count else { return nil }
      defer { index += 1 }
      return (keys[index], values[keys[index]]!)
    }
  }

  public static func == (a: JSONObject, b: JSONObject) -> Bool {
    a.keys == b.keys && a.values == b.values
  }
}
