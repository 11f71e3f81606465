/// The four kinds of form agencies submit.
public enum FormKind: String, Codable, Sendable, CaseIterable {
    /// The Marac referral form with its Dash risk checklist.
    case referral
    /// The Marac research form, one per invited agency per case.
    case research
    /// The information sharing without consent form.
    case iswc
    /// Progress on one of the agency's actions (`docs/actions.md`).
    case actionUpdate = "action-update"

    /// The forms that make up a case before its meeting, each kept for its own retention
    /// period (`docs/retention.md`); an action update goes with the case's referral.
    public static let caseForms: [FormKind] = [.referral, .research, .iswc]
}

/// A contact person at an agency.
public struct Contact: Codable, Equatable, Sendable {
    /// The contact's name.
    public var name: String
    /// A telephone number.
    public var phone: String?
    /// An email address.
    public var email: String?
}

/// A person named on a research or iswc form, to confirm identity.
public struct PersonReference: Codable, Equatable, Sendable {
    /// The person's name.
    public var name: String
    /// Date of birth.
    public var dob: CalendarDate?
    /// Address.
    public var address: String?
}

/// A validated form of any kind.
public enum Form: Equatable, Sendable {
    /// A referral.
    case referral(Referral)
    /// A research form.
    case research(Research)
    /// An information-sharing-without-consent form.
    case iswc(ISWC)
    /// An update on an action.
    case actionUpdate(ActionUpdateForm)

    /// The document this form corrects, if it is a rectification.
    public var supersedes: String? {
        switch self {
        case let .referral(form): return form.supersedes
        case let .research(form): return form.supersedes
        case let .iswc(form): return form.supersedes
        case .actionUpdate: return nil
        }
    }

    /// The form's kind.
    public var kind: FormKind {
        switch self {
        case .referral: return .referral
        case .research: return .research
        case .iswc: return .iswc
        case .actionUpdate: return .actionUpdate
        }
    }
}
