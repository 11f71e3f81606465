import Foundation
import TestSupport
import XCTest

/// Both log formats from a real daemon through a normal cycle (a form accepted, one
/// rejected, a file with a hostile name, a checkpoint, a reload, a stop): every line has
/// the format's shape (a JSON object of strings with `time`, `level` and `event`; or
/// `TIME LEVEL EVENT key=value ...`), and no line holds the victim's name, date of birth or
/// address, or the hostile file name.
final class LogFormatTests: XCTestCase {
    static let personal = ["Tamsin", "Quinn", "1993-11-13", "Mill Lane", "07700"]

    /// Runs the cycle with `format` and returns the daemon's log lines.
    func cycle(_ format: String) throws -> [String] {
        let daemon = try DaemonHarness(extraConfig: #""log": {"level": "debug", "format": "\#(format)"}"#)
        defer { daemon.cleanUp() }
        try daemon.start()
        try daemon.drop(try RepositoryFixtures.bytes("valid/referral-police.json"), as: "a.json", agency: "police")
        try daemon.drop(try RepositoryFixtures.bytes("invalid/referral-future-dob.json"), as: "Quinn \" \\ ' x.json", agency: "police")
        try daemon.waitFor("a receipt and a report") {
            daemon.names(daemon.receipts("police")).count == 1 && daemon.names(daemon.rejected("police")).count == 1
        }
        kill(try XCTUnwrap(daemon.process?.processIdentifier), SIGHUP)
        try daemon.waitFor("the reload") { daemon.log.contains("config.reloaded") }
        XCTAssertEqual(daemon.stop(), 0)
        return daemon.log.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func assertNothingPersonal(_ lines: [String], file: StaticString = #filePath, line: UInt = #line) {
        for text in lines { for word in Self.personal where text.contains(word) { XCTFail("a log line holds \(word)", file: file, line: line) } }
    }

    func testTheJSONFormatIsOneObjectOfStringsPerLine() throws {
        let lines = try cycle("json")
        var events: Set<String> = []
        for text in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
                XCTFail("not a JSON object: \(text.prefix(200))"); continue
            }
            XCTAssertTrue(object.values.allSatisfy { $0 is String }, "every value a string: \(text.prefix(200))")
            XCTAssertTrue(text.hasPrefix(#"{"time":""#) && text.contains(#","level":""#) && text.contains(#","event":""#), text)
            XCTAssertNotNil((object["time"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) }, text)
            XCTAssertTrue(["debug", "info", "warning", "error"].contains(object["level"] as? String), text)
            if let event = object["event"] as? String { events.insert(event) }
        }
        XCTAssertTrue(events.isSuperset(of: ["daemon.started", "ingest.accepted", "ingest.rejected", "config.reloaded", "daemon.stopped"]),
                      "\(events.sorted())")
        assertNothingPersonal(lines)
    }

    func testTheTextFormatIsTimeLevelEventThenFields() throws {
        let lines = try cycle("text")
        let shape = try NSRegularExpression(pattern: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z (debug|info|warning|error) ([a-z_]+\.[a-z_]+)( [a-z_A-Z]+=("[^"]*"|[^ "]+))*$"#)
        var events: Set<String> = []
        for text in lines {
            guard let match = shape.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                  let event = Range(match.range(at: 2), in: text) else { XCTFail("not a log line: \(text.prefix(200))"); continue }
            events.insert(String(text[event]))
        }
        XCTAssertTrue(events.isSuperset(of: ["daemon.started", "ingest.accepted", "ingest.rejected", "config.reloaded", "daemon.stopped"]),
                      "\(events.sorted())")
        assertNothingPersonal(lines)
    }
}
