/// Writes a `JSONValue` as compact JSON with object keys sorted by their UTF-8 bytes:
/// the canonical form receipts, reports and log entries use. Strings escape only what
/// RFC 8259 requires (quote, backslash, control characters); integral numbers are
/// written as integers.
extension JSONValue {
    /// The canonical bytes.
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(into: &out, sorted: true)
        return out
    }

    /// As `canonicalBytes`, each object's members in the order they were parsed or set
    /// (a schema's fields in the order a form page shows them).
    public var orderedBytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out, sorted: false)
        return out
    }

    private func write(into out: inout [UInt8], sorted: Bool) {
        switch self {
        case .null: out += [0x6E, 0x75, 0x6C, 0x6C]
        case let .bool(b): out += b ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65]
        case let .number(n):
            if let i = integer { out += Array(String(i).utf8) } else { out += Array("\(n)".utf8) }
        case let .string(s): Self.writeString(s, into: &out)
        case let .array(items):
            out.append(0x5B)
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                item.write(into: &out, sorted: sorted)
            }
            out.append(0x5D)
        case let .object(object):
            out.append(0x7B)
            let members = sorted ? object.members.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) : object.members
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(0x2C) }
                Self.writeString(member.key, into: &out)
                out.append(0x3A)
                member.value.write(into: &out, sorted: sorted)
            }
            out.append(0x7D)
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, into out: inout [UInt8]) {
        var s = s
        s.withUTF8 { bytes in
            out.reserveCapacity(out.count + bytes.count + 2)
            out.append(0x22)
            // Runs of bytes that need no escape are copied whole.
            var run = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<i]))
                run = i + 1
                out.append(0x5C)
                switch byte {
                case 0x22, 0x5C: out.append(byte)
                case 0x0A: out.append(0x6E)
                case 0x0D: out.append(0x72)
                case 0x09: out.append(0x74)
                default: out.append(contentsOf: [0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
            out.append(0x22)
        }
    }

    /// An object from `pairs`, in order (a later repeated key replaces an earlier one).
    public static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
        var object = JSONObject()
        for (key, value) in pairs { object.set(key, value) }
        return .object(object)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A number value.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
