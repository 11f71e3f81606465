/// Decodes `Decodable` models straight from a parsed `JSONValue`, so a validated form is
/// not parsed a second time by `JSONDecoder`. Errors carry coding paths, never values.
///
/// Built for the ingest path (a referral has some 150 members): a coding path is a chain
/// of nodes made into an array only when an error needs it; each scalar is taken by its
/// own case, not by a dynamic cast; `decodeIfPresent` looks a key up once.
enum JSONValueDecoder {
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try T(from: TreeDecoder(value: value, path: nil))
    }
}

/// One step of a coding path, linked to its parent; the array form is built on demand.
private final class PathNode {
    let parent: PathNode?
    let key: any CodingKey

    init(_ parent: PathNode?, _ key: any CodingKey) {
        self.parent = parent
        self.key = key
    }

    static func array(_ node: PathNode?) -> [any CodingKey] {
        var keys: [any CodingKey] = []
        var node = node
        while let step = node {
            keys.append(step.key)
            node = step.parent
        }
        return keys.reversed()
    }
}

struct TreeDecoder: Decoder {
    let value: JSONValue
    fileprivate let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    fileprivate init(value: JSONValue, path: PathNode?) {
        self.value = value
        self.path = path
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case let .object(object) = value else { throw mismatch([String: Int].self, path) }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, path: path))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case let .array(items) = value else { throw mismatch([Int].self, path) }
        return UnkeyedContainer(items: items, path: path)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleContainer(value: value, path: path)
    }
}

private func mismatch(_ type: Any.Type, _ path: PathNode?) -> DecodingError {
    .typeMismatch(type, .init(codingPath: PathNode.array(path), debugDescription: "wrong JSON type"))
}

// MARK: - Scalars, one JSON type each

private func string(_ value: JSONValue, _ path: @autoclosure () -> PathNode?) throws -> String {
    guard case let .string(s) = value else { throw mismatch(String.self, path()) }
    return s
}

private func bool(_ value: JSONValue, _ path: @autoclosure () -> PathNode?) throws -> Bool {
    guard case let .bool(b) = value else { throw mismatch(Bool.self, path()) }
    return b
}

private func double(_ value: JSONValue, _ path: @autoclosure () -> PathNode?) throws -> Double {
    guard case let .number(n) = value else { throw mismatch(Double.self, path()) }
    return n
}

/// An integer of type `T`: a JSON number with no fractional part that `T` holds exactly.
private func integer<T: FixedWidthInteger>(_ type: T.Type, _ value: JSONValue, _ path: @autoclosure () -> PathNode?) throws -> T {
    guard let whole = value.integer, let typed = T(exactly: whole) else { throw mismatch(type, path()) }
    return typed
}

// MARK: - Containers

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }

    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }
    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = object[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return value
    }

    /// The member, or nil when it is absent or `null` (`decodeIfPresent`'s meaning).
    private func present(_ key: Key) -> JSONValue? {
        guard let value = object[key.stringValue], value != .null else { return nil }
        return value
    }

    private func child(_ key: Key) -> PathNode { PathNode(path, key) }

    func decodeNil(forKey key: Key) throws -> Bool { try member(key) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try bool(member(key), child(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try string(member(key), child(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try double(member(key), child(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { Float(try double(member(key), child(key))) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(type, member(key), child(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(type, member(key), child(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(type, member(key), child(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(type, member(key), child(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(type, member(key), child(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(type, member(key), child(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(type, member(key), child(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(type, member(key), child(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(type, member(key), child(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(type, member(key), child(key)) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try T(from: TreeDecoder(value: member(key), path: child(key)))
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key).map { try bool($0, child(key)) } }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key).map { try string($0, child(key)) } }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key).map { try double($0, child(key)) } }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key).map { try integer(type, $0, child(key)) } }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try T(from: TreeDecoder(value: $0, path: child(key))) }
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: member(key), path: child(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: member(key), path: child(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { TreeDecoder(value: .object(object), path: path) }
    func superDecoder(forKey key: Key) throws -> any Decoder { TreeDecoder(value: try member(key), path: child(key)) }
}

private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let items: [JSONValue]
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }
    var currentIndex = 0

    init(items: [JSONValue], path: PathNode?) {
        self.items = items
        self.path = path
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> (JSONValue, PathNode) {
        guard !isAtEnd else { throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "at end")) }
        defer { currentIndex += 1 }
        return (items[currentIndex], PathNode(path, IndexKey(currentIndex)))
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode(_ type: String.Type) throws -> String {
        let (value, path) = try next()
        return try string(value, path)
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try T(from: TreeDecoder(value: value, path: path))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next()
        return try TreeDecoder(value: value, path: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try TreeDecoder(value: value, path: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return TreeDecoder(value: value, path: path)
    }
}

private struct SingleContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let path: PathNode?
    var codingPath: [any CodingKey] { PathNode.array(path) }

    func decodeNil() -> Bool { value == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try bool(value, path) }
    func decode(_ type: String.Type) throws -> String { try string(value, path) }
    func decode(_ type: Double.Type) throws -> Double { try double(value, path) }
    func decode(_ type: Float.Type) throws -> Float { Float(try double(value, path)) }
    func decode(_ type: Int.Type) throws -> Int { try integer(type, value, path) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type, value, path) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type, value, path) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type, value, path) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type, value, path) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type, value, path) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type, value, path) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type, value, path) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type, value, path) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type, value, path) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: TreeDecoder(value: value, path: path)) }
}
