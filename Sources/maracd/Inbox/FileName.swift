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

    /// SHA-256 of the name's bytes, in hex: how a receipt or report names the file it is
    /// about (the agency computes the same hash of the name it used), since the name
    /// itself is often made from a person's name and date of birth.
    var sha256: String { Hex.encode(SHA256.hash(bytes)) }

    /// How the daemon's log lines refer to a file: HMAC-SHA256 of the name under a key
    /// this process drew at start, 12 hex digits. Lines of one run can be matched; the
    /// value cannot be recomputed from a guessed name, so it confirms no guess.
    var id: String { Self.logID(nameSHA256: sha256) }

    /// `id` from the name's SHA-256 alone (all a held file's name keeps of it).
    static func logID(nameSHA256: String) -> String {
        guard let code = try? HMACSHA256.authenticationCode(for: Array(nameSHA256.utf8), key: logKey) else { return "unavailable" }
        return String(Hex.encode(code).prefix(12))
    }

    /// For a name `claim` gave a file in the processing directory, the inbox name's
    /// SHA-256 it carries; for any other name, its own.
    var heldNameSHA256: String {
        let text = String(decoding: bytes, as: UTF8.self)
        let parts = text.split(separator: ".")
        guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit) else { return sha256 }
        return String(parts[0])
    }

    private static let logKey: SecretBytes = {
        guard let key = try? SecretBytes(randomByteCount: 32) else { preconditionFailure("no random bytes for the log key") }
        return key
    }()

    static func < (a: FileName, b: FileName) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
