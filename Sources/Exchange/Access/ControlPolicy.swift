import Foundation

/// Which principal may call which control verb (`docs/access.md`, "Who may call which
/// verb"), as one table: the daemon asks it before dispatching, and Exchange's own
/// operations ask it again for callers other than the daemon. A verb open to any principal
/// is decided further on the facts, by the rule its row names (the document-read table,
/// case visibility, an export's approvals, a declaration's maker).
public enum ControlPolicy {
    /// One verb's row.
    public struct Row: Equatable, Sendable {
        /// The protocol verb (`docs/control-protocol.md`).
        public let verb: String
        /// The roles that may call it; empty for any principal.
        public let roles: [Principal.Role]
        /// What calling it does, in the words a refusal uses ("schedule a meeting").
        public let what: String
        /// For a verb open to any principal: what then decides.
        public let decidedBy: String
    }

    private static func row(_ verb: String, _ roles: [Principal.Role], _ what: String, decidedBy: String = "") -> Row {
        Row(verb: verb, roles: roles, what: what, decidedBy: decidedBy)
    }

    /// The table, verb by verb.
    public static let table: [Row] = [
        row("status", [], "ask the daemon's status", decidedBy: "nothing more: names no case or document"),
        row("agency.list", [], "list the agencies", decidedBy: "nothing more: ids, names, kinds, certificate expiry"),
        row("agency.add", [.keyCustodian], "register agencies"),
        row("agency.set-cert", [.keyCustodian], "replace agency certificates"),
        row("key.status", [.keyCustodian], "manage keys"),
        row("key.rotate", [.keyCustodian], "manage keys"),
        row("key.acknowledge-restore", [.keyCustodian], "acknowledge a restore"),
        row("case.list", [], "list cases", decidedBy: "case visibility (below)"),
        row("case.show", [], "show a case", decidedBy: "case visibility; its documents by the read table"),
        row("case.close", [.coordinator], "close a case"),
        row("case.hold", [.igOfficer, .coordinator], "place a legal hold"),
        row("case.release", [.igOfficer, .coordinator], "release a legal hold"),
        row("doc.read", [], "read a document", decidedBy: "the document-read table"),
        row("meeting.list", [], "list meetings", decidedBy: "nothing more: ids, dates, states"),
        row("meeting.show", [], "show a meeting", decidedBy: "nothing more: invited agencies, case numbers, declarations"),
        row("meeting.statement", [], "read the confidentiality statement", decidedBy: "nothing more"),
        row("meeting.create", [.coordinator], "schedule a meeting"),
        row("meeting.invite", [.coordinator], "invite agencies"),
        row("meeting.add-case", [.coordinator], "add cases to an agenda"),
        row("meeting.uninvite", [.coordinator], "withdraw invitations"),
        row("meeting.remove-case", [.coordinator], "take cases off an agenda"),
        row("meeting.cancel", [.coordinator], "cancel a meeting before its agenda goes out"),
        row("meeting.reschedule", [.coordinator], "move a meeting to another date before its agenda goes out"),
        row("meeting.send-agenda", [.coordinator], "send the agenda"),
        row("meeting.advance", [.coordinator, .chair], "move a meeting"),
        row("meeting.send-packs", [.coordinator, .chair], "send meeting packs"),
        row("meeting.declare", [], "make a declaration", decidedBy: "the facts (below): for themselves, or the chair for an attendee"),
        row("meeting.send-minutes", [.coordinator], "send the minutes"),
        row("meeting.attendance", [.coordinator, .chair], "record observers and apologies"),
        row("action.add", [], "record an action", decidedBy: "the facts (below): the chair or the coordinator, or a declared representative for their own agency, in session"),
        row("plan.record", [], "record a case's plan", decidedBy: "the facts (below): the risks and links by the chair or the coordinator, the confirmation by the Idva, in session"),
        row("action.update", [], "update an action", decidedBy: "the facts (below): the owning agency; a refusal is logged"),
        row("action.list", [], "list actions", decidedBy: "nothing more: ids, cases, owners, dates, statuses; the coordinator, the chair and IG officers every agency's, others their own"),
        row("export.case", [], "export a case", decidedBy: "the document-read table for each form, then the facts (below): the owners' approval"),
        row("export.approve", [], "approve an export", decidedBy: "the facts (below): an agency the request waits for"),
        row("export.audit", [.igOfficer], "export the log", decidedBy: "the audit scope (below)"),
        row("export.list", [], "list export requests", decidedBy: "nothing more: those its agency made or is asked to approve"),
        row("export.show", [], "show an export request", decidedBy: "nothing more: one its agency made or is asked to approve (others: as for none)"),
        row("audit.log", [.igOfficer], "audit the log", decidedBy: "the audit scope (below)"),
        row("audit.checkpoint", [.igOfficer], "audit the log"),
        row("audit.prove", [.igOfficer], "audit the log", decidedBy: "the audit scope (below)"),
        row("audit.report", [.igOfficer], "audit the log", decidedBy: "the audit scope (below)"),
        row("audit.verify", [.igOfficer], "audit the log"),
        row("subject.search", [.igOfficer], "search for a data subject", decidedBy: "the audit basis and a reason; the officer's scope"),
        row("subject.export", [.igOfficer], "search for a data subject", decidedBy: "the audit basis and a reason; the officer's scope"),
        row("retention.run", [.igOfficer, .coordinator], "run retention"),
        row("statistics", [.coordinator, .igOfficer], "compile the Marac's statistics",
            decidedBy: "logged: the sealed equality facts are opened under ukgdpr-6-1-e and ukgdpr-9-2-g"),
        row("data.return", [.coordinator, .igOfficer], "compile the quarterly data return",
            decidedBy: "logged: the sealed case facts are opened under ukgdpr-6-1-e and ukgdpr-9-2-g"),
    ]

