import Foundation
import TestSupport
import XCTest
@testable import Exchange

/// The schemas a deployment publishes (issue 13, point 3): the embedded copies are
/// `config/schemas/` byte for byte, and the deployment's carry its legal basis codes as an
/// enum, so a standard validator refuses a code the generic schema would let through.
final class DeploymentSchemaTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTheEmbeddedSchemasAreThePublishedFiles() throws {
        for (kind, text) in [("referral", PublishedSchemaTexts.referral), ("research", PublishedSchemaTexts.research), ("iswc", PublishedSchemaTexts.iswc),
                             ("action-update", PublishedSchemaTexts.actionUpdate)] {
            let file = try String(contentsOf: Self.repository.appendingPathComponent("config/schemas/\(kind).schema.json"), encoding: .utf8)
            XCTAssertEqual(text + "\n", file, "\(kind): run scripts/embed-schemas.py and commit the result")
        }
    }

    func testADeploymentsSchemasRefuseACodeItDoesNotRegister() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-schemas-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("schemas"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, bytes) in try DeploymentSchemas.files(for: .builtIn) {
            try Data(bytes).write(to: directory.appendingPathComponent("schemas/" + name))
        }
        var form = try FormEdit("valid/referral-health-professional-judgement-no-consent.json")
        form.set("sharingWithoutConsent.legalBases", ["made-up-code"])
        try Data(form.bytes).write(to: directory.appendingPathComponent("unknown-code.json"))
        try Data(try FormFixtures.bytes("valid/referral-health-professional-judgement-no-consent.json")).write(to: directory.appendingPathComponent("known-code.json"))
        let checker = Self.repository.appendingPathComponent("scripts/check-forms-with-schema.py").path
        func verdicts(_ extra: [String]) throws -> String {
            try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", checker] + extra + [
                directory.appendingPathComponent("known-code.json").path, directory.appendingPathComponent("unknown-code.json").path,
            ]).output.split(separator: "\n").map { String($0.split(separator: "\t")[1]) }.joined(separator: ",")
        }
        XCTAssertEqual(try verdicts([]), "accept,accept", "the generic schema takes any label")
        XCTAssertEqual(try verdicts(["--schemas", directory.appendingPathComponent("schemas").path]), "accept,reject")
        XCTAssertEqual(FormValidator.validate(form.bytes, in: FormFixtures.context(for: "valid/referral-health-professional-judgement-no-consent.json")).isRejected, true,
                       "as the daemon does")
    }
}

private extension Result {
    var isRejected: Bool { if case .failure = self { return true } else { return false } }
}
