/// A Marac case, as stored: what the coordinator's case list shows. No names: those are
/// in the encrypted referral.
public struct CaseRecord: Equatable, Sendable {
    /// The case number.
    public let number: CaseNumber
    /// Open or closed.
    public let status: CaseStatus
    /// When the referral was received (UTC date).
    public let receivedOn: CalendarDate
    /// The referral's document id in the vault.
    public let referral: String
    /// The referring agency's id.
    public let referringAgency: String
    /// Its kind, as it was at referral.
    public let agencyKind: AgencyKind
    /// The earlier case this repeats (the victim's last referral, within 12 months).
    public let repeatOf: CaseNumber?
    /// Whether the referrer ticked "repeat".
    public let referrerTickedRepeat: Bool
    /// Whether repeat detection could run (the victim's date of birth was given).
    public let repeatChecked: Bool
    /// The daemon's Dash `yes` count, when the referral had a checklist.
    public let dashYesCount: Int?
    /// The date of the latest meeting that heard the case.
    public let latestMeeting: CalendarDate?
    /// Agencies flag their records until this date: 12 months after the latest meeting.
    public let flagUntil: CalendarDate?

    /// Whether the daemon found this to be a repeat.
    public var isRepeat: Bool { repeatOf != nil }

    /// The daemon's finding and the referrer's tick differ: shown to the coordinator.
    public var repeatMismatch: Bool { repeatChecked && isRepeat != referrerTickedRepeat }
}

/// A case's state.
public enum CaseStatus: String, Codable, Sendable {
    /// Taking research and iswc forms.
    case open
    /// Closed by the coordinator.
    case closed
}

/// A research or iswc form attached to a case (or, for an iswc with only the agency's
/// referral reference, to none yet).
public struct Attachment: Equatable, Sendable {
    /// The document id.
    public let document: String
    /// The case, if known.
    public let caseNumber: CaseNumber?
    /// `research` or `iswc`.
    public let kind: FormKind
    /// The submitting agency.
    public let agency: String
    /// When it was received (UTC date).
    public let receivedOn: CalendarDate
}
