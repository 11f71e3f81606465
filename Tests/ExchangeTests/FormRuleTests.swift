import Exchange
import Foundation
import XCTest

/// One test per rule of `docs/forms.md`, each asserting the exact path and message an
/// agency reads in its rejection report.
final class FormRuleTests: XCTestCase {
    let police = "valid/referral-police.json"
    let judgement = "valid/referral-health-professional-judgement-no-consent.json"
    let research = "valid/research-health-for-first-case.json"
    let iswc = "valid/iswc-health.json"

    func edited(_ fixture: String, _ edits: [(String, Any?)]) throws -> [String] {
        var form = try FormEdit(fixture)
        for (path, value) in edits { form.set(path, value) }
        return form.problems
    }

    // MARK: - General rules

    func testTheTopLevelMustBeAnObject() {
        XCTAssertEqual(FormValidator.validate(Array("[1,2]".utf8), in: FormFixtures.context(for: police)).lines, ["$: must be an object"])
    }

    func testFormMustBeOneOfTheFourKinds() throws {
        XCTAssertEqual(try edited(police, [("form", "minutes")]), ["$.form: must be one of: referral, research, iswc, action-update"])
        XCTAssertEqual(try edited(police, [("form", nil)]), ["$.form: required field is missing"])
    }

    func testFormVersionMustBeOne() throws {
        XCTAssertEqual(try edited(police, [("formVersion", 2)]), ["$.formVersion: must be 1"])
        XCTAssertEqual(try edited(police, [("formVersion", "1")]), ["$.formVersion: must be 1"])
    }

    func testUnknownFieldsAreRefusedAtEveryLevelButExtensionsAreKept() throws {
        XCTAssertEqual(try edited(police, [("victim.dbo", "1993-11-13")]), ["$.victim.*: unknown field: member 2 of this object"])
        var form = try FormEdit(police)
        form.set("extensions", ["localSystemId": "A-17", "flags": ["x": [1, 2]]])
        guard case let .success(validated) = FormValidator.validate(form.bytes, in: FormFixtures.context(for: police)),
              case let .referral(referral) = validated.form else { return XCTFail() }
        XCTAssertEqual(referral.extensions?["localSystemId"], .string("A-17"))
        XCTAssertEqual(referral.extensions?["flags"]?["x"], .array([.number(1), .number(2)]))
    }

    func testDatesAreYYYYMMDDAndReal() throws {
        XCTAssertEqual(try edited(police, [("date", "10/11/2026")]), ["$.date: must be a date YYYY-MM-DD"])
        XCTAssertEqual(try edited(police, [("date", "2026-02-30")]), ["$.date: is not a calendar date"])
        XCTAssertEqual(try edited(police, [("victim.dob", "2024-02-29")]), [])
    }

    func testDatesOfBirthAreNotInTheFuture() throws {
        XCTAssertEqual(try edited(police, [("victim.dob", "2031-02-01")]), ["$.victim.dob: date of birth is in the future"])
        XCTAssertEqual(try edited(police, [("perpetrators.0.dob", "2027-01-01")]),
                       ["$.perpetrators[0].dob: date of birth is in the future"])
        XCTAssertEqual(try edited(police, [("children.0.dob", "2026-12-25")]),
                       ["$.children[0].dob: date of birth is in the future"])
        // A baby born on the day of receipt (or the next, across time zones) is not in the future.
        XCTAssertEqual(try edited(police, [("children.0.dob", "2026-11-21")]), [])
    }

    func testTheFormsOwnDateIsNotAfterReceipt() throws {
        XCTAssertEqual(try edited(police, [("date", "2026-12-01")]), ["$.date: the referral date is in the future"])
    }

    func testYesNoFieldsAreBooleans() throws {
        XCTAssertEqual(try edited(police, [("consentGiven", "yes")]), ["$.consentGiven: must be true or false"])
    }

    func testDashAnswersAreYesNoOrDontKnow() throws {
        XCTAssertEqual(try edited(police, [("dash.answers.3.answer", "dont_know")]), [])
        XCTAssertEqual(try edited(police, [("dash.answers.3.answer", "maybe")]),
                       ["$.dash.answers[\"3\"].answer: must be one of: yes, no, dont_know"])
    }

