@testable import Exchange
import Foundation
import Vault
import XCTest

/// The form pages as files (docs/forms.md, "Forms agencies fill in"); their behaviour in a
/// browser is FormPagesBrowserTests'.
final class FormPageTests: XCTestCase {
    func testAPageRunsOnlyItsOwnScriptAndADeploymentsTextCannotEndIt() throws {
        // A deployment's own basis whose words would close a script element if copied raw.
        let registry = try LegalBasisRegistry.load(Array(#"""
            {"version": 1, "bases": [{"code": "local-protocol", "basis": "Our protocol </script><script>alert(1)</script>", "uses": ["disclosure"]}]}
            """#.utf8), path: "bases.json")
        let pages = try FormPage.files(for: registry, thresholds: .standard, agency: "police")
        XCTAssertEqual(pages.map(\.name), ["referral.html", "research.html", "iswc.html", "action-update.html"])
        for (name, bytes) in pages {
            let html = String(decoding: bytes, as: UTF8.self)
            XCTAssertEqual(html.components(separatedBy: "</script>").count - 1, 2, "\(name): the config's and the script's ends only")
            XCTAssertTrue(html.contains(#"Our protocol <\/script><script>alert(1)<\/script>"#), name)
            // The policy allows exactly the script the page carries.
            let script = try XCTUnwrap(html.components(separatedBy: "<script>").last?.components(separatedBy: "</script>").first)
            let hash = Data(SHA256.hash(Array(script.utf8))).base64EncodedString()
            XCTAssertTrue(html.contains("content=\"default-src 'none'; script-src 'sha256-\(hash)'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'\""), name)
            XCTAssertTrue(html.contains("\"agency\":\"police\""), name)
        }
        // Without an agency, the page asks for one.
        let anyone = try FormPage.files(for: .builtIn, thresholds: .standard, agency: nil)
        XCTAssertFalse(String(decoding: anyone[0].bytes, as: UTF8.self).contains("\"agency\":"))
    }

    /// The fields appear in the order config/schemas/ gives them, not alphabetically.
    func testThePageKeepsTheSchemasOrderAndThisDeploymentsCodes() throws {
        let ordered = try DeploymentSchemas.ordered(for: .builtIn)
        guard case let .object(referral) = ordered[0].schema, case let .object(properties)? = referral["properties"] else { return XCTFail("an object") }
        XCTAssertEqual(Array(properties.members.map(\.key).prefix(5)), ["form", "formVersion", "referringAgency", "contacts", "date"])
        XCTAssertEqual(referral["$defs"]?["legalBases"]?["items"]?["enum"]?.array?.compactMap(\.string), LegalBasisRegistry.builtIn.codes)
    }
}
