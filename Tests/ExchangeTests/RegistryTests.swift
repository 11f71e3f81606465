import Exchange
import Foundation
import TestSupport
import Vault
import XCTest

/// The agency and legal basis registries.
final class RegistryTests: XCTestCase {
    var fixture: MaracFixture!
    override func setUpWithError() throws { fixture = try MaracFixture() }
    override func tearDown() { fixture.cleanUp() }

    // MARK: - Agencies

    func testAgenciesAreListedAndRefusedWhenMalformedOrRepeated() throws {
        XCTAssertEqual(try fixture.marac.agencies.list().map(\.id), ["children", "health", "housing", "idva", "police", "probation"])
        XCTAssertEqual(try fixture.marac.agencies.get("children").kind, .childrensServices)
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "police", name: "Again", kind: .police))) {
            XCTAssertEqual($0 as? ExchangeError, .duplicateAgency("police"))
        }
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "Thames Valley", name: "TVP", kind: .police))) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "id", reason: "must be 1 to 64 lower-case letters, digits and hyphens"))
        }
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "gp", name: "", kind: .health))) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "name", reason: "must not be empty or only white space"))
        }
        XCTAssertThrowsError(try fixture.marac.agencies.get("mars")) { XCTAssertEqual($0 as? ExchangeError, .unknownAgency("mars")) }
    }

    func testThereIsOnlyEverOneActiveIdva() throws {
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "idva-2", name: "Second Idva", kind: .idva))) {
            XCTAssertEqual($0 as? ExchangeError, .secondIdva(existing: "idva"))
        }
        try fixture.marac.agencies.add(Agency(id: "idva-2", name: "Second Idva", kind: .idva, active: false))
        XCTAssertThrowsError(try fixture.marac.agencies.setActive("idva-2", true)) {
            XCTAssertEqual($0 as? ExchangeError, .secondIdva(existing: "idva"))
        }
        let before = try fixture.vault.treeHead().size
        try fixture.marac.agencies.setActive("idva", false)
        try fixture.marac.agencies.setActive("idva-2", true)
        XCTAssertEqual(try fixture.marac.agencies.idva().id, "idva-2")
        // Each change logged; the refused one was not.
        XCTAssertEqual(try fixture.vault.treeHead().size, before + 2)
        let deactivated = try fixture.logEntry(before)
        XCTAssertEqual(deactivated.operation, .registry)
        XCTAssertEqual(deactivated.justification, "agency idva deactivated")
        XCTAssertEqual(deactivated.details, ["owner": "idva", "active": "false"])
        XCTAssertEqual(try fixture.marac.agencies.list().map(\.id).contains("idva"), false)
        XCTAssertEqual(try fixture.marac.agencies.list(includeInactive: true).map(\.id).contains("idva"), true)
    }

    /// Agenda packs are encrypted to the agency's certificate: RSA 2048+ or P-256 only.
    func testRecipientCertificatesMustCarryAUsableKey() throws {
        let p256 = try Certificate.selfSigned(commonName: "Health secure mail", key: PrivateKey.generateP256(),
                                              notBefore: fixture.clock.now)
        try fixture.marac.agencies.setCertificate("health", p256.derRepresentation)
        XCTAssertEqual(try fixture.marac.agencies.get("health").certificate, p256.derRepresentation)
        // Logged in the same transaction, the certificate by fingerprint.
        let size = try fixture.vault.treeHead().size
        let entry = try fixture.logEntry(size - 1)
        XCTAssertEqual(entry.operation, .registry)
        XCTAssertEqual(entry.justification, "agency health's recipient certificate replaced")
        XCTAssertEqual(entry.details, ["owner": "health", "certificate": Hex.encode(p256.sha256Fingerprint),
                                       "notAfter": LogEntry.timestamp(p256.notValidAfter)])
        XCTAssertEqual(entry.actor, .localOperator)
        XCTAssertEqual(try fixture.logEntry(0).justification, "agency police registered (police)", "the set-up's registrations")

        XCTAssertThrowsError(try fixture.marac.agencies.setCertificate("housing", Array("not a certificate".utf8))) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "certificate", reason: "not a DER X.509 certificate"))
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/openssl"), [
            "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-subj", "/CN=weak", "-days", "1",
            "-keyout", dir.appendingPathComponent("k.pem").path, "-outform", "DER", "-out", dir.appendingPathComponent("c.der").path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        let weak = [UInt8](try Data(contentsOf: dir.appendingPathComponent("c.der")))
        XCTAssertThrowsError(try fixture.marac.agencies.setCertificate("housing", weak)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "certificate", reason: "RSA 1024 keys are not accepted; use RSA 2048+ or EC P-256"))
        }
    }

    /// A certificate outside its validity period at the vault's time is refused, and
    /// expiry is counted in whole days left, with a warning from 30 days ahead.
    func testRecipientCertificatesMustBeValidNowAndWarnBeforeTheyExpire() throws {
        let now = fixture.clock.now  // 2026-11-20 12:00:00 UTC
        let key = try PrivateKey.generateP256()
        let expired = try Certificate.selfSigned(commonName: "expired", key: key, validityDays: 30, notBefore: now.addingTimeInterval(-40 * 86_400))
        XCTAssertThrowsError(try fixture.marac.agencies.setCertificate("health", expired.derRepresentation)) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "certificate", reason: "expired 2026-11-10T12:00:00Z"))
        }
        let early = try Certificate.selfSigned(commonName: "early", key: key, validityDays: 365, notBefore: now.addingTimeInterval(2 * 86_400))
        XCTAssertThrowsError(try fixture.marac.agencies.add(Agency(id: "probation-2", name: "Probation", kind: .probation,
                                                                   certificate: early.derRepresentation))) {
            XCTAssertEqual($0 as? ExchangeError, .invalidAgency(field: "certificate", reason: "not valid until 2026-11-22T12:00:00Z"))
        }
        XCTAssertThrowsError(try fixture.marac.agencies.get("probation-2"), "nothing registered")
        XCTAssertNil(try fixture.marac.agencies.get("health").certificate, "nothing replaced")
        XCTAssertEqual(try fixture.vault.treeHead().size, fixture.setupEntries, "and nothing logged")

        // 30 whole days left: no warning yet; 29: a warning.
        let month = try Certificate.selfSigned(commonName: "month", key: key, validityDays: 31, notBefore: now.addingTimeInterval(-86_400))
        let validity = CertificateValidity(month, at: now)
        XCTAssertEqual(validity.daysLeft, 30)
        XCTAssertFalse(validity.needsRenewal)
        XCTAssertEqual(validity.notAfterText, "2026-12-20T12:00:00Z")
        let later = CertificateValidity(month, at: now.addingTimeInterval(1))
        XCTAssertEqual(later.daysLeft, 29)
        XCTAssertTrue(later.needsRenewal)
        XCTAssertEqual(CertificateValidity(month, at: now.addingTimeInterval(31 * 86_400)).daysLeft, -1)
    }

    // MARK: - Legal bases

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shipped `config/legal-bases.json` is exactly the built-in table.
    func testTheShippedRegistryFileIsTheBuiltInTable() throws {
        let shipped = try LegalBasisRegistry.load(contentsOf: Self.repository.appendingPathComponent("config/legal-bases.json").path)
        XCTAssertEqual(shipped.codes, LegalBasisRegistry.builtIn.codes)
        XCTAssertEqual(shipped.codes.count, 22)
        XCTAssertEqual(shipped.basis("dpa-s1-p18")?.notes, "the core Marac condition")
        XCTAssertEqual(shipped.allows("retention-policy", for: .erasure), true)
        XCTAssertEqual(shipped.allows("retention-policy", for: .disclosure), false)
        XCTAssertEqual(shipped.allows("audit", for: .audit), true)
    }

    func testADeploymentCanAddCodesButNotRedefineOrMisspell() throws {
        let local = #"{"version":1,"bases":[{"code":"bucks-isp-2026","basis":"Buckinghamshire Marac ISP, 2026","uses":["disclosure"]}]}"#
        let registry = try LegalBasisRegistry.load(Array(local.utf8), path: "legal-bases.json")
        XCTAssertEqual(registry.codes.count, 23)
        var form = try FormEdit("valid/referral-police.json")
        form.set("consentGiven", false)
        form.set("sharingWithoutConsent", ["legalBases": ["bucks-isp-2026"]])
        XCTAssertEqual(form.problems, ["$.sharingWithoutConsent.legalBases: unknown legal basis code (item 1)"])
        let accepted = FormValidator.validate(form.bytes, in: ValidationContext(agency: "police", received: CalendarDate("2026-11-20")!,
                                                                                 legalBases: registry))
        XCTAssertEqual(accepted.lines, [])

        let cases: [(String, LegalBasisRegistry.LoadError)] = [
            (#"{"version":1,"bases":[{"code":"consent","basis":"anything goes","uses":["disclosure"]}]}"#,
             .redefinesBuiltIn(path: "f.json", code: "consent")),
            (#"{"version":1,"bases":[{"code":"x1","basis":"a","uses":["audit"]},{"code":"x1","basis":"b","uses":["audit"]}]}"#,
             .duplicate(path: "f.json", code: "x1")),
            (#"{"version":1,"bases":[{"code":"x1","basis":"a","uses":["audit"],"colour":"red"}]}"#,
             .invalid(path: "f.json", problems: ["$.bases[0].colour: unknown field: member 4 of this object"])),
            (#"{"version":1,"bases":[{"code":"Local Code","basis":"a","uses":["sharing"]}]}"#,
             .invalid(path: "f.json", problems: ["$.bases[0].code: must be an id of 1 to 64 lower-case letters, digits and hyphens",
                                                 "$.bases[0].uses[0]: must be one of: disclosure, erasure, audit"])),
            (#"{"version":2,"bases":[]}"#, .invalid(path: "f.json", problems: ["$.version: must be 1"])),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try LegalBasisRegistry.load(Array(text.utf8), path: "f.json")) {
                XCTAssertEqual($0 as? LegalBasisRegistry.LoadError, expected, text)
            }
        }
    }

    // MARK: - Principals

    func testPrincipalsMapUIDsAndRefuseUnknownRolesAndRepeatedUIDs() throws {
        let good = #"{"version":1,"principals":[{"uid":1001,"name":"Coordinator","agency":"idva","roles":["coordinator","ig-officer"]}]}"#
        let registry = try PrincipalRegistry.load(Array(good.utf8), path: "p.json")
        XCTAssertEqual(registry.principal(uid: 1001)?.roles, [.coordinator, .igOfficer])
        XCTAssertNil(registry.principal(uid: 0))
        let cases: [(String, RegistryFileError)] = [
            (#"{"version":1,"principals":[{"uid":1,"name":"A","agency":"idva","roles":["admin"]}]}"#,
             .invalid(path: "p.json", problems: ["$.principals[0].roles[0]: must be one of: coordinator, chair, representative, ig-officer, key-custodian"])),
            (#"{"version":1,"principals":[{"uid":1,"name":"A","agency":"idva","roles":["chair"]},{"uid":1,"name":"B","agency":"police","roles":["chair"]}]}"#,
             .invalid(path: "p.json", problems: ["uid 1 is listed twice"])),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try PrincipalRegistry.load(Array(text.utf8), path: "p.json")) {
                XCTAssertEqual($0 as? RegistryFileError, expected, text)
            }
        }
    }
}
