import Exchange
import Foundation
import XCTest

/// Every shared fixture gets the verdict its folder says; each invalid one names the
/// path `EXPECTED.tsv` gives.
final class FixtureVerdictTests: XCTestCase {
    func testEveryValidFixtureIsAccepted() throws {
        let files = try FormFixtures.files(in: "valid")
        XCTAssertEqual(files.count, 5)
        for name in files {
            let result = FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name))
            XCTAssertEqual(result.lines, [], name)
        }
    }

    func testEveryInvalidFixtureIsRejectedNamingTheExpectedPath() throws {
        let expected = try String(contentsOf: FormFixtures.directory.appendingPathComponent("EXPECTED.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        let files = try FormFixtures.files(in: "invalid")
        XCTAssertEqual(files.count, 15)
        var expectedPaths: [String: String] = [:]
        for row in expected { expectedPaths[row[0]] = row[1] }
        for name in files {
            let result = FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name))
            guard case let .failure(rejection) = result else { XCTFail("\(name) was accepted"); continue }
            if let path = expectedPaths[name] {
                XCTAssertTrue(rejection.problems.contains { $0.path.description == path }, "\(name): \(result.lines)")
            } else {
                XCTAssertEqual(rejection.problems.map(\.rule), [.syntax], "\(name): \(result.lines)")
            }
        }
        XCTAssertEqual(Set(expectedPaths.keys).subtracting(files), [], "EXPECTED.tsv names a file that is missing")
    }

    /// The exact reports for the shared invalid fixtures: one problem each, as an agency
    /// would read it in the rejection report.
    func testInvalidFixtureReportsAreExact() throws {
        let cases: [(String, [String])] = [
            ("invalid/referral-future-dob.json", ["$.victim.dob: date of birth is in the future"]),
            ("invalid/referral-dash-inconsistent.json",
             ["$.reasons.visibleHighRisk: claimed, but the Dash has 0 \"yes\" answers and the threshold is 14"]),
            ("invalid/referral-no-reason.json", ["$.reasons: at least one reason for referral must be true"]),
            ("invalid/referral-unknown-field.json", ["$.*: unknown field: member 17 of this object"]),
            ("invalid/referral-wrong-agency.json", ["$.referringAgency: names another agency than the police inbox it arrived in"]),
            ("invalid/referral-no-consent-no-basis.json", ["$.sharingWithoutConsent: required when consentGiven is false"]),
            ("invalid/referral-bad-date.json", ["$.date: must be a date YYYY-MM-DD"]),
            ("invalid/referral-dash-missing-answer.json", ["$.dash.answers: question 7 is not answered (all 24 are required)"]),
            ("invalid/referral-unknown-legal-basis.json",
             ["$.sharingWithoutConsent.legalBases: unknown legal basis code (item 1)"]),
            ("invalid/iswc-no-manager-signature.json", ["$.signatures.manager: required field is missing"]),
            ("invalid/iswc-no-legal-authority.json",
             ["$.legalAuthority: needs a relevant protocol with its detail, or at least one legal basis"]),
            ("invalid/action-update-unknown-status.json",
             ["$.status: must be one of: in-progress, done, not-possible, blocked-by-changed-circumstances"]),
            ("invalid/action-update-bad-action.json", ["$.action: must be an action id such as M-2026-0001-A1"]),
            ("invalid/not-json.json", ["$: not valid JSON: byte 39: unexpected end of input"]),
            ("invalid/not-utf8.json", ["$: not valid JSON: byte 41: not valid UTF-8"]),
        ]
        for (name, lines) in cases {
            XCTAssertEqual(FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name)).lines, lines, name)
        }
    }

    /// A valid form decodes to its model, round-trips through the canonical encoding, and
    /// the canonical bytes are stable.
    func testValidFormsRoundTripThroughTheCanonicalEncoding() throws {
        for name in try FormFixtures.files(in: "valid") {
            guard case let .success(validated) = FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name))
            else { XCTFail(name); continue }
            let canonical = try validated.form.canonicalJSON()
            guard case let .success(again) = FormValidator.validate([UInt8](canonical), in: FormFixtures.context(for: name))
            else { XCTFail("canonical \(name) rejected"); continue }
            XCTAssertEqual(again.form, validated.form, name)
            XCTAssertEqual(try again.form.canonicalJSON(), canonical, name)
            XCTAssertFalse(canonical.contains(0x0A), "canonical JSON has no new lines")
        }
    }

    /// The police fixture scores 16 yes answers; the daemon's count is what it records.
    func testDashIsScoredByTheDaemon() throws {
        let name = "valid/referral-police.json"
        guard case let .success(validated) = FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name))
        else { return XCTFail() }
        XCTAssertEqual(validated.dashScore?.yesCount, 16)
        XCTAssertEqual(validated.dashScore?.threshold, 14)
        XCTAssertEqual(validated.dashScore?.meetsVisibleHighRisk, true)
    }
}
