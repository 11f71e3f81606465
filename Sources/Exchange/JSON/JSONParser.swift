/// A strict RFC 8259 parser for untrusted input.
///
/// - The whole input must be UTF-8; the first invalid byte is reported by offset.
/// - Nesting is limited (default 64), so hostile depth cannot exhaust the stack.
/// - Lone surrogate escapes, unescaped control characters, leading zeros, `NaN`,
///   numbers that overflow a double and trailing data are errors.
/// - A repeated key is not an error here: the last value wins (as in most parsers, and
///   as the JSON Schema cross-check sees it) and each repetition is reported, for the
///   validator to reject.
///
/// Errors name a byte offset and a reason, never the input's content.
public struct JSONParser {
    /// Why the input is not JSON, and where.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// The byte offset of the problem.
        public let offset: Int
        /// What is wrong there.
        public let reason: Reason

        /// The kinds of syntax error.
        public enum Reason: String, Sendable {
            /// The bytes are not UTF-8.
            case invalidUTF8 = "not valid UTF-8"
            /// The input ended inside a value.
            case unexpectedEnd = "unexpected end of input"
            /// A byte that cannot start or continue a value here.
            case unexpectedCharacter = "unexpected character"
            /// A control character inside a string must be escaped.
            case controlCharacter = "unescaped control character in a string"
            /// A `\` escape that JSON does not define, or a lone surrogate.
            case invalidEscape = "invalid escape sequence"
            /// A malformed number, or one too large for a double.
            case invalidNumber = "invalid number"
            /// Nesting deeper than the limit.
            case tooDeep = "nesting too deep"
            /// Something after the value.
            case trailingData = "unexpected data after the value"
        }

        /// `byte N: reason`.
        public var description: String { "byte \(offset): \(reason.rawValue)" }
    }

    /// The parsed value and the paths of repeated keys.
    public struct Result: Sendable {
        /// The value (for a repeated key, its last value).
        public let value: JSONValue
        /// Every member that appeared more than once in its object.
        public let duplicateKeys: [JSONPath]
    }

    /// The deepest nesting of arrays and objects accepted.
    public var maxDepth: Int

    /// A parser that accepts nesting up to `maxDepth`.
    public init(maxDepth: Int = 64) { self.maxDepth = maxDepth }

    /// Parses `bytes` as one JSON value.
    public func parse(_ bytes: [UInt8]) throws(Failure) -> Result {
        if let bad = Self.firstInvalidUTF8(bytes) { throw Failure(offset: bad, reason: .invalidUTF8) }
        var cursor = Cursor(bytes: bytes, maxDepth: maxDepth)
        cursor.skipWhitespace()
        let value = try cursor.value(depth: 0)
        cursor.skipWhitespace()
        guard cursor.index == bytes.count else { throw Failure(offset: cursor.index, reason: .trailingData) }
        return Result(value: value, duplicateKeys: cursor.duplicates)
    }

    /// The offset of the first byte that breaks UTF-8 (overlongs, surrogates and code
    /// points past U+10FFFF included), or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int, lower: UInt8, upper: UInt8
            switch b {
            case 0xC2...0xDF: length = 2; lower = 0x80; upper = 0xBF
            case 0xE0: length = 3; lower = 0xA0; upper = 0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3; lower = 0x80; upper = 0xBF
            case 0xED: length = 3; lower = 0x80; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90; upper = 0xBF
            case 0xF1...0xF3: length = 4; lower = 0x80; upper = 0xBF
            case 0xF4: length = 4; lower = 0x80; upper = 0x8F
            default: return i
            }
            guard i + length <= n else { return i }
            guard bytes[i + 1] >= lower && bytes[i + 1] <= upper else { return i }
            for k in 2..<length where bytes[i + k] & 0xC0 != 0x80 { return i }
            i += length
        }
        return nil
    }
}

// MARK: - Cursor

private struct Cursor {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    var path: [JSONPath.Component] = []
    var duplicates: [JSONPath] = []

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    typealias Failure = JSONParser.Failure

    func fail(_ reason: Failure.Reason, at offset: Int? = nil) -> Failure {
        Failure(offset: offset ?? index, reason: reason)
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(Failure) -> JSONValue {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw fail(.unexpectedCharacter)
        }
    }

    mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail(.unexpectedEnd) }
        for k in 0..<count where bytes[index + k] != word.utf8Start[k] { throw fail(.unexpectedCharacter, at: index + k) }
        index += count
    }

    mutating func object(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw fail(.unexpectedCharacter) }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            path.append(.key(key))
            let member = try value(depth: depth)
            if object[key] != nil { duplicates.append(JSONPath(components: path)) }
            path.removeLast()
            object.set(key, member)
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "}"))
            return .object(object)
        }
    }

    mutating func array(depth: Int) throws(Failure) -> JSONValue {
        guard depth <= maxDepth else { throw fail(.tooDeep) }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            path.append(.index(items.count))
            items.append(try value(depth: depth))
            path.removeLast()
            skipWhitespace()
            guard index < bytes.count else { throw fail(.unexpectedEnd) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            try expect(UInt8(ascii: "]"))
            return .array(items)
        }
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        guard bytes[index] == byte else { throw fail(.unexpectedCharacter) }
        index += 1
    }

    /// A string starting at the opening quote; the input is already known to be UTF-8.
    mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let s = bytes.withUnsafeBufferPointer { String(decoding: $0[start..<index], as: UTF8.self) }
                index += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail(.controlCharacter) }
            index += 1
        }
        var out = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case 0..<0x20:
                throw fail(.controlCharacter)
            default:
                out.append(b)
                index += 1
            }
        }
        throw fail(.unexpectedEnd)
    }

    mutating func escape(into out: inout [UInt8]) throws(Failure) {
        let at = index
        index += 1
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        let e = bytes[index]
        index += 1
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(at: at)
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail(.invalidEscape, at: at)
                }
                index += 2
                let low = try hex4(at: at)
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.invalidEscape, at: at) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail(.invalidEscape, at: at)
            }
            out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        default:
            throw fail(.invalidEscape, at: at)
        }
    }

    mutating func hex4(at escapeStart: Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail(.unexpectedEnd) }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw fail(.invalidEscape, at: escapeStart)
            }
            v = v << 4 | UInt32(d)
            index += 1
        }
        return v
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, finite as a double.
    mutating func number() throws(Failure) -> Double {
        let start = index
        func digits() -> Int {
            let s = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - s
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw fail(.unexpectedEnd) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { throw fail(.invalidNumber, at: start) }
        } else if digits() == 0 {
            throw fail(.invalidNumber, at: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw fail(.invalidNumber, at: start) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw fail(.invalidNumber, at: start) }
        }
        guard index - start <= 64 else { throw fail(.invalidNumber, at: start) }
        let text = bytes.withUnsafeBufferPointer { String(decoding: $0[start..<index], as: UTF8.self) }
        guard let value = Double(text), value.isFinite else { throw fail(.invalidNumber, at: start) }
        return value
    }
}
