import Exchange
import Foundation
import Vault
import XCTest

/// Signed exports' content (`docs/packs.md`, "Signed export"): what a case export holds
/// and logs, the approval of the agencies whose documents it holds, and the checks
/// `maracctl verify` makes of a manifest and of an audit export's proofs.
final class ExportTests: XCTestCase {
    var fixture: MaracFixture!
    var referral: AcceptedForm!
    let police = Principal(uid: 1002, name: "Police rep", agency: "police", roles: [.representative])
    let health = Principal(uid: 1003, name: "Health rep", agency: "health", roles: [.representative])
    let coordinator = MaracFixture.coordinator

    override func setUpWithError() throws {
        fixture = try MaracFixture(policy: MaracAccessPolicy(registry: .builtIn))
        referral = try fixture.accept(fixture.fixture("valid/referral-police.json"))
    }
    override func tearDown() { fixture.cleanUp() }

    private var logSize: Int { (try? fixture.vault.treeHead().size) ?? -1 }
    private var number: CaseNumber { referral.caseNumber! }

    private func ready(_ outcome: CaseExportOutcome, file: StaticString = #filePath, line: UInt = #line) throws -> (JSONValue, [ExportDocument.File]) {
        guard case let .ready(content, _) = outcome else { XCTFail("not ready: \(outcome)", file: file, line: line); throw ExchangeError.conflict("") }
        return try ExportDocument.check(content)
    }

    // MARK: - Case exports

