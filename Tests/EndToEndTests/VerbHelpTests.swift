import Foundation
import TestSupport
import XCTest

/// `maracctl VERB --help` and usage errors, as a new user meets them (issue 24): every verb
/// has its own help with its flags and an example; a usage error is one line naming what
/// is wrong, then that verb's usage only.
final class VerbHelpTests: XCTestCase {
    func maracctl(_ arguments: [String]) throws -> Subprocess {
        try Subprocess.run(CLITests.products.appendingPathComponent("maracctl"), arguments)
    }

    /// The verbs `maracctl --help` lists: its lines indented two spaces, up to the first flag
    /// or upper-case argument.
    func listedVerbs() throws -> [[String]] {
        let help = try maracctl(["--help"])
        XCTAssertEqual(help.status, 0)
        return help.output.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") && !$0.hasPrefix("  --") }
            .map { line in line.split(separator: " ").prefix { word in word.first.map { $0.isLowercase } ?? false }.map(String.init) }
    }

    func testEveryVerbHasItsOwnHelpWithAnExample() throws {
        let verbs = try listedVerbs()
        XCTAssertGreaterThan(verbs.count, 50, "the summary lists every verb")
        for expected in [["meeting", "create"], ["doc", "read"], ["export", "approve"], ["case", "close"], ["status"], ["open"]] {
            XCTAssertTrue(verbs.contains(expected), "\(expected) is listed")
        }
        for verb in verbs {
            let help = try maracctl(verb + ["--help"])
            let name = verb.joined(separator: " ")
            XCTAssertEqual(help.status, 0, name)
            XCTAssertEqual(help.stderr, "", name)
            XCTAssertTrue(help.output.hasPrefix("usage: maracctl \(name)"), help.output)
            XCTAssertTrue(help.output.contains("\nexample:\n  maracctl \(name)"), "\(name) has an example of itself:\n\(help.output)")
            XCTAssertFalse(help.output.contains("Exit status"), "\(name) prints its own help, not the summary")
        }
    }

    func testMeetingCreateHelpNamesItsFlag() throws {
        let help = try maracctl(["meeting", "create", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.output.hasPrefix("usage: maracctl meeting create --date YYYY-MM-DD\n"), help.output)
        XCTAssertTrue(help.output.contains("example:\n  maracctl meeting create --date "), help.output)
        let all = try maracctl(["meeting", "--help"])
        XCTAssertEqual(all.status, 0)
        XCTAssertTrue(all.output.contains("usage: maracctl meeting send-agenda MEETING"), all.output)
        XCTAssertFalse(all.output.contains("usage: maracctl case"), all.output)
    }

    /// A missing argument is named, and only that verb's usage follows: not the summary.
    func testAUsageErrorNamesWhatIsMissingAndShowsThatVerbOnly() throws {
        let missing = try maracctl(["meeting", "invite", "MTG-2027-01-14"])
        XCTAssertEqual(missing.status, 64)
        XCTAssertEqual(missing.output, "")
        XCTAssertEqual(missing.stderr, """
            maracctl: missing AGENCY
            usage: maracctl meeting invite MEETING AGENCY[,AGENCY]
            (maracctl meeting invite --help for more)

            """)

        let option = try maracctl(["doc", "read", "doc_0123456789abcdef", "--basis", "consent"])
        XCTAssertEqual(option.status, 64)
        XCTAssertTrue(option.stderr.hasPrefix("maracctl: --reason is required\nusage: maracctl doc read DOC"), option.stderr)
        XCTAssertEqual(option.stderr.split(separator: "\n").count, 3, option.stderr)

        let noCase = try maracctl(["case", "close"])
        XCTAssertEqual(noCase.status, 64)
        XCTAssertTrue(noCase.stderr.hasPrefix("maracctl: missing CASE\nusage: maracctl case close CASE --reason TEXT\n"), noCase.stderr)

        let unknownFlag = try maracctl(["meeting", "create", "--dat", "2027-01-14"])
        XCTAssertEqual(unknownFlag.status, 64)
        XCTAssertEqual(unknownFlag.stderr, "maracctl: unexpected argument '--dat'\nusage: maracctl meeting create --date YYYY-MM-DD\n"
                       + "(maracctl meeting create --help for more)\n")

        let unknown = try maracctl(["frobnicate", "--help"])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.hasPrefix("maracctl: unknown command 'frobnicate'\ncommands: init, key, agency, status, meeting"), unknown.stderr)
        XCTAssertEqual(unknown.stderr.split(separator: "\n").count, 2, unknown.stderr)
    }
}
