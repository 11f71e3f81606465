import Foundation
import Vault

/// Which pack (`docs/packs.md`).
public enum PackKind: String, Sendable, CaseIterable {
    /// The agenda: identifying details of every case on the meeting, to each invited agency.
    case agenda
    /// The meeting pack: referral and research of every case, to a declared agency.
    case meeting
    /// The minutes: each case's plan and actions, after the meeting, to each agency that
    /// attended it or owns one of its actions (`docs/packs.md`, "Minutes pack").
    case minutes
}

/// The reads a pack is built from go through the vault's one way to plaintext
/// (`Vault.readLogged`) like any other read: a read names the pack in its context, this
/// loads the pack's facts from the vault's snapshot, and the access table's pack rows
/// (`AccessPolicy`, `docs/access.md`) decide: the pack recorded for that agency and
/// version, the agency invited (and, for a meeting pack, declared and the meeting
/// sitting), the certificate its registered one, and the document the referral (or
/// research) of a case on the meeting's agenda. Each allowed read is a `disclosure` to
/// that agency.
enum PackRead {
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
        AccessPolicy.Pack.fileName(kind, meeting: meeting, version: version)
    }

    /// The facts of the pack a read's `context` names, as they stand in `tx`; nil when the
    /// context does not name a whole pack (refused `no-facts`). Throws for an unknown meeting.
    static func facts(_ context: [String: String], document: AccessPolicy.Document, reading tx: VaultTransaction) throws -> AccessPolicy.Pack? {
        guard let kind = context[Key.pack].flatMap(PackKind.init(rawValue:)), let meeting = context[Key.meeting],
              let recipient = context[Key.recipient], let version = context[Key.version].flatMap(Int.init) else { return nil }
        let certificate = context[Key.certificate] ?? ""  // none: not the registered one
        func exists(_ sql: String, _ values: [SQLValue]) throws -> Bool { !(try tx.rows(sql, values)).isEmpty }
        // The pack's own facts, once per snapshot (a pack reads thousands of documents in
        // one): the meeting's state, the pack recorded, the recipient invited and declared,
        // its registered certificate's fingerprint.
        let memo = "pack/\(kind.rawValue)/\(meeting)/\(recipient)/\(version)"
        if tx.memo[memo] == nil {
            guard let stateText = try tx.rows("SELECT state FROM x_meeting WHERE id = ?", [.text(meeting)]).first?.first?.text,
                  MeetingState(rawValue: stateText) != nil else { throw ExchangeError.unknownMeeting(meeting) }
            let recorded = try exists("SELECT 1 FROM x_pack WHERE meeting = ? AND kind = ? AND agency = ? AND version = ?",
                                      [.text(meeting), .text(kind.rawValue), .text(recipient), .integer(Int64(version))])
            var invited = try exists("SELECT 1 FROM x_invitation WHERE meeting = ? AND agency = ?", [.text(meeting), .text(recipient)])
            var declared = try kind != .agenda
                && exists("SELECT 1 FROM x_declaration WHERE meeting = ? AND agency = ? LIMIT 1", [.text(meeting), .text(recipient)])
            // The minutes also go to an agency that owns one of the meeting's actions, invited
            // or not: for them, "invited" and "declared" are "attended or owns an action".
            if kind == .minutes, try exists("SELECT 1 FROM x_action WHERE meeting = ? AND owner = ? LIMIT 1", [.text(meeting), .text(recipient)]) {
                invited = true
                declared = true
            }
            let registered = try tx.rows("SELECT certificate FROM x_agency WHERE id = ?", [.text(recipient)]).first?.first?.blob
                .map { Hex.encode(SHA256.hash($0)) } ?? "-"
            tx.memo[memo] = [stateText, recorded ? "1" : "0", invited ? "1" : "0", declared ? "1" : "0", registered].joined(separator: " ")
        }
        let facts = tx.memo[memo]!.split(separator: " ").map(String.init)
        return AccessPolicy.Pack(
            kind: kind, meeting: meeting, meetingState: MeetingState(rawValue: facts[0])!, recipient: recipient, version: version,
            certificateSHA256: certificate, recorded: facts[1] == "1", recipientInvited: facts[2] == "1", recipientDeclared: facts[3] == "1",
            certificateRegistered: facts[4] != "-" && facts[4] == certificate,
            caseOnAgenda: try document.caseNumber.map {
                try exists("SELECT 1 FROM x_agenda WHERE meeting = ? AND case_number = ?", [.text(meeting), .text($0)])
            } ?? false)
    }
}
