/// A Marac research form (`docs/forms.md`, "research"): what one agency holds on a case.
public struct Research: Codable, Equatable, Sendable {
    /// `"research"`.
    public var form: FormKind = .research
    /// `1`.
    public var formVersion: Int = 1
    /// The researching agency; equals the inbox.
    public var agency: String
    /// Who did the research.
    public var researcher: Contact
    /// When.
    public var date: CalendarDate
    /// The case, from the agenda.
    public var caseNumber: CaseNumber
    /// The victim, to confirm identity.
    public var victim: PersonReference
    /// Whether the referral's details match the agency's records.
    public var accuracy: Accuracy
    /// True when the agency holds nothing on the family.
    public var noInformationHeld: Bool
    /// Last contact with the victim.
    public var lastContact: String?
    /// Recent behaviour.
    public var recentBehaviour: String?
    /// Information on risk indicators.
    public var riskIndicatorInformation: String?
    /// Anything else.
    public var otherInformation: String?
    /// The victim's priorities.
    public var victimPriorities: String?
    /// Who the victim is afraid of.
    public var afraidOf: String?
    /// Who it is safe to talk to.
    public var safeToTalkTo: String?
    /// Who it is not safe to talk to.
    public var notSafeToTalkTo: String?
    /// The document this form corrects (rectification), from the earlier form's receipt.
    public var supersedes: String?
    /// Agency-specific fields, kept as written.
    public var extensions: JSONValue?

    /// The fields that carry the agency's information: at least one must have content
    /// unless `noInformationHeld`.
    static let informationFields = ["lastContact", "recentBehaviour", "riskIndicatorInformation", "otherInformation"]

    /// Accuracy of the referral's details, by subject.
    public struct Accuracy: Codable, Equatable, Sendable {
        /// The victim's details.
        public var victim: Check
        /// The children's details.
        public var children: Check
        /// The perpetrator's details.
        public var perpetrator: Check
    }

    /// One accuracy check.
    public struct Check: Codable, Equatable, Sendable {
        /// Whether the details are accurate.
        public var accurate: Bool
        /// The corrections, required when not accurate.
        public var corrections: String?
    }
}
