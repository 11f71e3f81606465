import Foundation
import XCTest

/// The documents that call themselves the contract say what the code does: every verb the
/// daemon dispatches has a row in `docs/control-protocol.md`, and every event it logs is
/// in `docs/configuration.md`. Read from the daemon's source, so a new verb or event
/// without its line fails here.
final class DocumentationAgreementTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The text of every Swift file under `Sources/maracd`.
    func daemonSources() throws -> [(name: String, text: String)] {
        let directory = Self.root.appendingPathComponent("Sources/maracd")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: directory.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        XCTAssertGreaterThan(files.count, 20)
        return try files.sorted().map { ($0, try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8)) }
    }

    func matches(_ pattern: String, in text: String, group: Int = 1) throws -> [String] {
        let regex = try NSRegularExpression(pattern: pattern)
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { Range($0.range(at: group), in: text).map { String(text[$0]) } }
    }

    func document(_ name: String) throws -> String { try String(contentsOf: Self.root.appendingPathComponent("docs/\(name)"), encoding: .utf8) }

    func testEveryVerbTheDaemonDispatchesIsInTheProtocolDocument() throws {
        var verbs: Set<String> = []
        for (_, text) in try daemonSources() {
            // `case "a.b", "c.d":` in a dispatch switch on `request.verb`.
            for labels in try matches(#"case ((?:"[a-z]+\.[a-z-]+"(?:, )?)+):"#, in: text) {
                verbs.formUnion(try matches(#""([a-z]+\.[a-z-]+)""#, in: labels))
            }
        }
        verbs.insert("status")
        XCTAssertTrue(verbs.isSuperset(of: ["audit.log", "audit.verify", "doc.read", "key.rotate", "meeting.declare", "export.case"]), "\(verbs.sorted())")
        let protocolDocument = try document("control-protocol.md")
        let missing = verbs.sorted().filter { !protocolDocument.contains("| `\($0)` |") }
        XCTAssertEqual(missing, [], "verbs the daemon dispatches with no row in docs/control-protocol.md")
    }

    func testEveryEventTheDaemonLogsIsInTheConfigurationDocument() throws {
        var events: Set<String> = []
        for (_, text) in try daemonSources() {
            events.formUnion(try matches(#"(?:debug|info|warning|error|log)\((?:\.[a-z]+, )?"([a-z]+\.[a-z_]+)""#, in: text))
            // Events a line made on one thread carries to another (`event: cond ? "a.b" : "c.d"`).
            for line in try matches(#"event: ([^,\n]+)"#, in: text) { events.formUnion(try matches(#""([a-z]+\.[a-z_]+)""#, in: line)) }
        }
        XCTAssertTrue(events.isSuperset(of: ["ingest.accepted", "ingest.rejected", "log.checkpoint", "packs.written", "meeting.notice_written",
                                             "packs.removed", "daemon.started"]), "\(events.sorted())")
        let configuration = try document("configuration.md")
        let missing = events.sorted().filter { !configuration.contains("| `\($0)` |") }
        XCTAssertEqual(missing, [], "events the daemon logs with no row in docs/configuration.md")
    }
}
