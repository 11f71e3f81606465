import Foundation

/// Who may read which document when (`design.md`, "Meetings, declarations and access"),
/// as one table and one pure function of the facts: the reader, the document (from the
/// vault's bound record), the meetings with its case on their agenda, the legal bases and
/// reason given. No I/O, no clock, no state: the same facts give the same answer, which
/// `Tests/ExchangeTests/AccessMatrixTests.swift` checks against every combination.
public enum AccessPolicy {
    // MARK: - The facts

    /// Who asks.
    public struct Reader: Equatable, Sendable {
        /// The principal.
        public var principal: Principal
        /// The kind of the principal's agency (nil if it is not registered).
        public var agencyKind: AgencyKind?

        /// A reader.
        public init(principal: Principal, agencyKind: AgencyKind?) {
            self.principal = principal
            self.agencyKind = agencyKind
        }
    }

    /// What the vault's bound record says of the document.
    public struct Document: Equatable, Sendable {
        /// The document id.
        public var id: String
        /// The agency that sent it (its owner).
        public var agency: String
        /// `referral`, `research`, `iswc`, `quarantine`, or of the meeting's record `action`, `plan`, `action-update`.
        public var kind: String
        /// The case it belongs to, if any.
        public var caseNumber: String?
        /// For a referral: the bases it was referred under (`consent`, or its without-consent codes).
        public var referralBases: [String]
        /// Whether a correction from its agency superseded it (an authenticated fact).
        public var superseded: Bool

        /// A document's facts.
        public init(id: String, agency: String, kind: String, caseNumber: String?, referralBases: [String] = [], superseded: Bool = false) {
            self.id = id
            self.agency = agency
            self.kind = kind
            self.caseNumber = caseNumber
            self.referralBases = referralBases
            self.superseded = superseded
        }
    }

    /// A meeting with the document's case on its agenda, as it concerns the reader.
    public struct Meeting: Equatable, Sendable {
        /// Its id.
        public var id: String
        /// Its state.
        public var state: MeetingState
        /// Whether the reader's agency is invited.
        public var readerInvited: Bool
        /// Whether the reader has made (or the chair recorded) the declaration.
        public var readerDeclared: Bool

        /// A meeting's facts.
        public init(id: String, state: MeetingState, readerInvited: Bool, readerDeclared: Bool) {
            self.id = id
            self.state = state
            self.readerInvited = readerInvited
            self.readerDeclared = readerDeclared
        }
    }

    /// What the reader asks for and gives: the purpose, legal basis codes and a reason.
    public struct Request: Equatable, Sendable {
        /// Codes from the registry.
        public var bases: [String]
        /// Why, in the reader's words (kept in the audit log).
        public var reason: String
        /// What the read is for: a person reading, or a pack being built.
        public var purpose: Purpose

        /// Whether the reader gave a reason: something other than white space.
        var givesReason: Bool { reason.contains { !$0.isWhitespace } }

        /// A request.
        public init(bases: [String], reason: String, purpose: Purpose = .read) {
            self.bases = bases
            self.reason = reason
            self.purpose = purpose
        }
    }

    /// What a read is for: the table's first column.
    public enum Purpose: Equatable, Sendable {
        /// A person reading a form (`doc.read`, a case export, subject access).
        case read
        /// A pack being built for an agency (`docs/packs.md`), with its facts.
        case pack(Pack)
        /// A request that does not say who reads or what for (not made by `Marac.read`, or
        /// a pack read without its facts): no row is for it, so it is refused `no-facts`.
        case unattributed
    }

    /// The facts of a pack read, each read from the vault's snapshot that decides.
    public struct Pack: Equatable, Sendable {
        /// The agenda or the meeting pack.
        public var kind: PackKind
        /// The meeting the pack is for, and its state.
        public var meeting: String
        public var meetingState: MeetingState
        /// The agency it goes to, and the pack version.
        public var recipient: String
        public var version: Int
        /// The SHA-256 fingerprint of the certificate it is encrypted to.
        public var certificateSHA256: String
        /// Whether the pack is recorded for that agency and version.
        public var recorded: Bool
        /// Whether the recipient is invited to the meeting.
        public var recipientInvited: Bool
        /// Whether someone of the recipient agency has made the meeting's declaration.
        public var recipientDeclared: Bool
        /// Whether `certificateSHA256` is the recipient's registered certificate's.
        public var certificateRegistered: Bool
        /// Whether the document's case is on the meeting's agenda.
        public var caseOnAgenda: Bool

