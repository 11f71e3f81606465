import Vault

/// Why an Exchange operation could not be done. Bad forms are not errors (they are
/// `FormRejection`s, reported to the sender); these are about the Marac's set-up or the
/// caller's request. Messages name ids and case numbers only.
public enum ExchangeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No agency with this id is registered.
    case unknownAgency(String)
    /// The agency is registered but not active.
    case agencyInactive(String)
    /// An agency with this id already exists.
    case duplicateAgency(String)
    /// Referrals need exactly one active Idva agency; this many are active.
    case idvaRequired(active: Int)
    /// A second active Idva agency was refused; this one is already active.
    case secondIdva(existing: String)
    /// An agency field is not acceptable (which field, and why).
    case invalidAgency(field: String, reason: String)
    /// No case has this number.
    case unknownCase(String)
    /// The configured case-number prefix is not 1 to 8 of `A-Z0-9`.
    case invalidCasePrefix
    /// A year's case numbers are used up.
    case caseNumbersExhausted(year: Int)
    /// A stored row does not hold what this build wrote (which table and key).
    case corruptRow(String)
    /// An application row disagrees with the document it points at (which table and key):
    /// re-pointed by someone writing the database.
    case tampered(String)
    /// An authenticated fact (`table/key`) disagrees with the log's record of it, or a
    /// pack disclosure names a certificate the registry did not hold then: why, in words.
    case factMismatch(fact: String, why: String)
    /// No meeting has this id.
    case unknownMeeting(String)
    /// The principal's roles or agency do not allow this (what, without personal data).
    case notPermitted(String)
    /// The request contradicts the current state (why).
    case conflict(String)
    /// No action has this id.
    case unknownAction(String)
    /// A request's value is not acceptable (which, and why; never the value).
    case invalidRequest(String)
    /// A pack cannot go to this agency: it has no certificate, or its certificate is not valid now.
    case noRecipientCertificate(agency: String, reason: String)

    /// For operators and logs.
    public var description: String {
        switch self {
        case let .unknownAgency(id): return "no agency \(id) is registered"
        case let .agencyInactive(id): return "agency \(id) is not active"
        case let .duplicateAgency(id): return "agency \(id) is already registered"
        case let .idvaRequired(active):
            return "referrals need exactly one active agency of kind idva; \(active) \(active == 1 ? "is" : "are") active"
        case let .secondIdva(existing): return "agency \(existing) is already the active idva; deactivate it first"
        case let .invalidAgency(field, reason): return "agency \(field): \(reason)"
        case let .unknownCase(number): return "no case \(number)"
        case .invalidCasePrefix: return "the case-number prefix must be 1 to 8 upper-case letters or digits"
        case let .caseNumbersExhausted(year): return "the case numbers for \(year) are used up"
        case let .corruptRow(what): return "stored row \(what) is not in this build's format"
        case let .tampered(what): return "integrity check failed for \(what): it disagrees with the document's bound links"
        case let .factMismatch(fact, why): return "integrity check failed for \(fact): \(why)"
        case let .unknownMeeting(id): return "no meeting \(id)"
        case let .notPermitted(why): return "not permitted: \(why)"
        case let .conflict(why): return why
        case let .unknownAction(id): return "no action \(id)"
        case let .invalidRequest(why): return why
        case let .noRecipientCertificate(agency, reason): return "agency \(agency) \(reason): register a valid one with maracctl agency set-cert"
        }
    }
}
