import Foundation

/// A parsed JSON value. Objects keep their keys in document order.
public enum JSONValue: Equatable, Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number (IEEE double, as JSON Schema and most parsers read it).
    case number(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object.
    case object(JSONObject)

    /// The value at `key` if this is an object holding it.
    public subscript(key: String) -> JSONValue? {
        if case let .object(object) = self { return object[key] }
        return nil
    }

    /// The string, if this is one.
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The boolean, if this is one.
    public var bool: Bool? { if case let .bool(b) = self { return b } else { return nil } }
    /// The elements, if this is an array.
    public var array: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
    /// The object, if this is one.
    public var object: JSONObject? { if case let .object(o) = self { return o } else { return nil } }

    /// The number as an integer, if it is a finite number with no fractional part (JSON
    /// Schema's "integer": `1.0` is one, `1.5` and `1e400` are not).
    public var integer: Int? {
        guard case let .number(n) = self, n.isFinite, n.rounded() == n, abs(n) < 9.0e15 else { return nil }
        return Int(n)
    }
}

/// A JSON object: its members by key, and the keys in document order.
///
/// Members are kept in document order and found by a linear scan while there are few
/// (a form's objects have a handful to a few dozen members, and comparing short keys is
/// cheaper than hashing them); past `indexThreshold` members a hash index is built, so a
/// hostile object with a million members stays linear to parse.
public struct JSONObject: Equatable, Sendable {
    private var entries: [(key: String, value: JSONValue)] = []
    private var index: [String: Int]?

    /// Beyond this many members, lookups go through a hash index.
    public static let indexThreshold = 24

    /// An empty object.
    public init() {}

    /// The keys, in document order, each once.
    public var keys: [String] { entries.map(\.key) }

    private func position(_ key: String) -> Int? {
        if let index { return index[key] }
        return entries.firstIndex { $0.key == key }
    }

    /// The member `key`, if present.
    public subscript(key: String) -> JSONValue? {
        position(key).map { entries[$0].value }
    }

    /// Sets member `key` (a repeated key keeps its first position and its last value, as
    /// most parsers do; the parser reports the repetition separately).
    public mutating func set(_ key: String, _ value: JSONValue) {
        if let at = position(key) {
            entries[at].value = value
            return
        }
        entries.append((key, value))
        if index != nil {
            index![key] = entries.count - 1
        } else if entries.count > Self.indexThreshold {
            index = Dictionary(uniqueKeysWithValues: entries.enumerated().map { ($1.key, $0) })
        }
    }

    /// The number of members.
    public var count: Int { entries.count }

    /// The members in document order.
    public var members: [(key: String, value: JSONValue)] { entries }

    /// Equal members, whatever their order (JSON objects are unordered).
    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.count == b.count && a.entries.allSatisfy { b[$0.key] == $0.value }
    }
}

// MARK: - Codable (for `extensions`, kept as written)

extension JSONValue: Codable {
    /// Decodes any JSON value.
    public init(from decoder: any Decoder) throws {
        // Decoding a form: the value is already parsed, so take it as it is.
        if let tree = decoder as? TreeDecoder {
            self = tree.value
            return
        }
        if var array = try? decoder.unkeyedContainer() {
            var items: [JSONValue] = []
            while !array.isAtEnd { items.append(try array.decode(JSONValue.self)) }
            self = .array(items)
            return
        }
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var object = JSONObject()
            for key in keyed.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
                object.set(key.stringValue, try keyed.decode(JSONValue.self, forKey: key))
            }
            self = .object(object)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let b = try? single.decode(Bool.self) { self = .bool(b) }
        else if let n = try? single.decode(Double.self) { self = .number(n) }
        else { self = .string(try single.decode(String.self)) }
    }

    /// Encodes the value; integral numbers as integers.
    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer(); try c.encodeNil()
        case let .bool(b):
            var c = encoder.singleValueContainer(); try c.encode(b)
        case let .number(n):
            var c = encoder.singleValueContainer()
            if let i = self.integer { try c.encode(i) } else { try c.encode(n) }
        case let .string(s):
            var c = encoder.singleValueContainer(); try c.encode(s)
        case let .array(items):
            var c = encoder.unkeyedContainer()
            for item in items { try c.encode(item) }
        case let .object(object):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in object.members { try c.encode(value, forKey: AnyKey(stringValue: key)) }
        }
    }
}

/// A coding key for arbitrary member names.
struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension JSONObject {
    /// An object with these members, in this order.
    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        self.init()
        for (key, value) in pairs { set(key, value) }
    }
}