    func testTheSubmittingAgencyIsTheInbox() throws {
        XCTAssertEqual(try edited(police, [("referringAgency", "housing")]),
                       ["$.referringAgency: names another agency than the police inbox it arrived in"])
        XCTAssertEqual(try edited(research, [("agency", "police")]),
                       ["$.agency: names another agency than the health inbox it arrived in"])
        XCTAssertEqual(try edited(iswc, [("agency", "Police Force")]),
                       ["$.agency: must be an id of 1 to 64 lower-case letters, digits and hyphens"])
    }

    func testARepeatedKeyIsRefused() throws {
        var bytes = try FormFixtures.bytes(police)
        let marker = Array("\"date\": \"2026-11-10\",".utf8)
        let at = try XCTUnwrap(bytes.firstRange(of: marker))
        bytes.insert(contentsOf: marker + [0x20], at: at.lowerBound)
        XCTAssertEqual(FormValidator.validate(bytes, in: FormFixtures.context(for: police)).lines,
                       ["$.date: appears more than once in its object"])
    }

    func testAFileOverTheSizeLimitIsRefusedUnread() throws {
        var context = FormFixtures.context(for: police)
        context.maxBytes = 1_000
        XCTAssertEqual(FormValidator.validate(try FormFixtures.bytes(police), in: context).lines,
                       ["$: the file is 3276 bytes; the limit is 1000"])
    }

    // MARK: - Referral

    func testAReferralNeedsAContactAPerpetratorAndAVictimName() throws {
        XCTAssertEqual(try edited(police, [("contacts", [Any]())]), ["$.contacts: must have at least 1 item"])
        XCTAssertEqual(try edited(police, [("perpetrators", [Any]())]), ["$.perpetrators: must have at least 1 item"])
        XCTAssertEqual(try edited(police, [("victim.name", nil)]), ["$.victim.name: required field is missing"])
        XCTAssertEqual(try edited(police, [("victim.name", "")]), ["$.victim.name: must not be empty or only white space"])
        XCTAssertEqual(try edited(police, [("children", [Any]())]), [], "children may be empty")
    }

    func testDiversityGenderIsOneOfTheFormsAnswers() throws {
        XCTAssertEqual(try edited(police, [("victim.diversity.gender", "f")]),
                       ["$.victim.diversity.gender: must be one of: female, male, other, not_known"])
    }

    func testAtLeastOneReasonMustBeTrue() throws {
        XCTAssertEqual(try edited(police, [("reasons.visibleHighRisk", false)]), ["$.reasons: at least one reason for referral must be true"])
    }

    func testProfessionalJudgementNeedsARationale() throws {
        XCTAssertEqual(try edited(judgement, [("professionalJudgementRationale", nil)]),
                       ["$.professionalJudgementRationale: required when reasons.professionalJudgement is true"])
    }

    func testAnUnawareVictimNeedsAReason() throws {
        XCTAssertEqual(try edited(police, [("victimAwareOfReferral", false)]),
                       ["$.notAwareReason: required when victimAwareOfReferral is false"])
        XCTAssertEqual(try edited(police, [("victimAwareOfReferral", false), ("notAwareReason", "Perpetrator reads her post.")]), [])
    }

    func testWithoutConsentTheLegalBasesAreRequiredAndMustBeKnownSharingBases() throws {
        XCTAssertEqual(try edited(police, [("consentGiven", false)]), ["$.sharingWithoutConsent: required when consentGiven is false"])
        XCTAssertEqual(try edited(police, [("consentGiven", false), ("sharingWithoutConsent", ["legalBases": [String]()])]),
                       ["$.sharingWithoutConsent.legalBases: must have at least 1 item"])
        XCTAssertEqual(try edited(police, [("consentGiven", false), ("sharingWithoutConsent", ["legalBases": ["dpa-s1-p18", "nope"]])]),
                       ["$.sharingWithoutConsent.legalBases: unknown legal basis code (item 2)"])
        XCTAssertEqual(try edited(police, [("consentGiven", false), ("sharingWithoutConsent", ["legalBases": ["retention-policy"]])]),
                       ["$.sharingWithoutConsent.legalBases: legal basis \"retention-policy\" does not justify sharing (item 1)"])
    }

