import Foundation
import XCTest
import TestSupport
@testable import Vault

/// Documents carrying unique marker strings never leave a marker on disk: not in the
/// database, not in `-wal` or `-shm`, not anywhere in the state directory, and not in what
/// the stock `sqlite3` tool can dump.
final class CanaryTests: XCTestCase {
    func testNoPlaintextMarkerReachesTheDisk() throws {
        let fixture = try VaultFixture()
        defer { fixture.cleanUp() }
        var markers: [String] = []
        var ids: [String] = []
        for n in 0..<40 {
            let marker = "CANARY-\(UUID().uuidString)"
            markers.append(marker)
            // Small forms and large ones (overflow pages), as JSON like the real ones.
            let padding = String(repeating: "x", count: n % 4 == 0 ? 40_000 : 200)
            ids.append(try fixture.put(#"{"victim":{"name":"\#(marker)"},"notes":"\#(padding)\#(marker)"}"#,
                                       agency: n % 2 == 0 ? "police" : "health", metadata: ["case": "M-2026-\(n)"]))
        }
        for id in ids.prefix(10) { try fixture.vault.erase(id, logEntry: Data(#"{"op":"erase"}"#.utf8)) }
        try fixture.vault.rotateAgencyKey("police", recording: keyEvents)
        try fixture.vault.rewrap(agency: "police", recording: keyEvents)
        XCTAssertEqual(try fixture.read(ids[20]).contains(markers[20]), true)

        func scan(_ when: String) throws {
            let files = try fixture.filesOnDisk()
            XCTAssertTrue(files.keys.contains(Vault.databaseName))
            for (name, bytes) in files {
                for marker in markers {
                    XCTAssertFalse(bytes.contains(bytes: Array(marker.utf8)), "\(when): a marker is in \(name)")
                    XCTAssertFalse(bytes.contains(bytes: Array(marker.utf16.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] })),
                                   "\(when): a UTF-16 marker is in \(name)")
                }
            }
        }
        try scan("while open")  // -wal and -shm exist now
        XCTAssertTrue(FileManager.default.fileExists(atPath: fixture.dbPath + "-wal"))
        fixture.vault = nil
        try scan("after close")

        let dump = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), [fixture.dbPath, ".dump"])
        XCTAssertEqual(dump.status, 0, dump.stderr)
        XCTAssertTrue(dump.output.contains("CREATE TABLE payload"))
        for marker in markers { XCTAssertFalse(dump.output.contains(marker)) }
        XCTAssertFalse(dump.output.contains("CANARY"))
    }
}
