import Glibc
import Vault

/// A name in a directory as the kernel has it: bytes, not necessarily UTF-8. An agency
/// can create a name Swift's `String` cannot hold; such a file must still be taken or
/// refused, never left unseen.
struct FileName: Hashable, Comparable, Sendable {
    let bytes: [UInt8]

    init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }
    init(_ name: String) { bytes = Array(name.utf8) }

    /// Calls `body` with the name as a NUL-terminated C string.
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }

    /// Dotfiles (including the daemon's temporaries), and `*.tmp` and `*.part`: a writer's
    /// work in progress.
    var isIgnored: Bool {
        bytes.first == UInt8(ascii: ".") || bytes.ends(with: Array(".tmp".utf8)) || bytes.ends(with: Array(".part".utf8))
    }

    /// A name safe for the outbox: `[A-Za-z0-9._-]`, no leading dot, at most 120 bytes;
    /// anything else replaced by `_`, with 8 hex digits of the original name's hash
    /// appended when anything changed, so two names never share a receipt.
    var outboxName: String {
        var out = bytes.map { byte -> UInt8 in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"): return byte
            default: return UInt8(ascii: "_")
            }
        }
        while out.first == UInt8(ascii: ".") { out.removeFirst() }
        let safe = String(decoding: out.prefix(120), as: UTF8.self)
        return out == bytes && out.count <= 120 ? safe : safe + "-" + String(id.prefix(8))
    }

    /// The first 12 hex digits of SHA-256 of the name: how logs and reports refer to a
    /// file, since a name may be a person's.
    var id: String { String(Hex.encode(SHA256.hash(bytes)).prefix(12)) }

    static func < (a: FileName, b: FileName) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