        /// A pack read's facts.
        public init(kind: PackKind, meeting: String, meetingState: MeetingState, recipient: String, version: Int, certificateSHA256: String,
                    recorded: Bool, recipientInvited: Bool, recipientDeclared: Bool, certificateRegistered: Bool, caseOnAgenda: Bool) {
            self.kind = kind
            self.meeting = meeting
            self.meetingState = meetingState
            self.recipient = recipient
            self.version = version
            self.certificateSHA256 = certificateSHA256
            self.recorded = recorded
            self.recipientInvited = recipientInvited
            self.recipientDeclared = recipientDeclared
            self.certificateRegistered = certificateRegistered
            self.caseOnAgenda = caseOnAgenda
        }

        /// The pack file's name in the recipient's outbox directory.
        public var fileName: String { Self.fileName(kind, meeting: meeting, version: version) }

        /// The file name of `kind` pack `version` of `meeting`.
        static func fileName(_ kind: PackKind, meeting: String, version: Int) -> String {
            switch kind {
            case .agenda: return "\(meeting)-v\(version).p7m"
            case .meeting: return "\(meeting).p7m"
            case .minutes: return "\(meeting)-minutes-v\(version).p7m"
            }
        }
    }

    /// The answer.
    public enum Decision: Equatable, Sendable {
        /// Read allowed under table rule `rule`, logged as `operation` with `bases` (and
        /// the meeting it was allowed under, for in-session reads).
        case allow(rule: String, operation: LogEntry.Operation, bases: [String], meeting: String?)
        /// Refused; `rule` says why (a refusal entry is logged).
        case deny(rule: String)
    }

    // MARK: - The table

    /// What a rule is for.
    enum For: Equatable {
        /// A person reading.
        case read
        /// Building that kind of pack.
        case pack(PackKind)
    }

    /// Who a rule is for.
    enum Who: Equatable {
        /// A principal of the agency that sent the document.
        case ownAgency
        /// A principal of the Idva agency (every referral is referred to the Idva).
        case idva
        /// The coordinator.
        case coordinator
        /// A principal of an agency invited to a meeting with the case on its agenda, who
        /// has made the declaration for it.
        case declaredInvited
        /// An IG officer: of the document's agency, or the Marac-wide one.
        case igOfficer
        /// The coordinator, for an invited agency whose pack is recorded, encrypted to its
        /// registered certificate, with the case on that meeting's agenda.
        case agendaPackSender
        /// Anyone whose move makes the pack due (the coordinator, the chair, a declaring
        /// representative), for an invited agency that has declared, whose pack is
        /// recorded, encrypted to its registered certificate, with the case on that
        /// meeting's agenda.
        case meetingPackSender
        /// The coordinator, for an agency that attended the meeting or owns one of its
        /// actions, whose pack is recorded, encrypted to its registered certificate, with
        /// the case on that meeting's agenda.
        case minutesPackSender
    }

    /// When a rule applies.
    enum When: Equatable {
        case always
        /// While that meeting is in session.
        case inSession
        /// While that meeting's agenda is issued, or it is in session.
        case agendaOut
        /// Once that meeting is closed.
        case closed
    }

    /// Where the legal basis comes from.
    enum Basis: Equatable {
        /// The reader gives codes that may justify sharing, and a reason.
        case reader
        /// The referral's own bases (consent, or its without-consent codes), and the
        /// reader's reason: every person's read says why (issue 24).
        case referral
        /// Fixed by the rule, and the reader's reason (a person reading in session).
        case fixedWithReason([String])
        /// Fixed by the rule (a pack's read: its purpose is the pack).
        case fixed([String])
        /// Fixed by the rule, then the referral's own.
        case fixedAndReferral([String])
        /// The reader gives `audit` (and may add others) and a reason.
        case audit
    }

    struct Rule {
        let id: String
        let purpose: For
        let who: Who
        let kinds: Set<String>
        /// Whether the rule reads a form its agency has since corrected (kept for the
        /// audit trail): only its agency's and the IG officers' rules do.
        let superseded: Bool
        let when: When
        let basis: Basis
    }

    static let allKinds: Set<String> = ["referral", "research", "iswc", "quarantine", "action", "plan", "action-update"]