    /// The bases the statistics open the sealed equality facts under: the Marac's public
    /// task, and substantial public interest for the special-category facts.
    public static let statisticsBases = ["ukgdpr-6-1-e", "ukgdpr-9-2-g"]

    private static let byVerb = Dictionary(uniqueKeysWithValues: table.map { ($0.verb, $0) })

    /// The row for `verb`, nil for a verb the protocol does not have.
    public static func row(for verb: String) -> Row? { byVerb[verb] }

    /// Refuses `principal` unless `verb`'s row admits them (`notPermitted`, saying who
    /// may). A verb with no row is a programming error in Exchange; the daemon answers an
    /// unknown verb before asking.
    public static func require(_ verb: String, _ principal: Principal) throws {
        guard let row = byVerb[verb] else { preconditionFailure("no policy row for \(verb)") }
        guard row.roles.isEmpty || row.roles.contains(where: principal.roles.contains) else {
            throw ExchangeError.notPermitted("only \(who(row.roles)) may \(row.what)")
        }
    }

    /// "the coordinator", "an IG officer or the coordinator", ...
    static func who(_ roles: [Principal.Role]) -> String {
        roles.map { role -> String in
            switch role {
            case .coordinator: return "the coordinator"
            case .chair: return "the chair"
            case .keyCustodian: return "a key custodian"
            case .igOfficer: return "an IG officer"
            case .representative: return "a representative"
            }
        }.joined(separator: " or ")
    }

    /// The table as `docs/access.md` shows it (a test checks the document against this).
    public static var markdown: String {
        var lines = ["| verb | who may call it | then decided by |", "|---|---|---|"]
        for row in table {
            lines.append("| `\(row.verb)` | \(row.roles.isEmpty ? "any principal" : who(row.roles)) | \(row.decidedBy.isEmpty ? "-" : row.decidedBy) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Which log entries an IG officer may see (`docs/access.md`, "The audit scope"): the
/// Marac-wide officer every entry; an agency's officer the entries that involve their
/// agency: its actor, a recipient, or the owner of what it concerns (`details.owner`, or
/// one of `details.owners`). One function for every verb that shows the log (`audit log`,
/// `audit prove`, `audit report`, `export audit`); an entry it cannot decode is the
/// Marac-wide officer's only (fail closed).
public enum AuditScope {
    /// Whether `principal` may see the entry with these bytes.
    public static func admits(_ bytes: Data, _ principal: Principal) -> Bool {
        admits(try? JSONParser().parse(Array(bytes)).value, principal)
    }

    /// The same for an entry already parsed (nil: its bytes did not parse).
    public static func admits(_ entry: JSONValue?, _ principal: Principal) -> Bool {
        guard principal.roles.contains(.igOfficer) else { return false }
        if principal.isMaracWide { return true }
        guard let entry, case .object = entry else { return false }
        return involves(entry, principal.agency)
    }

    /// Whether `principal`'s audit reaches what `agency` holds: an IG officer of that
    /// agency, or the Marac-wide one (the `ig-audit` read row and subject access).
    public static func covers(_ agency: String, _ principal: Principal) -> Bool {
        principal.roles.contains(.igOfficer) && (principal.isMaracWide || principal.agency == agency)
    }

    /// Whether the parsed `entry` involves `agency` (also the `--agency` filter).
    public static func involves(_ entry: JSONValue, _ agency: String) -> Bool {
        entry["actor"]?["agency"]?.string == agency
            || (entry["recipients"]?.array ?? []).contains(.string(agency))
            || entry["details"]?["owner"]?.string == agency
            || (entry["details"]?["owners"]?.string?.split(separator: ",").contains { $0 == agency } ?? false)
            || entry["agency"]?.string == agency
    }
}
