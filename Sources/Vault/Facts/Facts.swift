import Foundation

// Application facts the vault authenticates (`docs/vault-format.md`, "Authenticated
// facts"): the rows that decide who may read a document or receives a pack. Each row
// carries a MAC over its columns and the log entry that recorded it; the sum of every
// row's MAC is kept under a MAC bound to the log's size, so a row deleted or put back as
// it was earlier shows as surely as one changed.

/// An application table whose rows are authenticated facts.
public struct FactTable: Hashable, Sendable {
    /// The table's name (the application's prefix, `x_`).
    public let name: String
    /// Its primary-key columns, which name a row in errors and in the log.
    public let key: [String]
    /// Every column the MAC covers, in order, the key's included (not `entry` or `mac`).
    public let columns: [String]
    /// Key columns that hold personal data (a person's name): written in the log, in
    /// errors and in the daemon's log as a keyed pseudonym, never as they are.
    public let personal: Set<String>

    /// A table `name` keyed by `key`, its MAC covering `columns` in that order.
    public init(_ name: String, key: [String], columns: [String], personal: Set<String> = []) {
        precondition(key.allSatisfy(columns.contains) && personal.isSubset(of: key), "a fact table's key is among its columns")
        self.name = name
        self.key = key
        self.columns = columns
        self.personal = personal
    }
}

/// A change to one fact, as the log entry that records it names it.
public struct FactChange: Equatable, Sendable {
    /// The table.
    public let table: String
    /// The row's key (`Vault.factKeyText`).
    public let key: String
    /// The row's MAC after the change; nil when the row was removed.
    public let mac: [UInt8]?

    /// A change to `table/key`, the row now authenticated by `mac` (nil: removed).
    public init(table: String, key: String, mac: [UInt8]?) {
        self.table = table
        self.key = key
        self.mac = mac
    }
}

/// One authenticated row as stored: which entry recorded it, and its MAC.
public struct FactRow: Equatable, Sendable {
    /// The table.
    public let table: String
    /// The row's key (`Vault.factKeyText`).
    public let key: String
    /// The log entry that recorded this state of the row (nil if the column is empty).
    public let entry: Int?
    /// The stored MAC (nil if the column is empty).
    public let mac: [UInt8]?
}

/// The sum of every fact row's MAC, mod 2^256, and the log size it was last bound to.
struct FactDigest {
    static let zero = [UInt8](repeating: 0, count: 32)

    var digest = FactDigest.zero
    /// What `vault_fact_state` holds (log size, digest), nil before it is written.
    var stored: (logSize: Int, digest: [UInt8])?

    /// Adds a MAC, read as a 256-bit big-endian number.
    mutating func add(_ mac: [UInt8]) {
        precondition(mac.count == 32)
        var carry = 0
        for i in stride(from: 31, through: 0, by: -1) {
            let sum = Int(digest[i]) + Int(mac[i]) + carry
            digest[i] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
    }

    /// Subtracts a MAC (adds its two's complement).
    mutating func subtract(_ mac: [UInt8]) {
        precondition(mac.count == 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var difference = Int(digest[i]) - Int(mac[i]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            digest[i] = UInt8(difference)
        }
    }
}
