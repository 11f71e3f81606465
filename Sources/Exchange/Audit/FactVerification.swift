import Foundation
import Vault

// The log is the one source of truth for every fact behind an access decision
// (`docs/vault-format.md`, "Authenticated facts"): replaying it gives, for every row of the
// fact tables, the MAC of its latest state and the entry that recorded it. The tables must
// equal that projection row by row, and every pack disclosure must name the certificate the
// registry held for its recipient at that point of the log.

/// What `Marac.verifyFacts()` checked.
public struct FactVerification: Equatable, Sendable {
    /// Fact rows compared with the log's replay.
    public let rows: Int
    /// Fact changes the log records.
    public let changes: Int
    /// Pack entries whose recipient certificate was checked against the registry's history.
    public let certificates: Int
}

extension Marac {
    /// Replays the whole log and compares the fact tables with it, naming the first row
    /// `inserted` (no entry records it), `changed` (not the state last recorded: edited, or
    /// put back as it was) or `deleted`; checks every pack's recipient certificate against
    /// the registry's history; then every row's MAC and the digest (`Vault.checkFacts`).
    public func verifyFacts() throws -> FactVerification {
        var latest: [String: (mac: String?, entry: Int)] = [:]
        var registered: [String: String] = [:]  // agency → certificate SHA-256 hex, or "none"
        var changes = 0, certificates = 0
        for (seq, data) in try vault.logEntries(0..<Int.max) {
            // Entries are decoded only when they can matter (the log is long).
            guard data.range(of: Data("\"facts\"".utf8)) != nil || data.range(of: Data("certificate".utf8)) != nil,
                  let entry = try? LogEntry(decoding: data) else { continue }
            for fact in entry.facts ?? [] {
                latest["\(fact.table)/\(fact.key)"] = (fact.mac, seq)
                changes += 1
            }
            if entry.operation == .registry, let owner = entry.details["owner"], let certificate = entry.details["certificate"] {
                registered[owner] = certificate
            }
            for (agency, fingerprint) in Self.packCertificates(entry) {
                guard registered[agency] == fingerprint else {
                    throw ExchangeError.factMismatch(fact: "log entry \(seq)", why: "a pack for \(agency) names certificate \(fingerprint), "
                                                     + "not the one registered then (\(registered[agency] ?? "none"))")
                }
                certificates += 1
            }
        }
        let rows = try vault.factRows()
        for row in rows {
            let name = "\(row.table)/\(row.key)"
            guard let recorded = latest.removeValue(forKey: name) else {
                throw ExchangeError.factMismatch(fact: name, why: "inserted: no log entry records this row")
            }
            guard let mac = recorded.mac else {
                throw ExchangeError.factMismatch(fact: name, why: "put back: log entry \(recorded.entry) records its removal")
            }
            guard row.mac.map(Hex.encode) == mac, row.entry == recorded.entry else {
                throw ExchangeError.factMismatch(fact: name, why: "changed: not the state the log last recorded (log entry \(recorded.entry))")
            }
        }
        if let (name, recorded) = latest.filter({ $0.value.mac != nil }).min(by: { $0.key < $1.key }) {
            throw ExchangeError.factMismatch(fact: name, why: "deleted: log entry \(recorded.entry) records it, the table has no such row")
        }
        try vault.checkFacts()
        return FactVerification(rows: rows.count, changes: changes, certificates: certificates)
    }

    /// The recipients' certificate fingerprints a pack entry names: a disclosure's
    /// `certificateSHA256`, or a recording's `certificates` (`agency=hex,...`).
    static func packCertificates(_ entry: LogEntry) -> [(agency: String, fingerprint: String)] {
        if entry.operation == .disclosure, let fingerprint = entry.details["certificateSHA256"], !fingerprint.isEmpty,
           let recipient = entry.recipients.first {
            return [(recipient, fingerprint)]
        }
        guard entry.operation == .meeting, let list = entry.details["certificates"] else { return [] }
        return list.split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
    }
}