    func testTheDashIsRequiredUnlessTheOnlyReasonIsProfessionalJudgement() throws {
        XCTAssertEqual(try edited(police, [("dash", nil)]),
                       ["$.dash: required when any reason other than professional judgement is given"])
        XCTAssertEqual(try edited(judgement, [("dash", nil)]),
                       ["$.dash: required when any reason other than professional judgement is given"], "escalation is ticked too")
        XCTAssertEqual(try edited(judgement, [("dash", nil), ("reasons.potentialEscalation", false)]), [])
    }

    func testAllTwentyFourDashAnswersArePresent() throws {
        XCTAssertEqual(try edited(police, [("dash.answers.24", nil)]), ["$.dash.answers: question 24 is not answered (all 24 are required)"])
        XCTAssertEqual(try edited(police, [("dash.answers.25", ["answer": "no"])]), ["$.dash.answers.*: unknown field: member 25 of this object"])
    }

    func testSubTicksComeFromTheFormsListsOnce() throws {
        XCTAssertEqual(try edited(police, [("dash.q14ThreatenedToKill", ["victim", "children"])]), [])
        XCTAssertEqual(try edited(police, [("dash.q21Problems", ["gambling"])]),
                       ["$.dash.q21Problems[0]: must be one of: drugs, alcohol, mental_health"])
        XCTAssertEqual(try edited(police, [("dash.q23Breaches", ["bail", "bail"])]), ["$.dash.q23Breaches[1]: repeats an earlier item"])
    }

    func testVisibleHighRiskUnderTheThresholdIsInconsistent() throws {
        var form = try FormEdit(police)
        XCTAssertEqual(form.problems, [], "16 yes answers meet the default 14")
        form.thresholds = try XCTUnwrap(RiskThresholds(visibleHighRisk: 17, escalation: 3))
        XCTAssertNil(RiskThresholds(visibleHighRisk: 25, escalation: 3))
        XCTAssertNil(RiskThresholds(visibleHighRisk: 14, escalation: 0))
        XCTAssertEqual(form.problems, ["$.reasons.visibleHighRisk: claimed, but the Dash has 16 \"yes\" answers and the threshold is 17"])
        // The daemon counts; a referrer cannot claim a count.
        XCTAssertEqual(try edited(police, [("dash.yesCount", 24)]), ["$.dash.*: unknown field: member 13 of this object"])
    }

    func testPotentialEscalationUnderTheThresholdIsInconsistent() throws {
        XCTAssertEqual(try edited(police, [("reasons.potentialEscalation", true), ("policeIncidentsInPast12Months", 2)]),
                       ["$.reasons.potentialEscalation: claimed, but policeIncidentsInPast12Months is 2 and the threshold is 3"])
        XCTAssertEqual(try edited(police, [("reasons.potentialEscalation", true), ("policeIncidentsInPast12Months", 3)]), [])
    }

    // MARK: - Research

    func testResearchNeedsAResearcherAndACaseNumber() throws {
        XCTAssertEqual(try edited(research, [("researcher", nil)]), ["$.researcher: required field is missing"])
        XCTAssertEqual(try edited(research, [("caseNumber", "2026/1")]), ["$.caseNumber: must be a case number such as M-2026-0001"])
    }

    func testInaccurateDetailsNeedCorrections() throws {
        XCTAssertEqual(try edited(research, [("accuracy.children.corrections", nil)]),
                       ["$.accuracy.children.corrections: required when accurate is false"])
    }

    func testNoInformationHeldIsTheOnlyWayToSendNoInformation() throws {
        let empty: [(String, Any?)] = ["lastContact", "recentBehaviour", "riskIndicatorInformation", "otherInformation"].map { ($0, nil) }
        XCTAssertEqual(try edited(research, empty),
                       ["$.noInformationHeld: is false, but none of lastContact, recentBehaviour, riskIndicatorInformation, otherInformation has content"])
        XCTAssertEqual(try edited(research, empty + [("noInformationHeld", true)]), [])
    }

    // MARK: - Information sharing without consent

