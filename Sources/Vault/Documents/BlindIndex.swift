import Foundation

/// A blind-index token: HMAC-SHA256 of a normalised person identity under a vault key.
/// Equal for the same person however the name was typed; reveals nothing without the key.
public struct BlindToken: Hashable, Sendable {
    /// The 32 token bytes.
    public let bytes: [UInt8]

    /// Wraps stored token bytes (32 of them).
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a blind token is 32 bytes")
        self.bytes = bytes
    }
}

/// Normalisation of a person identity (`docs/vault-format.md`, "Blind index").
public enum BlindIndex {
    static let secretName = "blind-index"

    /// NFC, full case folding, white space collapsed to single spaces and trimmed, NFC.
    public static func normalise(name: String) -> String {
        name.utf8.allSatisfy { $0 < 0x80 } ? normaliseASCII(name) : normaliseUnicode(name)
    }

    /// The same for ASCII, where NFC changes nothing and case folding is A-Z to a-z: a
    /// token is computed for every name of every referral inside the ingest transaction,
    /// and Foundation's path costs tens of microseconds each. `BlindIndexTests` checks
    /// that both paths agree on every ASCII character.
    static func normaliseASCII(_ name: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count)
        var pendingSpace = false
        for byte in name.utf8 {
            if byte == 0x20 || (0x09...0x0D).contains(byte) {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append((0x41...0x5A).contains(byte) ? byte | 0x20 : byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The general path, through Foundation's Unicode tables.
    static func normaliseUnicode(_ name: String) -> String {
        let folded = name.precomposedStringWithCanonicalMapping
            .folding(options: [.caseInsensitive], locale: nil)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in folded.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(scalar)
            }
        }
        return String(out).precomposedStringWithCanonicalMapping
    }

    /// Whether `dob` is a real calendar date written `YYYY-MM-DD`.
    static func isValidDate(_ dob: String) -> Bool {
        let b = Array(dob.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D,
              [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ (0x30...0x39).contains(b[$0]) }) else { return false }
        func number(_ range: Range<Int>) -> Int { range.reduce(0) { $0 * 10 + Int(b[$1] - 0x30) } }
        let y = number(0..<4), m = number(5..<7), d = number(8..<10)
        guard (1...12).contains(m), d >= 1 else { return false }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]
        return d <= days
    }
}

extension Vault {
    /// The blind-index token for a person: name (normalised) and date of birth (`YYYY-MM-DD`).
    public func blindToken(name: String, dateOfBirth: String) throws -> BlindToken {
        let message = try Self.personMessage(name: name, dateOfBirth: dateOfBirth)
        return try locked { try blindToken(for: message) }
    }

    /// The token for an already-built message (callers hold the lock).
    func blindToken(for message: AAD) throws -> BlindToken {
        if blindIndexKey == nil {
            let secret = try secret(name: BlindIndex.secretName)
            blindIndexKey = try HMACSHA256(key: HKDF.deriveKey(inputKeyMaterial: secret, salt: [UInt8](),
                info: Array("maracd.v1 blind-index person".utf8), outputByteCount: 32))
        }
        return BlindToken(bytes: blindIndexKey!.authenticationCode(for: message))
    }

    /// Checks a person's identity and builds the message their token is computed over.
    static func personMessage(name: String, dateOfBirth: String) throws -> AAD {
        let normalised = BlindIndex.normalise(name: name)
        guard !normalised.isEmpty else { throw VaultError.invalidIdentity("the name is empty") }
        guard BlindIndex.isValidDate(dateOfBirth) else { throw VaultError.invalidIdentity("date of birth is not YYYY-MM-DD") }
        return AAD("maracd.v1 person").string(normalised).string(dateOfBirth)
    }
}
