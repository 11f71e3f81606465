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
        /// `referral`, `research`, `iswc` or `quarantine`.
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

    /// What the reader gives: legal basis codes and a reason.
    public struct Request: Equatable, Sendable {
        /// Codes from the registry.
        public var bases: [String]
        /// Why, in the reader's words (kept in the audit log).
        public var reason: String

        /// A request.
        public init(bases: [String], reason: String) {
            self.bases = bases
            self.reason = reason
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
    }

    /// When a rule applies.
    enum When: Equatable {
        case always
        /// While that meeting is in session.
        case inSession
    }

    /// Where the legal basis comes from.
    enum Basis: Equatable {
        /// The reader gives codes that may justify sharing, and a reason.
        case reader
        /// The referral's own bases (consent, or its without-consent codes).
        case referral
        /// Fixed by the rule.
        case fixed([String])
        /// The reader gives `audit` (and may add others) and a reason.
        case audit
    }

    struct Rule {
        let id: String
        let who: Who
        let kinds: Set<String>
        /// Whether the rule reads a form its agency has since corrected (kept for the
        /// audit trail): only its agency's and the IG officers' rules do.
        let superseded: Bool
        let when: When
        let basis: Basis
    }

    static let allKinds: Set<String> = ["referral", "research", "iswc", "quarantine"]

    /// The rules, in order. The first that admits the reader and whose basis holds allows
    /// the read; if rules admit the reader but none's basis holds, the first one's basis
    /// refusal is the answer; if none admits the reader, the most specific reason why not.
    static let table: [Rule] = [
        //     id                  who                    documents                superseded?        when         basis
        Rule(id: "own-agency",    who: .ownAgency,       kinds: allKinds,                 superseded: true,  when: .always,    basis: .reader),
        Rule(id: "idva-referral", who: .idva,            kinds: ["referral"],             superseded: false, when: .always,    basis: .referral),
        Rule(id: "coordinator",   who: .coordinator,     kinds: ["referral", "iswc"],     superseded: false, when: .always,    basis: .reader),
        Rule(id: "in-session",    who: .declaredInvited, kinds: ["referral", "research"], superseded: false, when: .inSession, basis: .fixed(["marac-isp"])),
        Rule(id: "ig-audit",      who: .igOfficer,       kinds: allKinds,                 superseded: true,  when: .always,    basis: .audit),
    ]

    // MARK: - Deciding

    /// Decides whether `reader` may read `document`.
    public static func decide(_ reader: Reader, _ document: Document, meetings: [Meeting], request: Request,
                              registry: LegalBasisRegistry) -> Decision {
        var firstDenial: Denial?
        for rule in table where rule.kinds.contains(document.kind) {
            guard let admission = admits(rule, reader, document, meetings) else { continue }
            if document.superseded && !rule.superseded {
                firstDenial = firstDenial ?? Denial(rule: "superseded")
                continue
            }
            let operation: LogEntry.Operation = reader.principal.agency == document.agency ? .consultation : .disclosure
            switch bases(rule.basis, document, request, registry: registry) {
            case let .success(bases): return .allow(rule: rule.id, operation: operation, bases: bases, meeting: admission.meeting)
            case let .failure(denial): firstDenial = firstDenial ?? denial
            }
        }
        return .deny(rule: firstDenial?.rule ?? whyNot(reader, document, meetings))
    }

    /// Whether some rule admits `reader` to `document` now, whatever basis they would
    /// give: what a case view lists (ids and kinds only; reading still goes through `decide`).
    public static func admits(_ reader: Reader, _ document: Document, meetings: [Meeting]) -> Bool {
        table.contains { $0.kinds.contains(document.kind) && (!document.superseded || $0.superseded) && admits($0, reader, document, meetings) != nil }
    }

    /// A rule's admission of the reader, with the meeting it is under (in-session reads).
    private struct Admission { let meeting: String? }

    /// Every column of the row is evaluated: `who` (and, for a meeting-bound `who`, the
    /// meetings it holds on), then `when` over those meetings (or, for a `who` bound to no
    /// meeting, over every meeting with the case on its agenda).
    private static func admits(_ rule: Rule, _ reader: Reader, _ document: Document, _ meetings: [Meeting]) -> Admission? {
        let principal = reader.principal
        var held: [Meeting]?  // the meetings a meeting-bound `who` holds on
        switch rule.who {
        case .ownAgency: guard principal.agency == document.agency else { return nil }
        case .idva: guard reader.agencyKind == .idva else { return nil }
        case .coordinator: guard principal.roles.contains(.coordinator) else { return nil }
        case .igOfficer: guard principal.roles.contains(.igOfficer), principal.isMaracWide || principal.agency == document.agency else { return nil }
        case .declaredInvited:
            guard document.caseNumber != nil else { return nil }
            held = meetings.filter { $0.readerInvited && $0.readerDeclared }
            guard !held!.isEmpty else { return nil }
        }
        switch rule.when {
        case .always: return Admission(meeting: held?.first?.id)
        case .inSession:
            guard document.caseNumber != nil, let sitting = (held ?? meetings).first(where: { $0.state == .inSession }) else { return nil }
            return Admission(meeting: sitting.id)
        }
    }

    private struct Denial: Error { let rule: String }

    private static func bases(_ basis: Basis, _ document: Document, _ request: Request,
                              registry: LegalBasisRegistry) -> Result<[String], Denial> {
        switch basis {
        case let .fixed(codes): return .success(codes)
        case .referral:
            return document.referralBases.isEmpty ? .failure(Denial(rule: "referral-bases-unknown")) : .success(document.referralBases)
        case .reader, .audit:
            guard !request.bases.isEmpty else { return .failure(Denial(rule: basis == .audit ? "audit-basis-required" : "basis-required")) }
            guard request.reason.contains(where: { !$0.isWhitespace }) else { return .failure(Denial(rule: "reason-required")) }
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
    private static func whyNot(_ reader: Reader, _ document: Document, _ meetings: [Meeting]) -> String {
        switch document.kind {
        case "iswc": return "iswc-author-coordinator-ig-only"
        case "quarantine": return "quarantine-owner-ig-only"
        case "referral", "research":
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
