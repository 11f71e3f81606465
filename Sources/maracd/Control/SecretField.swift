import Exchange
import Foundation
import Glibc
import Vault

/// The one secret a control request carries: `key.rotate`'s new root key, base64 in the
/// `root` argument (`docs/control-protocol.md`). It is taken out of the frame before the
/// frame is parsed: decoded straight into zeroising memory, and its base64 overwritten
/// with `*` in the frame, so neither the parsed request nor any copy of the frame holds
/// it (`RootKeyMemoryTests` looks for it in the daemon's memory after a rotation).
enum SecretField {
    private static let name = Array(#""root""#.utf8)

    /// The key in `frame`'s `"root": "<base64>"` member, if there is one that decodes to
    /// `RootKey.byteCount` bytes; the base64 is overwritten either way.
    static func takeRootKey(_ frame: inout [UInt8]) -> SecretBytes? {
        var start = 0
        while let found = find(name, in: frame, from: start) {
            start = found + name.count
            var i = skipSpace(frame, start)
            guard i < frame.count, frame[i] == UInt8(ascii: ":") else { continue }
            i = skipSpace(frame, i + 1)
            guard i < frame.count, frame[i] == UInt8(ascii: "\"") else { continue }
            let first = i + 1
            var end = first
            while end < frame.count, frame[end] != UInt8(ascii: "\"") { end += 1 }
            let key = decode(frame, first..<end)
            for j in first..<end { frame[j] = UInt8(ascii: "*") }
            return key
        }
        return nil
    }

    /// Base64 of exactly `RootKey.byteCount` bytes, decoded into zeroising memory.
    private static func decode(_ frame: [UInt8], _ range: Range<Int>) -> SecretBytes? {
        var sextets: [UInt8] = []  // wiped below: it holds the key, 6 bits a byte
        sextets.reserveCapacity(range.count)
        defer { wipe(&sextets) }
        var padding = 0
        for j in range {
            let c = frame[j]
            if c == UInt8(ascii: "=") { padding += 1; continue }
            guard padding == 0, let value = sextet(c) else { return nil }
            sextets.append(value)
        }
        let count = RootKey.byteCount
        guard sextets.count == (count * 8 + 5) / 6, (sextets.count + padding) % 4 == 0 else { return nil }
        return SecretBytes(count: count) { out in
            var bits = 0, accumulator = 0
            var n = 0
            for value in sextets {
                accumulator = (accumulator << 6) | Int(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    if n < count { out[n] = UInt8((accumulator >> bits) & 0xFF) }
                    n += 1
                    accumulator &= (1 << bits) - 1
                }
            }
            accumulator = 0
        }
    }

    private static func sextet(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return c - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return c - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }

    private static func skipSpace(_ frame: [UInt8], _ from: Int) -> Int {
        var i = from
        while i < frame.count, [0x20, 0x09, 0x0A, 0x0D].contains(frame[i]) { i += 1 }
        return i
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard haystack.count >= needle.count, from <= haystack.count - needle.count else { return nil }
        for i in from...(haystack.count - needle.count) where haystack[i] == needle[0] && Array(haystack[i..<(i + needle.count)]) == needle {
            return i
        }
        return nil
    }
}
