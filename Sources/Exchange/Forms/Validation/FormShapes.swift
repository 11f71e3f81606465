/// The four forms' shapes (`docs/forms.md`; `config/schemas/*.schema.json` say the same).
/// Unknown fields are refused at every level, not only the top: a misspelt `victim.dbo`
/// would silently drop a date of birth. Only `extensions` holds anything.
enum FormShapes {
    /// What is known of a form before its kind: the `form` member only (the paths of
    /// problems found that early name nothing else).
    static let beforeKind = Shape.object(Fields([required("form", .text(max: 20, nonEmpty: true))]))

    static func shape(of kind: FormKind) -> Shape {
        switch kind {
        case .referral: return referral
        case .research: return research
        case .iswc: return iswc
        case .actionUpdate: return actionUpdate
        }
    }

    // MARK: - Action update

    static let actionUpdate = Shape.object(Fields([
        required("form", .constant("action-update")),
        required("formVersion", .constantInteger(1)),
        required("agency", .label),
        required("action", .actionID),
        required("status", .choice(ActionUpdateForm.statuses)),
        required("date", .date),
        optional("note", .long),
        optional("extensions", .anyObject),
    ]))

    static let legalBases = Shape.list(.label, min: 1, unique: true)

    static let contact = Shape.object(Fields([
        required("name", .name), optional("phone", .short), optional("email", .short),
    ]))

    static let diversity = Shape.object(Fields([
        optional("bme", .boolean), optional("disabled", .boolean), optional("lgbtq", .boolean),
        optional("gender", .choice(["female", "male", "other", "not_known"])),
    ]))

    static let briefPerson = Shape.object(Fields([
        required("name", .name), optional("dob", .date), optional("address", .short),
    ]))

    // MARK: - Referral

    static let referral = Shape.object(Fields([
        required("form", .constant("referral")),
        required("formVersion", .constantInteger(1)),
        required("referringAgency", .label),
        required("contacts", .list(contact, min: 1, unique: false)),
        required("date", .date),
        required("victim", .object(Fields([
            required("name", .name), optional("dob", .date), optional("address", .short), optional("phone", .short),
            optional("safeToCall", .boolean), optional("contactNotes", .long), optional("aliases", .list(.name, min: 0, unique: false)),
            optional("diversity", diversity),
        ]))),
        required("perpetrators", .list(.object(Fields([
            required("name", .name), optional("dob", .date), optional("address", .short), optional("relationshipToVictim", .short),
        ])), min: 1, unique: false)),
        required("children", .list(.object(Fields([
            required("name", .name), optional("dob", .date), optional("relationshipToVictim", .short),
            optional("relationshipToPerpetrator", .short), optional("address", .short), optional("school", .short),
        ])), min: 0, unique: false)),
        required("reasons", .object(Fields([
            required("professionalJudgement", .boolean), required("visibleHighRisk", .boolean),
            required("potentialEscalation", .boolean), required("repeat", .boolean),
        ]))),
        optional("professionalJudgementRationale", .required),
        optional("policeIncidentsInPast12Months", .integer(0...1_000)),
        optional("repeatOf", .object(Fields([optional("caseNumber", .short), optional("dateListed", .date)]))),
        required("victimAwareOfReferral", .boolean),
        optional("notAwareReason", .required),
        required("consentGiven", .boolean),
        optional("sharingWithoutConsent", .object(Fields([required("legalBases", legalBases), optional("iswcReference", .short)]))),
        optional("afraidOf", .long), optional("safeToTalkTo", .long), optional("notSafeToTalkTo", .long),
        optional("previousMarac", .object(Fields([required("referred", .boolean), optional("where", .short), optional("when", .short)]))),
        optional("dash", dash),
        optional("supersedes", .documentID),
        optional("extensions", .anyObject),
    ]))

    static let dashAnswer = Shape.object(Fields([
        required("answer", .choice(["yes", "no", "dont_know"])), optional("comment", .long), optional("source", .short),
    ]))

