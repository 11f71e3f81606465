import Foundation
import TestSupport
import XCTest

/// A reload applies to the next request, whole (issue 21, point 5): the control thread
/// took its copy of the verbs before it blocked in `poll`, so after SIGHUP a removed
/// principal got one more answer and an added one was refused once.
final class ReloadTests: PrincipalsTestCase {
    static let leaving: UInt32 = 4_741, joining: UInt32 = 4_742

    func principals(_ uids: [UInt32]) -> String {
        ([#"{"uid": 0, "name": "Coordinator", "agency": "idva", "roles": ["coordinator"]}"#]
         + uids.map { #"{"uid": \#($0), "name": "Representative \#($0)", "agency": "police", "roles": ["representative"]}"# })
            .joined(separator: ", ")
    }

    /// Rewrites the principals file and sends SIGHUP; returns when the reload is logged.
    func reload(_ uids: [UInt32]) throws {
        try Data(#"{"version": 1, "principals": [\#(principals(uids))]}"#.utf8).write(to: daemon.principalsPath)
        let before = daemon.log.components(separatedBy: "config.reloaded").count
        kill(try XCTUnwrap(daemon.process?.processIdentifier), SIGHUP)
        try daemon.waitFor("the reload") { daemon.log.components(separatedBy: "config.reloaded").count > before }
    }

    func testThePrincipalsOfAReloadDecideTheVeryNextRequest() throws {
        try setUpDaemon(group: 4_740, principals: principals([Self.leaving]))
        try daemon.start()
        try ok(["case", "list"], as: Self.leaving)
        XCTAssertEqual(try ctl(["case", "list"], as: Self.joining).status, 77)
        // Several rounds: the old race showed on the first request after each reload.
        for _ in 0..<3 {
            try reload([Self.joining])
            let removed = try ctl(["case", "list"], as: Self.leaving)
            XCTAssertEqual(removed.status, 77, "a removed principal is refused at once: \(removed.stderr)")
            XCTAssertEqual(removed.stderr, "maracctl: uid \(Self.leaving) is not a principal of this Marac\n")
            try ok(["case", "list"], as: Self.joining)
            try reload([Self.leaving])
            XCTAssertEqual(try ctl(["case", "list"], as: Self.joining).status, 77)
            try ok(["case", "list"], as: Self.leaving)
        }
        // A reload that fails keeps the old configuration whole.
        try Data("{".utf8).write(to: daemon.principalsPath)
        kill(try XCTUnwrap(daemon.process?.processIdentifier), SIGHUP)
        try daemon.waitFor("the failed reload") { daemon.log.contains("config.reload_failed") }
        try ok(["case", "list"], as: Self.leaving)
        XCTAssertEqual(try ctl(["case", "list"], as: Self.joining).status, 77)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
