import Exchange
import XCTest

/// `audit log` and `audit report` filters are parsed, never compared as strings: a date the
/// IG officer wrote another way must be refused, not quietly return the whole log or nothing.
final class AuditFilterTests: XCTestCase {
    func testDatesAndTimesInTheTwoFormsAreTakenAsUTC() throws {
        let filter = try AuditFilter(since: "2026-12-01", until: "2026-12-02T09:30:00Z", operation: "refusal")
        XCTAssertEqual(filter.since, "2026-12-01T00:00:00Z")
        XCTAssertEqual(filter.until, "2026-12-02T09:30:00Z")
        XCTAssertTrue(filter.includes(time: "2026-12-01T00:00:00Z"))
        XCTAssertTrue(filter.includes(time: "2026-12-02T09:29:59Z"))
        XCTAssertFalse(filter.includes(time: "2026-12-02T09:30:00Z"), "until is exclusive")
        XCTAssertFalse(filter.includes(time: "2026-11-30T23:59:59Z"))
        XCTAssertEqual(try AuditFilter(since: nil, until: nil, operation: "key-rotate").operation, "key-rotate")
    }

    func testEveryOtherFormIsRefusedSayingWhatIsAccepted() {
        let forms = "YYYY-MM-DD (midnight UTC) or YYYY-MM-DDTHH:MM:SSZ (UTC)"
        for bad in ["01/12/2026", "yesterday", "2026-02-30", "2026-12-1", "2026-12-01T09:30:00", "2026-12-01T24:00:00Z",
                    "2026-12-01 09:30:00Z", "2026-12-01T09:30:00+01:00", "", " 2026-12-01"] {
            XCTAssertThrowsError(try AuditFilter(since: bad, until: nil, operation: nil), bad) {
                XCTAssertEqual(($0 as? AuditFilter.Invalid)?.message, "--since must be \(forms)", bad)
            }
            XCTAssertThrowsError(try AuditFilter(since: nil, until: bad, operation: nil), bad) {
                XCTAssertEqual(($0 as? AuditFilter.Invalid)?.message, "--until must be \(forms)", bad)
            }
        }
        XCTAssertThrowsError(try AuditFilter(since: "2026-12-02", until: "2026-12-01", operation: nil)) {
            XCTAssertEqual(($0 as? AuditFilter.Invalid)?.message, "--until must be after --since")
        }
        XCTAssertThrowsError(try AuditFilter(since: "2026-12-02", until: "2026-12-02", operation: nil))
        XCTAssertThrowsError(try AuditFilter(since: nil, until: nil, operation: "refused")) {
            XCTAssertEqual(($0 as? AuditFilter.Invalid)?.message, "--operation must be one of collection, alteration, consultation, "
                           + "disclosure, combination, erasure, refusal, declaration, meeting, registry, consent, "
                           + "key-rotate, key-destroy, root-rotate, signing-rotate")
        }
    }

    /// A key event is found by its name in both forms the log has held: the vault's old
    /// entry (`op`) and the one schema (`operation: registry`, `details.action`).
    func testAKeyOperationIsFoundInTheOldAndTheNewSchema() throws {
        let filter = try AuditFilter(since: nil, until: nil, operation: "key-rotate")
        func parsed(_ json: String) throws -> JSONValue { try JSONParser().parse(Array(json.utf8)).value }
        XCTAssertTrue(filter.admits(try parsed(#"{"op":"key-rotate","agency":"police","actor":"vault"}"#)))
        XCTAssertTrue(filter.admits(try parsed(#"{"operation":"registry","details":{"action":"key-rotate","agency":"police"},"time":"2026-12-01T00:00:00Z"}"#)))
        XCTAssertFalse(filter.admits(try parsed(#"{"operation":"registry","details":{"action":"key-destroy"}}"#)))
        XCTAssertFalse(filter.admits(try parsed(#"{"operation":"disclosure","details":{"action":"key-rotate"}}"#)))
        let registry = try AuditFilter(since: "2026-12-01", until: nil, operation: "registry")
        XCTAssertTrue(registry.admits(try parsed(#"{"operation":"registry","details":{"action":"key-rotate"},"time":"2026-12-01T00:00:00Z"}"#)))
        XCTAssertFalse(registry.admits(try parsed(#"{"operation":"registry","time":"2026-11-30T23:59:59Z"}"#)), "before --since")
    }
}
