import Foundation

/// The filters of `audit log` (`docs/audit.md`), parsed strictly by `maracctl` and again by
/// the daemon: a time the IG officer did not mean must not quietly return the whole log, or
/// nothing.
public struct AuditFilter: Equatable, Sendable {
    /// The forms a time may take.
    public static let timeForms = "YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM:SSZ (UTC)"
    /// The operations the vault's own key events carry (`op`), beside the log entries'.
    public static let keyOperations = ["key-rotate", "key-destroy", "root-rotate", "signing-rotate"]
    /// Every operation an entry may have.
    public static var operations: [String] { LogEntry.Operation.allCases.map(\.rawValue) + keyOperations }

    /// Entries from this time on (RFC 3339 UTC, as entries are stamped).
    public let since: String?
    /// Entries before this time.
    public let until: String?
    /// Entries of this operation.
    public let operation: String?

    /// Parses the options; throws `AuditFilter.Invalid` saying what is accepted.
    public init(since: String?, until: String?, operation: String?) throws {
        self.since = try since.map { try Self.time($0, "since") }
        self.until = try until.map { try Self.time($0, "until") }
        if let from = self.since, let to = self.until, to <= from {
            throw Invalid(message: "--until must be after --since")
        }
        if let operation, !Self.operations.contains(operation) {
            throw Invalid(message: "--operation must be one of \(Self.operations.joined(separator: ", "))")
        }
        self.operation = operation
    }

    /// Whether the parsed `entry` passes the operation and the time range. A key event
    /// matches its name (`key-rotate`, ...) as the old vault entries carried it (`op`) and as
    /// the one schema does (`operation: registry`, `details.action`).
    public func admits(_ entry: JSONValue) -> Bool {
        if let operation {
            let named = (entry["operation"] ?? entry["op"])?.string == operation
            let keyEvent = Self.keyOperations.contains(operation) && entry["operation"]?.string == LogEntry.Operation.registry.rawValue
                && entry["details"]?["action"]?.string == operation
            guard named || keyEvent else { return false }
        }
        return since == nil && until == nil || includes(time: entry["time"]?.string ?? "")
    }

    /// Whether an entry stamped `time` (RFC 3339 UTC) is in range.
    public func includes(time: String) -> Bool {
        if let since, time < since { return false }
        if let until, time >= until { return false }
        return true
    }

    /// A filter refused, with the forms accepted.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        /// What to write instead.
        public let message: String
        public var description: String { message }
    }

    /// `text` as RFC 3339 UTC seconds, from a date or a UTC time in the forms above.
    static func time(_ text: String, _ option: String) throws -> String {
        let bytes = Array(text.utf8)
        let datePart = String(text.prefix(10))
        if bytes.count == 10, CalendarDate(datePart)?.description == datePart { return datePart + "T00:00:00Z" }
        func digits(_ range: Range<Int>, below limit: Int) -> Bool {
            range.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 }
                && Int(String(decoding: bytes[range], as: UTF8.self)).map { $0 < limit } == true
        }
        if bytes.count == 20, CalendarDate(datePart)?.description == datePart, bytes[10] == UInt8(ascii: "T"),
           bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), bytes[19] == UInt8(ascii: "Z"),
           digits(11..<13, below: 24), digits(14..<16, below: 60), digits(17..<19, below: 60) {
            return text
        }
        throw Invalid(message: "--\(option) must be \(timeForms)")
    }
}
