/// One problem found in a submitted form: where (a JSON path) and which rule it breaks.
/// Messages name paths, field names, agency ids, legal basis codes, dates and counts,
/// never a value that could be personal data.
public struct FormProblem: Equatable, Sendable, CustomStringConvertible {
    /// Where the problem is.
    public let path: JSONPath
    /// The rule broken.
    public let rule: FormRule
    /// What is wrong, for people: `date of birth 2031-02-01 is in the future`.
    public let message: String

    /// A problem at `path` breaking `rule`.
    public init(_ path: JSONPath, _ rule: FormRule, _ message: String) {
        self.path = path
        self.rule = rule
        self.message = message
    }

    /// `path: message`, as in a rejection report.
    public var description: String { "\(path): \(message)" }
}

/// The rules a form can break, each with a stable identifier for rejection reports.
public enum FormRule: String, Sendable, CaseIterable {
    // MARK: Reading the file
    /// The file is larger than the configured limit.
    case tooLarge = "too-large"
    /// The bytes are not UTF-8 JSON (or nest too deep, or a number overflows).
    case syntax = "syntax"
    /// A key appears twice in one object.
    case duplicateKey = "duplicate-key"
    /// The report stops after `FormValidator.maxProblems`; this says how many more there were.
    case moreProblems = "more-problems"

    // MARK: Shape (the published JSON Schemas express these)
    /// A required field is absent.
    case required = "required"
    /// A field the format does not define (outside `extensions`).
    case unknownField = "unknown-field"
    /// A value of the wrong JSON type.
    case wrongType = "wrong-type"
    /// A value outside its allowed set or range, or the wrong form/version.
    case notAllowed = "not-allowed"
    /// A string that must have content is empty.
    case empty = "empty"
    /// A string longer than its limit.
    case tooLong = "too-long"
    /// A string holding a control character other than tab, newline or carriage return.
    case controlCharacter = "control-character"
    /// A string that is not in the required format (date, id, case number).
    case format = "format"
    /// An array with too few items.
    case tooFewItems = "too-few-items"
    /// An array that repeats an item that must be unique.
    case repeatedItem = "repeated-item"
    /// A field required by another field's value.
    case requiredWhen = "required-when"
    /// None of a set of alternatives holds (no reason ticked, no legal authority, ...).
    case noneOfAlternatives = "none-of-alternatives"

    // MARK: Meaning (checked by the daemon only)
    /// A `YYYY-MM-DD` string that is not a calendar date.
    case notACalendarDate = "not-a-calendar-date"
    /// A date of birth, or the form's own date, after the date of receipt.
    case inTheFuture = "in-the-future"
    /// The form names another agency than the inbox it arrived in.
    case wrongAgency = "wrong-agency"
    /// A legal basis code the registry does not hold, or not valid for this use.
    case unknownLegalBasis = "unknown-legal-basis"
    /// A claim the daemon's own count contradicts (visible high risk, escalation).
    case inconsistent = "inconsistent"
    /// Dates out of order (a review before the decision).
    case dateOrder = "date-order"
    /// The case number names no open case.
    case unknownCase = "unknown-case"
    /// `supersedes` names no live document of this agency and kind (on this case) that a
    /// later form has not superseded already.
    case unknownDocument = "unknown-document"
    /// `action` names no action of the submitting agency (an action update).
    case unknownAction = "unknown-action"

    /// Whether the published JSON Schemas can express this rule, so the cross-check
    /// can demand that they agree on it.
    public var isSchemaExpressible: Bool {
        switch self {
        case .required, .unknownField, .wrongType, .notAllowed, .empty, .tooLong, .controlCharacter,
             .format, .tooFewItems, .repeatedItem, .requiredWhen, .noneOfAlternatives:
            return true
        case .tooLarge, .syntax, .duplicateKey, .moreProblems, .notACalendarDate, .inTheFuture, .wrongAgency,
             .unknownLegalBasis, .inconsistent, .dateOrder, .unknownCase, .unknownDocument, .unknownAction:
            return false
        }
    }
}
