import Exchange
import Foundation
import XCTest

/// A required text field holding only white space is missing: a referral for a victim
/// called "   " must not be accepted and receipted. One case per required string of the
/// three forms, each with three kinds of blank, each asserting the exact report line; the
/// published schemas must refuse the same files (`SchemaAgreementTests` covers the
/// corpus; here each field is checked against Python's jsonschema directly).
final class BlankRequiredFieldTests: XCTestCase {
    static let police = "valid/referral-police.json"
    static let judgement = "valid/referral-health-professional-judgement-no-consent.json"
    static let research = "valid/research-health-for-first-case.json"
    static let iswc = "valid/iswc-health.json"
    static let blanks = ["   ", "\u{A0}\t\n", "\u{3000}\u{2003}", ""]

    /// (fixture, path of the required string, edits that make it required where it is conditional)
    static var fields: [(String, String, [(String, Any?)])] { [
        (police, "contacts.0.name", []), (police, "victim.name", []), (police, "perpetrators.0.name", []),
        (police, "children.0.name", []), (police, "victim.aliases.0", [("victim.aliases", ["Tam Quinn"])]),
        (police, "notAwareReason", [("victimAwareOfReferral", false), ("notAwareReason", "x")]),
        (judgement, "professionalJudgementRationale", []),
        (research, "researcher.name", []), (research, "victim.name", []), (research, "accuracy.children.corrections", []),
        (iswc, "referralReference", []), (iswc, "victim.name", []), (iswc, "children.0.name", []),
        (iswc, "risks.0.whoAtRisk", []), (iswc, "risks.0.riskFrom", []), (iswc, "risks.0.concerns", []),
        (iswc, "risks.0.immediateRisks", []), (iswc, "incidentDetails", []), (iswc, "legalAuthority.protocol.detail", []),
        (iswc, "internalConsultations.0.name", []), (iswc, "clientNotified.reason", []), (iswc, "review.responsible", []),
        (iswc, "sharingRecord.0.agency", []), (iswc, "sharingRecord.0.person", []),
        (iswc, "signatures.caseworker.name", []), (iswc, "signatures.manager.name", []),
    ] }

    /// `contacts.0.name` as the report prints it: `$.contacts[0].name`.
    static func reportPath(_ path: String) -> String {
        "$" + path.split(separator: ".").map { Int($0) != nil ? "[\($0)]" : ".\($0)" }.joined()
    }

    func testEveryRequiredStringThatIsBlankIsRefusedWithItsPath() throws {
        var checked = 0
        for (fixture, path, edits) in Self.fields {
            for blank in Self.blanks {
                var form = try FormEdit(fixture)
                for (editPath, value) in edits { form.set(editPath, value) }
                XCTAssertEqual(form.problems, [], "\(fixture) is valid before \(path) is blanked")
                form.set(path, blank)
                XCTAssertEqual(form.problems, ["\(Self.reportPath(path)): must not be empty or only white space"],
                               "\(fixture) \(path) = \(blank.unicodeScalars.map { String($0.value, radix: 16) })")
                checked += 1
            }
        }
        XCTAssertEqual(checked, Self.fields.count * Self.blanks.count)
    }

    func testTextAroundWhiteSpaceAndOptionalBlankFieldsAreAccepted() throws {
        var form = try FormEdit(Self.police)
        form.set("victim.name", "  Tamsin\u{A0}Quinn ")
        form.set("victim.address", "   ")  // optional: a blank one says nothing, as if absent
        XCTAssertEqual(form.problems, [])
        form.set("victim.name", "\u{FEFF}")  // a BOM is not white space (nor a name, but not blank)
        XCTAssertEqual(form.problems, [])
    }

    func testThePublishedSchemasRefuseEachBlankFieldToo() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-blank-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var names: [String] = []
        for (i, (fixture, path, edits)) in Self.fields.enumerated() {
            var form = try FormEdit(fixture)
            for (editPath, value) in edits { form.set(editPath, value) }
            form.set(path, "\u{A0} \t")
            let name = String(format: "%02d.json", i)
            try Data(form.bytes).write(to: directory.appendingPathComponent(name))
            names.append(name)
        }
        let verdicts = try SchemaAgreementTests.schemaVerdicts(in: directory)
        XCTAssertEqual(names.filter { verdicts[$0] != "reject" }, [], "the schema accepted a blank required field")
    }
}
