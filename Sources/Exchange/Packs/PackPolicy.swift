import Foundation
import Vault

/// Which pack (`docs/packs.md`).
public enum PackKind: String, Sendable, CaseIterable {
    /// The agenda: identifying details of every case on the meeting, to each invited agency.
    case agenda
    /// The meeting pack: referral and research of every case, to a declared agency.
    case meeting
}

/// The reads a pack is built from go through the vault's one way to plaintext
/// (`Vault.readLogged`) like any other read: a read names the pack in its context, and
/// this policy allows it only when the facts in the vault's snapshot say the pack is due:
/// the pack recorded for that agency and version, the agency invited (and, for a meeting
/// pack, declared and the meeting sitting), and the document the referral (or research) of
/// a case on the meeting's agenda. Each allowed read is a `disclosure` to that agency.
enum PackPolicy {
    /// The context keys a pack read carries beside the principal's.
    enum Key {
        static let pack = "pack"
        static let meeting = "meeting"
        static let recipient = "recipient"
        static let version = "version"
        static let certificate = "certificateSHA256"
    }

    /// The context of a read for `kind` pack `version` of `meeting` to `recipient`.
    /// `certificateSHA256` is the fingerprint of the recipient certificate the pack is
    /// encrypted to: recorded in every disclosure entry, and refused unless it is the
    /// agency's registered certificate in the snapshot that decides.
    static func context(_ kind: PackKind, meeting: String, recipient: String, version: Int, certificateSHA256: String,
                        for principal: Principal) -> [String: String] {
        var context = principal.accessContext
        context[Key.certificate] = certificateSHA256
        context[Key.pack] = kind.rawValue
        context[Key.meeting] = meeting
        context[Key.recipient] = recipient
        context[Key.version] = String(version)
        return context
    }

    /// The pack file's name in the agency's outbox directory for `kind`.
    static func fileName(_ kind: PackKind, meeting: String, version: Int) -> String {
        switch kind {
        case .agenda: return "\(meeting)-v\(version).p7m"
        case .meeting: return "\(meeting).p7m"
        }
    }

    /// The decision for a pack read by `principal`, or nil when the request is not one.
    static func decide(_ request: AccessRequest, principal: Principal, document: AccessPolicy.Document,
                       reading tx: VaultTransaction) throws -> (decision: AccessPolicy.Decision, details: [String: String])? {
        guard let name = request.context[Key.pack] else { return nil }
        guard let kind = PackKind(rawValue: name), let meetingID = request.context[Key.meeting],
              let recipient = request.context[Key.recipient], let version = request.context[Key.version].flatMap(Int.init) else {
            return (.deny(rule: "pack-malformed"), [:])
        }
        let details = ["rule": "\(kind.rawValue)-pack", "kind": document.kind, "owner": document.agency,
                       "pack": fileName(kind, meeting: meetingID, version: version), "version": String(version),
                       Key.certificate: request.context[Key.certificate] ?? ""]
        func deny(_ rule: String) -> (AccessPolicy.Decision, [String: String]) {
            var refused = details
            refused["rule"] = rule
            return (.deny(rule: rule), refused)
        }
        // One indexed lookup per fact (a pack reads thousands of documents in one snapshot).
        func exists(_ sql: String, _ values: [SQLValue]) throws -> Bool { !(try tx.rows(sql, values)).isEmpty }
        guard let stateText = try tx.rows("SELECT state FROM x_meeting WHERE id = ?", [.text(meetingID)]).first?.first?.text,
              let state = MeetingState(rawValue: stateText) else { throw ExchangeError.unknownMeeting(meetingID) }
        guard try exists("SELECT 1 FROM x_pack WHERE meeting = ? AND kind = ? AND agency = ? AND version = ?",
                         [.text(meetingID), .text(kind.rawValue), .text(recipient), .integer(Int64(version))]) else { return deny("pack-not-recorded") }
        guard try exists("SELECT 1 FROM x_invitation WHERE meeting = ? AND agency = ?", [.text(meetingID), .text(recipient)]) else {
            return deny("pack-not-invited")
        }
        // The recipient's registered certificate, once per snapshot (a pack is thousands of reads).
        let memo = "pack-certificate/" + recipient
        if tx.memo[memo] == nil {
            tx.memo[memo] = try tx.rows("SELECT certificate FROM x_agency WHERE id = ?", [.text(recipient)]).first?.first?.blob
                .map { Hex.encode(SHA256.hash($0)) } ?? ""
        }
        guard let registered = tx.memo[memo], !registered.isEmpty, registered == request.context[Key.certificate] else {
            return deny("pack-certificate-changed")
        }
        guard let number = document.caseNumber,
              try exists("SELECT 1 FROM x_agenda WHERE meeting = ? AND case_number = ?", [.text(meetingID), .text(number)]) else {
            return deny("pack-not-on-agenda")
        }
        switch kind {
        case .agenda:
            guard principal.roles.contains(.coordinator) else { return deny("pack-not-coordinator") }
            guard state == .agendaIssued || state == .inSession else { return deny("pack-meeting-state") }
            guard document.kind == FormKind.referral.rawValue else { return deny("pack-document-kind") }
        case .meeting:
            guard state == .inSession else { return deny("pack-meeting-state") }
            guard try exists("SELECT 1 FROM x_declaration WHERE meeting = ? AND agency = ? LIMIT 1", [.text(meetingID), .text(recipient)]) else {
                return deny("pack-not-declared")
            }
            guard document.kind == FormKind.referral.rawValue || document.kind == FormKind.research.rawValue else {
                return deny("pack-document-kind")
            }
        }
        var bases = ["marac-isp"]
        if kind == .agenda { bases += document.referralBases.filter { !bases.contains($0) } }
        return (.allow(rule: details["rule"]!, operation: .disclosure, bases: bases, meeting: meetingID), details)
    }

    /// The log entry for a pack read's decision: a disclosure to the recipient, or a refusal.
    static func entry(_ decision: AccessPolicy.Decision, details: [String: String], principal: Principal,
                      document: AccessPolicy.Document, recipient: String, time: String) -> LogEntry {
        switch decision {
        case let .allow(_, operation, bases, meeting):
            return LogEntry(time: time, operation: operation, actor: .init(person: principal.name, agency: principal.agency),
                            records: [document.id], case: document.caseNumber, meeting: meeting, recipients: [recipient],
                            bases: bases, justification: "\(details["rule"] ?? "pack") \(details["pack"] ?? "") for \(recipient)",
                            details: details)
        case .deny:
            return LogEntry(time: time, operation: .refusal, actor: .init(person: principal.name, agency: principal.agency),
                            records: [document.id], case: document.caseNumber, meeting: nil, recipients: [], bases: [],
                            justification: "pack read refused", details: details)
        }
    }
}