    func testAnISWCNeedsACaseNumberOrAReferralReference() throws {
        XCTAssertEqual(try edited(iswc, [("referralReference", nil)]), ["$.caseNumber: caseNumber or referralReference is required"])
        XCTAssertEqual(try edited(iswc, [("referralReference", nil), ("caseNumber", "M-2026-0001")]), [])
    }

    func testRisksAndIncidentDetailsAreRequired() throws {
        XCTAssertEqual(try edited(iswc, [("risks", [Any]())]), ["$.risks: must have at least 1 item"])
        XCTAssertEqual(try edited(iswc, [("incidentDetails", "")]), ["$.incidentDetails: must not be empty or only white space"])
        XCTAssertEqual(try edited(iswc, [("dashYesCount", 25)]), ["$.dashYesCount: must be from 0 to 24"])
    }

    func testLegalAuthorityIsARelevantProtocolWithDetailOrALegalBasis() throws {
        XCTAssertEqual(try edited(iswc, [("legalAuthority.legalBases", nil)]), [], "the protocol alone suffices")
        XCTAssertEqual(try edited(iswc, [("legalAuthority.protocol", nil)]), [], "legal bases alone suffice")
        XCTAssertEqual(try edited(iswc, [("legalAuthority.legalBases", nil), ("legalAuthority.protocol.detail", nil)]), [
            "$.legalAuthority.protocol.detail: required when relevant is true",
            "$.legalAuthority: needs a relevant protocol with its detail, or at least one legal basis",
        ])
        XCTAssertEqual(try edited(iswc, [("legalAuthority.legalBases", ["consent-ish"])]),
                       ["$.legalAuthority.legalBases: unknown legal basis code (item 1)"])
    }

    func testAtLeastOneBalancingConsiderationIsTrue() throws {
        let none: [(String, Any?)] = ["pressingNeed", "riskOfNotDisclosing", "respectiveRisks", "recipientInterest", "publicInterest",
                                      "humanRights", "dutyOfConfidentiality", "other"].map { ("balancing." + $0, false) }
        XCTAssertEqual(try edited(iswc, none), ["$.balancing: at least one consideration must be true"])
    }

    func testClientNotificationNeedsADateOrAReason() throws {
        XCTAssertEqual(try edited(iswc, [("clientNotified.reason", nil)]), ["$.clientNotified.reason: required when notified is false"])
        XCTAssertEqual(try edited(iswc, [("clientNotified.notified", true)]), ["$.clientNotified.date: required when notified is true"])
    }

    func testTheReviewIsNotBeforeTheDecision() throws {
        XCTAssertEqual(try edited(iswc, [("review.date", "2026-11-09")]),
                       ["$.review.date: is before the manager's decision (signatures.manager.date)"])
        XCTAssertEqual(try edited(iswc, [("review.date", "2026-11-10")]), [])
    }

    func testTheSharingRecordUsesKnownMethodsAndBases() throws {
        XCTAssertEqual(try edited(iswc, [("sharingRecord.0.method", "fax")]),
                       ["$.sharingRecord[0].method: must be one of: secure_exchange, email, letter, phone, meeting"])
        XCTAssertEqual(try edited(iswc, [("sharingRecord.0.legalBases", ["audit"])]),
                       ["$.sharingRecord[0].legalBases: legal basis \"audit\" does not justify sharing (item 1)"])
    }

    func testBothSignaturesAreRequired() throws {
        XCTAssertEqual(try edited(iswc, [("signatures.manager", nil)]), ["$.signatures.manager: required field is missing"])
        XCTAssertEqual(try edited(iswc, [("signatures.caseworker.date", nil)]), ["$.signatures.caseworker.date: required field is missing"])
    }

    // MARK: - Every problem, not only the first

    func testEveryProblemIsReportedInOnePass() throws {
        XCTAssertEqual(try edited(police, [("date", "2026-02-30"), ("victim.dob", "2031-02-01"), ("consentGiven", false),
                                           ("contacts", [Any]()), ("victimNmae", "typo")]), [
            // Shape problems in document order, then the cross-field rules.
            "$.contacts: must have at least 1 item",
            "$.date: is not a calendar date",
            "$.*: unknown field: member 17 of this object",
            "$.victim.dob: date of birth is in the future",
            "$.sharingWithoutConsent: required when consentGiven is false",
        ])
    }
}