    static let dash = Shape.object(Fields([
        required("answers", .object(Fields((1...24).map { required(String($0), dashAnswer) },
                                          missingMessage: { "question \($0) is not answered (all 24 are required)" }))),
        optional("q14ThreatenedToKill", ticks(["victim", "children", "other"])),
        optional("q18HurtOthers", ticks(["children", "family_member", "previous_relationship", "other"])),
        optional("q21Problems", ticks(["drugs", "alcohol", "mental_health"])),
        optional("q23Breaches", ticks(["bail", "non_molestation_or_occupation_order", "child_contact",
                                       "forced_marriage_protection_order", "other"])),
        optional("q24CriminalHistory", ticks(["domestic_abuse", "sexual_violence", "other_violence", "other"])),
        optional("otherRelevantInformation", .long), optional("willingToEngage", .long),
        optional("abuserOccupationAccessToWeapons", .long), optional("victimPriorities", .long),
        optional("reasonableGroundsForReferral", .boolean), optional("referralMade", .boolean),
        optional("risksToChildren", .boolean), optional("childrenReferralMade", .boolean),
        optional("childrenReferralDate", .date), optional("signedBy", .name), optional("signedDate", .date),
    ]))

    static func ticks(_ options: [String]) -> Shape { .list(.choice(options), min: 0, unique: true) }

    // MARK: - Research

    static let accuracy = Shape.object(Fields([required("accurate", .boolean), optional("corrections", .required)]))

    static let research = Shape.object(Fields([
        required("form", .constant("research")),
        required("formVersion", .constantInteger(1)),
        required("agency", .label),
        required("researcher", contact),
        required("date", .date),
        required("caseNumber", .caseNumber),
        required("victim", briefPerson),
        required("accuracy", .object(Fields([required("victim", accuracy), required("children", accuracy), required("perpetrator", accuracy)]))),
        required("noInformationHeld", .boolean),
    ] + Research.informationFields.map { optional($0, .long) } + [
        optional("victimPriorities", .long), optional("afraidOf", .long), optional("safeToTalkTo", .long),
        optional("notSafeToTalkTo", .long),
        optional("supersedes", .documentID),
        optional("extensions", .anyObject),
    ]))

    // MARK: - Information sharing without consent

    static let signature = Shape.object(Fields([required("name", .name), required("date", .date)]))

    static let consultation = Shape.list(.object(Fields([
        required("name", .name), required("date", .date), optional("advice", .long), optional("decision", .long),
    ])), min: 0, unique: false)

    static let iswc = Shape.object(Fields([
        required("form", .constant("iswc")),
        required("formVersion", .constantInteger(1)),
        required("agency", .label),
        optional("caseNumber", .caseNumber),
        optional("referralReference", .text(max: 200, nonEmpty: true)),
        required("victim", briefPerson),
        optional("children", .list(.object(Fields([
            required("name", .name), optional("dob", .date), optional("address", .short), optional("school", .short),
        ])), min: 0, unique: false)),
        required("risks", .list(.object(Fields([
            required("whoAtRisk", .required), required("riskFrom", .required), required("concerns", .required),
            required("immediateRisks", .required), required("identifiedThroughRiskAssessment", .boolean),
        ])), min: 1, unique: false)),
        optional("dashYesCount", .integer(0...24)),
        required("incidentDetails", .required),
        required("legalAuthority", .object(Fields([
            optional("protocol", .object(Fields([required("relevant", .boolean), optional("detail", .required)]))),
            optional("legalBases", .list(.label, min: 0, unique: true)),
        ]))),
        required("balancing", .object(Fields(ISWC.balancingFields.map { required($0, .boolean) } + [optional("comments", .long)]))),
        optional("internalConsultations", consultation),
        optional("externalConsultations", consultation),
        required("clientNotified", .object(Fields([required("notified", .boolean), optional("date", .date), optional("reason", .required)]))),
        required("review", .object(Fields([required("date", .date), required("responsible", .name)]))),
        optional("sharingRecord", .list(.object(Fields([
            required("date", .date), required("agency", .requiredShort), required("person", .name),
            required("method", .choice(["secure_exchange", "email", "letter", "phone", "meeting"])),
            required("legalBases", legalBases),
        ])), min: 0, unique: false)),
        required("signatures", .object(Fields([required("caseworker", signature), required("manager", signature)]))),
        optional("supersedes", .documentID),
        optional("extensions", .anyObject),
    ]))
}
