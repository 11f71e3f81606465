/// An information sharing without consent form (`docs/forms.md`, "iswc"): an agency's
/// recorded decision to share without the victim's consent, signed by a manager.
public struct ISWC: Codable, Equatable, Sendable {
    /// `"iswc"`.
    public var form: FormKind = .iswc
    /// `1`.
    public var formVersion: Int = 1
    /// The deciding agency; equals the inbox.
    public var agency: String
    /// The Marac case, if it has one.
    public var caseNumber: CaseNumber?
    /// The agency's referral reference, if there is no case number yet.
    public var referralReference: String?
    /// The victim.
    public var victim: PersonReference
    /// Children.
    public var children: [Child]?
    /// The risks that justify sharing (at least one).
    public var risks: [Risk]
    /// The Dash `yes` count, if known.
    public var dashYesCount: Int?
    /// The incident, with its source.
    public var incidentDetails: String
    /// The legal authority for sharing.
    public var legalAuthority: LegalAuthority
    /// The balancing considerations.
    public var balancing: Balancing
    /// Consultations inside the agency.
    public var internalConsultations: [Consultation]?
    /// Consultations outside it.
    public var externalConsultations: [Consultation]?
    /// Whether the client was told.
    public var clientNotified: ClientNotified
    /// When the decision is reviewed, and by whom.
    public var review: Review
    /// What was shared, when, with whom.
    public var sharingRecord: [SharingRecord]?
    /// The caseworker's and the manager's signatures.
    public var signatures: Signatures
    /// The document this form corrects (rectification), from the earlier form's receipt.
    public var supersedes: String?
    /// Agency-specific fields, kept as written.
    public var extensions: JSONValue?

    /// The balancing considerations' field names.
    static let balancingFields = ["pressingNeed", "riskOfNotDisclosing", "respectiveRisks", "recipientInterest",
                                  "publicInterest", "humanRights", "dutyOfConfidentiality", "other"]

    /// A child.
    public struct Child: Codable, Equatable, Sendable {
        /// Name.
        public var name: String
        /// Date of birth.
        public var dob: CalendarDate?
        /// Address.
        public var address: String?
        /// School.
        public var school: String?
    }

    /// One identified risk.
    public struct Risk: Codable, Equatable, Sendable {
        /// Who is at risk.
        public var whoAtRisk: String
        /// From whom.
        public var riskFrom: String
        /// The concerns.
        public var concerns: String
        /// The immediate risks.
        public var immediateRisks: String
        /// Whether a risk assessment identified it.
        public var identifiedThroughRiskAssessment: Bool
    }

    /// The legal authority: a relevant protocol, legal bases, or both.
    public struct LegalAuthority: Codable, Equatable, Sendable {
        /// The information sharing protocol.
        public var `protocol`: ProtocolReference?
        /// Legal basis codes.
        public var legalBases: [String]?
    }

    /// Whether a sharing protocol applies.
    public struct ProtocolReference: Codable, Equatable, Sendable {
        /// Whether it is relevant.
        public var relevant: Bool
        /// Which protocol, and how it applies.
        public var detail: String?
    }

    /// The balancing considerations (at least one true).
    public struct Balancing: Codable, Equatable, Sendable {
        /// A pressing need.
        public var pressingNeed: Bool
        /// The risk of not disclosing.
        public var riskOfNotDisclosing: Bool
        /// The respective risks to those affected.
        public var respectiveRisks: Bool
        /// The recipient's interest.
        public var recipientInterest: Bool
        /// The public interest.
        public var publicInterest: Bool
        /// Human rights.
        public var humanRights: Bool
        /// The duty of confidentiality.
        public var dutyOfConfidentiality: Bool
        /// Other.
        public var other: Bool
        /// Comments.
        public var comments: String?
    }

    /// A consultation.
    public struct Consultation: Codable, Equatable, Sendable {
        /// Who was consulted.
        public var name: String
        /// When.
        public var date: CalendarDate
        /// Their advice.
        public var advice: String?
        /// The decision.
        public var decision: String?
    }

    /// Whether the client was told of the sharing.
    public struct ClientNotified: Codable, Equatable, Sendable {
        /// Whether they were.
        public var notified: Bool
        /// When (required if notified).
        public var date: CalendarDate?
        /// Why not (required if not).
        public var reason: String?
    }

    /// The review of the decision.
    public struct Review: Codable, Equatable, Sendable {
        /// When; not before the decision.
        public var date: CalendarDate
        /// Who is responsible.
        public var responsible: String
    }

    /// One act of sharing.
    public struct SharingRecord: Codable, Equatable, Sendable {
        /// When.
        public var date: CalendarDate
        /// With which agency.
        public var agency: String
        /// With whom.
        public var person: String
        /// How.
        public var method: Method
        /// Legal basis codes.
        public var legalBases: [String]
    }

    /// How information was shared.
    public enum Method: String, Codable, Sendable {
        /// Through this system.
        case secureExchange = "secure_exchange"
        /// Email.
        case email
        /// Letter.
        case letter
        /// Telephone.
        case phone
        /// In a meeting.
        case meeting
    }

    /// The two signatures.
    public struct Signatures: Codable, Equatable, Sendable {
        /// The caseworker's.
        public var caseworker: Signature
        /// The manager's: sharing without consent is a manager's decision.
        public var manager: Signature
    }

    /// A signature.
    public struct Signature: Codable, Equatable, Sendable {
        /// Who signed.
        public var name: String
        /// When.
        public var date: CalendarDate
    }
}
