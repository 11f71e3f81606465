/// A Marac case number, `<prefix>-<YYYY>-<NNNN>`: the configured prefix (1 to 8
/// upper-case letters or digits, default `M`), the year of receipt, and that year's
/// sequence number (at least four digits), never reused.
public struct CaseNumber: Hashable, Comparable, Sendable, TextCodable {
    /// The Marac's prefix.
    public let prefix: String
    /// The year the referral was received.
    public let year: Int
    /// The sequence number within the year, from 1.
    public let sequence: Int

    /// A case number from its parts; nil if the prefix is not 1 to 8 of `A-Z0-9`, the
    /// year not four digits or the sequence out of 1...999999.
    public init?(prefix: String, year: Int, sequence: Int) {
        guard Self.isPrefix(prefix), (1000...9999).contains(year), (1...999_999).contains(sequence) else { return nil }
        self.prefix = prefix
        self.year = year
        self.sequence = sequence
    }

    /// Parses `M-2026-0001`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 4, (4...6).contains(parts[2].count),
              parts[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), parts[2].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let year = Int(parts[1]), let sequence = Int(parts[2]) else { return nil }
        self.init(prefix: String(parts[0]), year: year, sequence: sequence)
        guard description == text else { return nil }
    }

    /// Whether `prefix` is 1 to 8 of `A-Z0-9`.
    public static func isPrefix(_ prefix: String) -> Bool {
        let utf8 = prefix.utf8
        return (1...8).contains(utf8.count) && utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) }
    }

    /// `M-2026-0001`.
    public var description: String {
        let digits = String(sequence)
        return "\(prefix)-\(year)-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Year, then sequence, then prefix.
    public static func < (a: CaseNumber, b: CaseNumber) -> Bool {
        (a.year, a.sequence, a.prefix) < (b.year, b.sequence, b.prefix)
    }
}