    /// The rules, in order. The first that admits the reader and whose basis holds allows
    /// the read; if rules admit the reader but none's basis holds, the first one's basis
    /// refusal is the answer; if none admits the reader, the most specific reason why not.
    static let table: [Rule] = [
        //     id                   for                       who                     documents                superseded?        when         basis
        Rule(id: "own-agency",    purpose: .read,           who: .ownAgency,         kinds: allKinds,                 superseded: true,  when: .always,    basis: .reader),
        Rule(id: "idva-referral", purpose: .read,           who: .idva,              kinds: ["referral"],             superseded: false, when: .always,    basis: .referral),
        Rule(id: "coordinator",   purpose: .read,           who: .coordinator,       kinds: ["referral", "iswc", "action", "plan", "action-update"], superseded: false, when: .always, basis: .reader),
        Rule(id: "in-session",    purpose: .read,           who: .declaredInvited,   kinds: ["referral", "research", "action", "plan"], superseded: false, when: .inSession, basis: .fixedWithReason(["marac-isp"])),
        Rule(id: "ig-audit",      purpose: .read,           who: .igOfficer,         kinds: allKinds,                 superseded: true,  when: .always,    basis: .audit),
        Rule(id: "agenda-pack",   purpose: .pack(.agenda),  who: .agendaPackSender,  kinds: ["referral"],             superseded: false, when: .agendaOut, basis: .fixedAndReferral(["marac-isp"])),
        Rule(id: "meeting-pack",  purpose: .pack(.meeting), who: .meetingPackSender, kinds: ["referral", "research"], superseded: false, when: .inSession, basis: .fixed(["marac-isp"])),
        Rule(id: "minutes-pack",  purpose: .pack(.minutes), who: .minutesPackSender, kinds: ["action", "plan"],       superseded: false, when: .closed,    basis: .fixed(["marac-isp"])),
    ]

    // MARK: - Deciding

    /// Decides whether `reader` may read `document`.
    public static func decide(_ reader: Reader, _ document: Document, meetings: [Meeting], request: Request,
                              registry: LegalBasisRegistry) -> Decision {
        var firstDenial: Denial?
        for rule in table where rule.kinds.contains(document.kind) {
            guard let admission = admits(rule, reader, document, meetings, request.purpose) else { continue }
            if document.superseded && !rule.superseded {
                firstDenial = firstDenial ?? Denial(rule: "superseded")
                continue
            }
            let operation: LogEntry.Operation = rule.purpose == .read && reader.principal.agency == document.agency ? .consultation : .disclosure
            switch bases(rule.basis, document, request, registry: registry) {
            case let .success(bases): return .allow(rule: rule.id, operation: operation, bases: bases, meeting: admission.meeting)
            case let .failure(denial): firstDenial = firstDenial ?? denial
            }
        }
        return .deny(rule: firstDenial?.rule ?? whyNot(reader, document, meetings, request.purpose))
    }

    /// Whether some rule admits `reader` to `document` now, whatever basis they would
    /// give: what a case view lists (ids and kinds only; reading still goes through `decide`).
    public static func admits(_ reader: Reader, _ document: Document, meetings: [Meeting]) -> Bool {
        table.contains {
            $0.kinds.contains(document.kind) && (!document.superseded || $0.superseded) && admits($0, reader, document, meetings, .read) != nil
        }
    }

    /// A rule's admission of the reader, with the meeting it is under (in-session reads).
    private struct Admission { let meeting: String? }

    /// Every column of the row is evaluated: `who` (and, for a meeting-bound `who`, the
    /// meetings it holds on), then `when` over those meetings (or, for a `who` bound to no
    /// meeting, over every meeting with the case on its agenda).
    private static func admits(_ rule: Rule, _ reader: Reader, _ document: Document, _ meetings: [Meeting],
                               _ purpose: Purpose) -> Admission? {
        let principal = reader.principal
        var held: [Meeting]?  // the meetings a meeting-bound `who` holds on
        let pack: Pack?
        switch (rule.purpose, purpose) {
        case (.read, .read): pack = nil
        case let (.pack(kind), .pack(facts)) where facts.kind == kind: pack = facts
        default: return nil
        }
        switch rule.who {
        case .ownAgency: guard principal.agency == document.agency else { return nil }
        case .idva: guard reader.agencyKind == .idva else { return nil }
        case .coordinator: guard principal.roles.contains(.coordinator) else { return nil }
        case .igOfficer: guard AuditScope.covers(document.agency, principal) else { return nil }
        case .declaredInvited:
            guard document.caseNumber != nil else { return nil }
            held = meetings.filter { $0.readerInvited && $0.readerDeclared }
            guard !held!.isEmpty else { return nil }
        case .agendaPackSender:
            guard let pack, principal.roles.contains(.coordinator), pack.deliverable else { return nil }
        case .meetingPackSender:
            guard let pack, pack.deliverable, pack.recipientDeclared else { return nil }
        case .minutesPackSender:
            guard let pack, principal.roles.contains(.coordinator), pack.deliverable, pack.recipientDeclared else { return nil }
        }
        if let pack {  // a pack's `when` is over its own meeting
            switch rule.when {
            case .always: break
            case .inSession: guard pack.meetingState == .inSession else { return nil }
            case .agendaOut: guard pack.meetingState == .agendaIssued || pack.meetingState == .inSession else { return nil }
            case .closed: guard pack.meetingState == .closed else { return nil }
            }
            return Admission(meeting: pack.meeting)
        }
        switch rule.when {
        case .always: return Admission(meeting: held?.first?.id)
        case .closed: return nil  // a pack's condition only
        case .inSession:
            guard document.caseNumber != nil, let sitting = (held ?? meetings).first(where: { $0.state == .inSession }) else { return nil }
            return Admission(meeting: sitting.id)
        case .agendaOut:
            guard document.caseNumber != nil,
                  let out = (held ?? meetings).first(where: { $0.state == .agendaIssued || $0.state == .inSession }) else { return nil }
            return Admission(meeting: out.id)
        }
    }