    func testAnAgencyExportsItsOwnCaseWithTheFormAsSentAndItsLogEntries() throws {
        let (content, files) = try ready(try fixture.marac.exportCase(number, by: police, bases: ["dpa-s1-p18"], reason: "court order"))
        XCTAssertEqual(content["type"], "export-case")
        XCTAssertEqual(content["case"]?.string, number.description)
        XCTAssertEqual(files.map(\.name), ["documents/\(referral.document).json", "log/entries.jsonl"])
        XCTAssertEqual(files[0].bytes, try FormFixtures.bytes("valid/referral-police.json"), "the form exactly as police sent it")
        let lines = String(decoding: files[1].bytes, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 2, "its collection and this export's read")
        XCTAssertTrue(lines[0].contains(#""operation":"collection""#) && lines[1].contains(#""operation":"consultation""#))
        let last = try fixture.logEntry(logSize - 1)
        XCTAssertEqual(last.operation, .consultation, "its own documents only")
        XCTAssertEqual(last.details["export"], "case")
        XCTAssertEqual(last.bases, ["dpa-s1-p18"])
        XCTAssertEqual(last.justification, "court order")
        guard case let .ready(bytes, _) = try fixture.marac.exportCase(number, by: police, bases: ["dpa-s1-p18"], reason: "again") else { return XCTFail() }
        XCTAssertEqual(try fixture.logEntry(logSize - 1).details["sha256"], Hex.encode(SHA256.hash(bytes)), "the entry names the content it logged")
    }

    func testAnotherAgencysDocumentsWaitForItsApprovalWhichIsUsedOnce() throws {
        let before = logSize
        guard case let .needsApproval(request, agencies) = try fixture.marac.exportCase(number, by: coordinator, bases: ["dpa-s1-p18"], reason: "review") else {
            return XCTFail("police's referral needs police's approval")
        }
        XCTAssertEqual(agencies, ["police"])
        XCTAssertEqual(logSize, before + 1, "the request is logged; nothing is read")
        XCTAssertEqual(try fixture.logEntry(before).operation, .consent)
        guard case .needsApproval(request, _) = try fixture.marac.exportCase(number, by: coordinator, bases: ["dpa-s1-p18"], reason: "review") else {
            return XCTFail("the same request, still waiting")
        }
        XCTAssertThrowsError(try fixture.marac.approveExport(request, by: health)) {
            XCTAssertEqual($0 as? ExchangeError, .notPermitted("export request \(request) does not wait for agency health"))
        }
        XCTAssertEqual(try fixture.marac.approveExport(request, by: police), [])
        XCTAssertThrowsError(try fixture.marac.approveExport(request, by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("agency police approved export request \(request) already"))
        }
        let approval = try fixture.logEntry(logSize - 1)
        XCTAssertEqual(approval.operation, .consent)
        XCTAssertEqual(approval.actor.agency, "police")
        XCTAssertEqual(approval.details["request"], request)

        let (content, files) = try ready(try fixture.marac.exportCase(number, by: coordinator, bases: ["dpa-s1-p18"], reason: "review"))
        XCTAssertEqual(content["request"]?.string, request)
        XCTAssertEqual(files.first?.name, "documents/\(referral.document).json")
        let export = try fixture.logEntry(logSize - 1)
        XCTAssertEqual(export.operation, .disclosure)
        XCTAssertEqual(export.recipients, [coordinator.agency])
        XCTAssertEqual(export.details["owners"], "police")
        guard case let .needsApproval(next, _) = try fixture.marac.exportCase(number, by: coordinator, bases: ["dpa-s1-p18"], reason: "again") else {
            return XCTFail("an approval is used once")
        }
        XCTAssertNotEqual(next, request)
        XCTAssertThrowsError(try fixture.marac.approveExport(request, by: police)) {
            XCTAssertEqual($0 as? ExchangeError, .conflict("export request \(request) was used already"))
        }
    }

    func testAnExportWhoseReadIsRefusedIsNotMade() throws {
        XCTAssertThrowsError(try fixture.marac.exportCase(number, by: police, bases: [], reason: "")) {
            XCTAssertEqual($0 as? VaultError, .accessDenied(document: referral.document, reason: "basis-required"))
        }
        XCTAssertNotEqual(try fixture.logEntry(logSize - 1).details["export"], "case", "no export entry")
        XCTAssertThrowsError(try fixture.marac.exportCase(number, by: health, bases: ["dpa-s1-p18"], reason: "x")) {
            XCTAssertEqual($0 as? ExchangeError, .unknownCase(number.description), "a case health may not see")
        }
    }

    // MARK: - What verify checks

    func testTheManifestChecksRefuseEveryMismatch() throws {
        let files = [ExportDocument.File(name: "a.json", bytes: Array("{}".utf8)), ExportDocument.File(name: "b.txt", bytes: [1, 2, 3])]
        let good = ExportDocument.content(JSONObject(["type": "export-case"]), files: files)
        XCTAssertEqual(try ExportDocument.check(good).files, files)
        func refused(_ edit: (inout JSONObject) -> Void, _ reason: String, line: UInt = #line) throws {
            guard case var .object(object) = try JSONParser().parse(good).value else { return XCTFail() }
            edit(&object)
            XCTAssertThrowsError(try ExportDocument.check(JSONValue.object(object).canonicalBytes), line: line) {
                XCTAssertEqual($0 as? ExportDocument.Failure, ExportDocument.Failure(reason: reason), line: line)
            }
        }
        var files2 = JSONObject()
        files2.set("a.json", .string(Data("{ }".utf8).base64EncodedString()))
        files2.set("b.txt", .string(Data([1, 2, 4]).base64EncodedString()))
        try refused({ $0.set("files", .object(files2)) }, "a.json is 3 bytes; the manifest says 2")
        files2.set("a.json", .string(Data("{}".utf8).base64EncodedString()))
        try refused({ $0.set("files", .object(files2)) }, "b.txt does not match its SHA-256 in the manifest")
        var extra = try XCTUnwrap(try JSONParser().parse(good).value["files"]?.object)
        extra.set("c.txt", .string(""))
        try refused({ $0.set("files", .object(extra)) }, "c.txt is in the export but not in the manifest")
        var missing = JSONObject()
        missing.set("a.json", .string(Data("{}".utf8).base64EncodedString()))
        try refused({ $0.set("files", .object(missing)) }, "b.txt is in the manifest but not in the export")
        try refused({ $0.set("v", 2) }, "content version is not 1")
        try refused({ $0.set("type", "agenda") }, "not an export type this build knows")
        let manifest = try XCTUnwrap(try JSONParser().parse(good).value["manifest"]?.array)
        try refused({ $0.set("manifest", .array(manifest + [manifest[0]])) }, "a.json is in the manifest twice")
    }

    func testAnAuditExportProvesEachEntryInTheSignedCheckpoint() throws {
        let vault = fixture.vault!
        let checkpoint = try vault.checkpoint(origin: "maracd-test")
        let entries = try vault.logEntries(0..<checkpoint.head.size)
        let files = try AuditExport.files(entries, checkpoint: checkpoint) { try vault.inclusionProof(index: $0, size: checkpoint.head.size) }
        let trusted = try vault.signingCertificates()
        XCTAssertEqual(try AuditExport.check(files, trusted: trusted).entries, entries.count)

        var forged = files
        let text = String(decoding: files[0].bytes, as: UTF8.self).replacingOccurrences(of: "collection", with: "consultation")
        forged[0] = ExportDocument.File(name: "log/entries.jsonl", bytes: Array(text.utf8))
        XCTAssertThrowsError(try AuditExport.check(forged, trusted: trusted)) {
            XCTAssertEqual(($0 as? ExportDocument.Failure)?.reason.hasSuffix("is not proved in the checkpoint's tree"), true, "\($0)")
        }
        let other = try Certificate.selfSigned(commonName: "not the daemon", key: try PrivateKey.generateP256())
        XCTAssertThrowsError(try AuditExport.check(files, trusted: [other])) {
            XCTAssertEqual($0 as? ExportDocument.Failure, ExportDocument.Failure(reason: "log/checkpoint.txt is not signed by a trusted signing certificate"))
        }
    }
}
