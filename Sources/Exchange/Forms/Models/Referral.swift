/// A Marac referral (`docs/forms.md`, "referral"), with its Dash risk checklist.
public struct Referral: Codable, Equatable, Sendable {
    /// `"referral"`.
    public var form: FormKind = .referral
    /// `1`.
    public var formVersion: Int = 1
    /// The referring agency's id; equals the inbox the form arrived in.
    public var referringAgency: String
    /// Who to contact at the referring agency (at least one).
    public var contacts: [Contact]
    /// The date of the referral.
    public var date: CalendarDate
    /// The victim.
    public var victim: Victim
    /// The perpetrators (at least one).
    public var perpetrators: [Perpetrator]
    /// Children in the household (may be empty).
    public var children: [Child]
    /// The criteria the referrer ticked.
    public var reasons: Reasons
    /// Why, when the referral is on professional judgement.
    public var professionalJudgementRationale: String?
    /// Police call-outs in the past 12 months, which the escalation criterion counts.
    public var policeIncidentsInPast12Months: Int?
    /// The earlier case, if the referrer knows of one.
    public var repeatOf: RepeatOf?
    /// Whether the victim knows of the referral.
    public var victimAwareOfReferral: Bool
    /// Why not, when the victim is unaware.
    public var notAwareReason: String?
    /// Whether the victim consented to the referral.
    public var consentGiven: Bool
    /// The legal bases for referring without consent.
    public var sharingWithoutConsent: SharingWithoutConsent?
    /// Who the victim is afraid of.
    public var afraidOf: String?
    /// Who it is safe to talk to.
    public var safeToTalkTo: String?
    /// Who it is not safe to talk to.
    public var notSafeToTalkTo: String?
    /// Whether the victim was referred to a Marac before.
    public var previousMarac: PreviousMarac?
    /// The Dash risk checklist (absent only on professional judgement alone).
    public var dash: Dash?
    /// The document this form corrects (rectification), from the earlier form's receipt.
    public var supersedes: String?
    /// Agency-specific fields, kept as written.
    public var extensions: JSONValue?

    /// The victim of a referral.
    public struct Victim: Codable, Equatable, Sendable {
        /// Name.
        public var name: String
        /// Date of birth.
        public var dob: CalendarDate?
        /// Address.
        public var address: String?
        /// Telephone number.
        public var phone: String?
        /// Whether it is safe to call.
        public var safeToCall: Bool?
        /// How to make contact safely.
        public var contactNotes: String?
        /// Other names.
        public var aliases: [String]?
        /// Equality monitoring answers.
        public var diversity: Diversity?
    }

    /// Equality monitoring answers (principle 8 of an effective Marac).
    public struct Diversity: Codable, Equatable, Sendable {
        /// Black and minority ethnic.
        public var bme: Bool?
        /// Disabled.
        public var disabled: Bool?
        /// Lesbian, gay, bisexual, trans or queer.
        public var lgbtq: Bool?
        /// Gender.
        public var gender: Gender?
    }

    /// The gender answers the form allows.
    public enum Gender: String, Codable, Sendable {
        /// Female.
        case female
        /// Male.
        case male
        /// Other.
        case other
        /// Not known.
        case notKnown = "not_known"
    }

    /// A perpetrator.
    public struct Perpetrator: Codable, Equatable, Sendable {
        /// Name.
        public var name: String
        /// Date of birth.
        public var dob: CalendarDate?
        /// Address.
        public var address: String?
        /// Relationship to the victim.
        public var relationshipToVictim: String?
    }

    /// A child in the household.
    public struct Child: Codable, Equatable, Sendable {
        /// Name.
        public var name: String
        /// Date of birth.
        public var dob: CalendarDate?
        /// Relationship to the victim.
        public var relationshipToVictim: String?
        /// Relationship to the perpetrator.
        public var relationshipToPerpetrator: String?
        /// Address.
        public var address: String?
        /// School.
        public var school: String?
    }

    /// The referral criteria the referrer ticked.
    public struct Reasons: Codable, Equatable, Sendable {
        /// Professional judgement.
        public var professionalJudgement: Bool
        /// Visible high risk (the Dash count meets the threshold).
        public var visibleHighRisk: Bool
        /// Potential escalation.
        public var potentialEscalation: Bool
        /// Repeat (referred within the past 12 months).
        public var `repeat`: Bool
    }

    /// The earlier case a repeat refers to.
    public struct RepeatOf: Codable, Equatable, Sendable {
        /// Its case number, as the referrer knows it.
        public var caseNumber: String?
        /// When it was listed.
        public var dateListed: CalendarDate?
    }

    /// The legal bases for a referral without consent.
    public struct SharingWithoutConsent: Codable, Equatable, Sendable {
        /// Legal basis codes (`legal-bases.md`).
        public var legalBases: [String]
        /// The agency's own iswc form reference.
        public var iswcReference: String?
    }

    /// A previous Marac referral.
    public struct PreviousMarac: Codable, Equatable, Sendable {
        /// Whether there was one.
        public var referred: Bool
        /// Where.
        public var `where`: String?
        /// When.
        public var when: String?
    }
}