    private struct Denial: Error { let rule: String }

    private static func bases(_ basis: Basis, _ document: Document, _ request: Request,
                              registry: LegalBasisRegistry) -> Result<[String], Denial> {
        switch basis {
        case let .fixed(codes): return .success(codes)
        case let .fixedWithReason(codes):
            guard request.givesReason else { return .failure(Denial(rule: "reason-required")) }
            return .success(codes)
        case let .fixedAndReferral(codes): return .success(codes + document.referralBases.filter { !codes.contains($0) })
        case .referral:
            guard request.givesReason else { return .failure(Denial(rule: "reason-required")) }
            return document.referralBases.isEmpty ? .failure(Denial(rule: "referral-bases-unknown")) : .success(document.referralBases)
        case .reader, .audit:
            guard !request.bases.isEmpty else { return .failure(Denial(rule: basis == .audit ? "audit-basis-required" : "basis-required")) }
            guard request.givesReason else { return .failure(Denial(rule: "reason-required")) }
            if request.bases.contains(where: { registry.basis($0) == nil }) { return .failure(Denial(rule: "basis-unknown")) }
            if basis == .audit {
                guard request.bases.contains("audit") else { return .failure(Denial(rule: "audit-basis-required")) }
                return .success(request.bases)
            }
            guard request.bases.allSatisfy({ registry.allows($0, for: .disclosure) }) else {
                return .failure(Denial(rule: "basis-not-for-sharing"))
            }
            return .success(request.bases)
        }
    }

    /// The most specific reason no rule admits the reader.
    private static func whyNot(_ reader: Reader, _ document: Document, _ meetings: [Meeting], _ purpose: Purpose) -> String {
        switch purpose {
        case .read: break
        case .unattributed: return "no-facts"
        case let .pack(pack):
            if !pack.recorded { return "pack-not-recorded" }
            if !pack.recipientInvited { return "pack-not-invited" }
            if !pack.certificateRegistered { return "pack-certificate-changed" }
            if !pack.caseOnAgenda { return "pack-not-on-agenda" }
            switch pack.kind {
            case .agenda:
                if !reader.principal.roles.contains(.coordinator) { return "pack-not-coordinator" }
                if pack.meetingState != .agendaIssued && pack.meetingState != .inSession { return "pack-meeting-state" }
            case .meeting:
                if pack.meetingState != .inSession { return "pack-meeting-state" }
                if !pack.recipientDeclared { return "pack-not-declared" }
            case .minutes:
                if !reader.principal.roles.contains(.coordinator) { return "pack-not-coordinator" }
                if pack.meetingState != .closed { return "pack-meeting-state" }
                if !pack.recipientDeclared { return "pack-not-attended" }
            }
            return "pack-document-kind"
        }
        switch document.kind {
        case "iswc": return "iswc-author-coordinator-ig-only"
        case "quarantine": return "quarantine-owner-ig-only"
        case "action-update": return "action-update-owner-coordinator-ig-only"
        case "referral", "research", "action", "plan":
            if document.caseNumber == nil || meetings.isEmpty { return "case-not-on-an-agenda" }
            let invited = meetings.filter(\.readerInvited)
            if invited.isEmpty { return "agency-not-invited" }
            let declared = invited.filter(\.readerDeclared)
            if declared.isEmpty { return "declaration-not-made" }
            return "meeting-not-in-session"
        default: return "no-rule"
        }
    }
}

extension AccessPolicy.Pack {
    /// Whether the pack may go to its recipient at all: recorded, the recipient invited,
    /// encrypted to its registered certificate, the case on the meeting's agenda.
    var deliverable: Bool { recorded && recipientInvited && certificateRegistered && caseOnAgenda }
}
