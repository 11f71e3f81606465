import Foundation

/// A failure from SQLite or from the store's own checks. Bound values never appear in
/// these errors: only SQLite's code and message, which name no row contents.
public enum DatabaseError: Error, Equatable, Sendable {
    /// SQLite returned `code` with `message` during `operation`.
    case sqlite(code: Int32, message: String, operation: String)
    /// The database was written by a newer build or its migrations were renamed.
    case unknownSchema(String)
    /// A column did not have the type or size the format requires.
    case corruptRow(table: String, column: String)
}

extension DatabaseError {
    /// Whether the host, not the request, is at fault: the disk is full, an I/O error, the
    /// file read-only or not openable, memory exhausted. The same write can succeed once
    /// the fault clears; no form or request is to blame.
    public var isEnvironmental: Bool {
        guard case let .sqlite(code, _, _) = self else { return false }
        // Primary result codes: PERM 3, READONLY 8, IOERR 10, FULL 13, CANTOPEN 14, NOMEM 7.
        return [3, 7, 8, 10, 13, 14].contains(code & 0xff)
    }
}

extension DatabaseError: CustomStringConvertible {
    /// A one-line explanation fit for a log.
    public var description: String {
        switch self {
        case let .sqlite(code, message, operation): return "SQLite error \(code) in \(operation): \(message)"
        case let .unknownSchema(why): return "unknown database schema: \(why)"
        case let .corruptRow(table, column): return "corrupt row in \(table).\(column)"
        }
    }
}
