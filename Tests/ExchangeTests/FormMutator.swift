import Exchange
import Foundation

/// A JSON tree that can hold what a parser would never produce (repeated keys, numbers
/// written any way), serialised exactly as built.
indirect enum MutableJSON {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([MutableJSON])
    case object([(String, MutableJSON)])

    init(_ value: JSONValue) {
        switch value {
        case .null: self = .null
        case let .bool(b): self = .bool(b)
        case let .number(n): self = .number(value.integer.map(String.init) ?? String(n))
        case let .string(s): self = .string(s)
        case let .array(a): self = .array(a.map(MutableJSON.init))
        case let .object(o): self = .object(o.keys.map { ($0, MutableJSON(o[$0]!)) })
        }
    }

    var bytes: [UInt8] { var out: [UInt8] = []; write(into: &out); return out }

    func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case let .bool(b): out += Array((b ? "true" : "false").utf8)
        case let .number(n): out += Array(n.utf8)
        case let .string(s): Self.writeString(s, into: &out)
        case let .array(items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() { if i > 0 { out.append(UInt8(ascii: ",")) }; item.write(into: &out) }
            out.append(UInt8(ascii: "]"))
        case let .object(members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(key, into: &out)
                out.append(UInt8(ascii: ":"))
                value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += Array("\\\"".utf8)
            case UInt8(ascii: "\\"): out += Array("\\\\".utf8)
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// SplitMix64: a small seeded generator, so a failing corpus can be regenerated exactly.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutates valid forms the ways senders and attackers break them: drop, retype,
/// duplicate and truncate fields, flip answers, put awkward values in, and corrupt bytes.
struct FormMutator {
    var random: SeededGenerator

    static let awkwardStrings = [
        "", " ", "\u{A0}", " \t\n ", "\u{3000}", "\u{FEFF}", " x ", "2031-02-01", "2026-02-30", "2026-13-01", "10/11/2026", "1999-12-31", "2026-11-20", "2026-11-22",
        "Police", "police", "health", "housing", "police\n", "because-i-said-so", "retention-policy", "audit", "dpa-s1-p18",
        "M-2026-0001", "M-2026-00001", "m-2026-0001", "M-2026-0000", "yes", "no", "dont_know", "maybe", "male", "not_known",
        "secure_exchange", "victim", "a\u{0}b", "a\u{1}b", "tab\there", "line\nbreak", "🙂", "e\u{301}",
        String(repeating: "x", count: 200), String(repeating: "x", count: 201), String(repeating: "é", count: 1_001),
        String(repeating: "y", count: 20_001),
    ]
    static let awkwardNumbers = ["0", "1", "1.0", "2", "3", "14", "24", "25", "-1", "1.5", "1e400", "1E1", "-0", "100000000000000000000"]
    static let awkwardKeys = ["victimNmae", "extra", "x y", "Name Surname", "1", "25", "form", "dob", "notAwareReason",
                              "professionalJudgementRationale", "sharingWithoutConsent", "dash", "extensions", "referralReference"]

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &random) < p }

    /// One mutated document from `base`: one to three tree mutations, sometimes followed
    /// by byte corruption.
    mutating func mutate(_ base: MutableJSON) -> [UInt8] {
        var tree = base
        if chance(0.05) { tree = redate(tree) }
        for _ in 0..<Int.random(in: 1...3, using: &random) { tree = mutateTree(tree) }
        var bytes = tree.bytes
        if chance(0.12) {
            if chance(0.5) {
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let at = Int.random(in: 0...bytes.count, using: &random)
                    let byte = UInt8.random(in: 0...255, using: &random)
                    if chance(0.5), at < bytes.count { bytes[at] = byte } else { bytes.insert(byte, at: at) }
                }
            }
        }
        return bytes
    }

    /// Replaces every date in the tree with a random one around the date of receipt, so
    /// dates fall out of order and into the future.
    mutating func redate(_ node: MutableJSON) -> MutableJSON {
        switch node {
        case let .string(s) where CalendarDate(s) != nil:
            return .string(CalendarDate("2026-11-20")!.adding(days: Int.random(in: -400...400, using: &random)).description)
        case let .array(items): return .array(items.map { redate($0) })
        case let .object(members): return .object(members.map { ($0.0, redate($0.1)) })
        default: return node
        }
    }

    /// Applies one mutation at a random node.
    mutating func mutateTree(_ tree: MutableJSON) -> MutableJSON {
        var count = 0
        tree.countNodes(&count)
        let target = Int.random(in: 0..<count, using: &random)
        var index = 0
        return rewrite(tree, target: target, index: &index)
    }

    private mutating func rewrite(_ node: MutableJSON, target: Int, index: inout Int) -> MutableJSON {
        let me = index
        index += 1
        if me == target { return mutateNode(node) }
        switch node {
        case let .array(items):
            return .array(items.map { rewrite($0, target: target, index: &index) })
        case let .object(members):
            return .object(members.map { ($0.0, rewrite($0.1, target: target, index: &index)) })
        default:
            return node
        }
    }

    private mutating func mutateNode(_ node: MutableJSON) -> MutableJSON {
        switch (node, Int.random(in: 0..<10, using: &random)) {
        case let (.object(members), 0...2) where !members.isEmpty:
            var m = members
            switch Int.random(in: 0..<4, using: &random) {
            case 0: m.remove(at: Int.random(in: 0..<m.count, using: &random))
            case 1: let i = Int.random(in: 0..<m.count, using: &random); m.append((m[i].0, chance(0.5) ? m[i].1 : mutateNode(m[i].1)))
            case 2: m.append((pick(Self.awkwardKeys), pick([.string("x"), .bool(true), .object([]), .string("2026-11-10")])))
            default: m.removeAll()
            }
            return .object(m)
        case let (.array(items), 0...2):
            var a = items
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where !a.isEmpty: a.remove(at: Int.random(in: 0..<a.count, using: &random))
            case 1 where !a.isEmpty: a.append(a[Int.random(in: 0..<a.count, using: &random)])
            default: a = []
            }
            return .array(a)
        case let (.bool(b), 0...6):
            return .bool(!b)
        case let (.string(s), 0...1):
            return .string(String(s.unicodeScalars.prefix(Int.random(in: 0...s.unicodeScalars.count, using: &random)).map(Character.init)))
        case (.string, 2...6):
            return .string(pick(Self.awkwardStrings))
        case (.number, 0...6):
            return .number(pick(Self.awkwardNumbers))
        default:
            switch Int.random(in: 0..<9, using: &random) {
            case 0: return .null
            case 1: return .bool(chance(0.5))
            case 2: return .number(pick(Self.awkwardNumbers))
            case 3: return .string(pick(Self.awkwardStrings))
            case 4: return .array([])
            case 5: return .object([])
            case 6: return .array([node])
            case 7: return .object([("value", node)])
            default: return .string("")
            }
        }
    }
}

extension MutableJSON {
    func countNodes(_ count: inout Int) {
        count += 1
        switch self {
        case let .array(items): for item in items { item.countNodes(&count) }
        case let .object(members): for (_, value) in members { value.countNodes(&count) }
        default: break
        }
    }
}
