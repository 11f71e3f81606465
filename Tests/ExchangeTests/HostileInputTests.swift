import Exchange
import Foundation
import XCTest

/// Hostile and broken input: always a verdict, never a crash or a hang, and nothing of
/// the content echoed back.
final class HostileInputTests: XCTestCase {
    let context = ValidationContext(agency: "police", received: CalendarDate("2026-11-20")!)

    func lines(_ bytes: [UInt8]) -> [String] { FormValidator.validate(bytes, in: context).lines }
    func lines(_ text: String) -> [String] { lines(Array(text.utf8)) }

    func testDeepNestingIsRefusedAtTheLimitNotByExhaustingTheStack() {
        XCTAssertEqual(lines([UInt8](repeating: UInt8(ascii: "["), count: 1 << 20)), ["$: not valid JSON: byte 64: nesting too deep"])
        let objects = String(repeating: "{\"a\":", count: 100_000)
        XCTAssertEqual(lines(objects), ["$: not valid JSON: byte 320: nesting too deep"])
        // 64 levels are fine for the parser (the form shape then refuses the value).
        let deep = "{\"form\":\"referral\",\"extensions\":" + String(repeating: "[", count: 62) + String(repeating: "]", count: 62) + "}"
        XCTAssertFalse(lines(deep).contains { $0.contains("nesting") })
    }

    func testAHugeStringIsMeasuredNotEchoed() throws {
        var form = try FormEdit("valid/referral-police.json")
        let huge = String(repeating: "Secret Name ", count: 80_000)
        form.set("victim.name", huge)
        XCTAssertEqual(form.problems, ["$.victim.name: is longer than 200 characters"])
    }

    func testInvalidUTF8IsReportedByOffset() {
        XCTAssertEqual(lines([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC0, 0xAF, 0x22, 0x7D]), ["$: not valid JSON: byte 6: not valid UTF-8"], "overlong")
        XCTAssertEqual(lines([0x22, 0xED, 0xA0, 0x80, 0x22]), ["$: not valid JSON: byte 1: not valid UTF-8"], "encoded surrogate")
        XCTAssertEqual(lines([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]), ["$: not valid JSON: byte 1: not valid UTF-8"], "past U+10FFFF")
        XCTAssertEqual(lines([0x22, 0xE2, 0x82]), ["$: not valid JSON: byte 1: not valid UTF-8"], "truncated sequence")
        XCTAssertEqual(lines([0xEF, 0xBB, 0xBF] + Array("{}".utf8)), ["$: not valid JSON: byte 0: unexpected character"], "byte order mark")
    }

    func testNULBytesAreRefusedRawOrEscaped() throws {
        XCTAssertEqual(lines(Array("{\"form\":\"ref".utf8) + [0] + Array("erral\"}".utf8)),
                       ["$: not valid JSON: byte 12: unescaped control character in a string"])
        var form = try FormEdit("valid/referral-police.json")
        form.set("victim.name", "Tamsin\u{0}Quinn")
        XCTAssertEqual(form.problems, ["$.victim.name: contains a control character"])
        XCTAssertEqual(lines("{\"a\":\"\\ud800\"}"), ["$: not valid JSON: byte 6: invalid escape sequence"], "lone surrogate")
    }

    func testWrongTypesAreReportedByPathWithoutTheirValues() throws {
        var form = try FormEdit("valid/referral-police.json")
        form.set("victim.name", 42)
        form.set("contacts", "DC Sam Example")
        form.set("children.0", "Zofia Lambert")
        XCTAssertEqual(form.problems, ["$.children[0]: must be an object", "$.contacts: must be an array", "$.victim.name: must be a string"])
    }

    /// Word documents, PDFs and empty files are named as such, not as JSON syntax errors.
    func testFilesSentByMistakeAreNamed() {
        let advice = "; send the JSON form instead: its schema is in schemas/ in your outbox (docs/forms.md)"
        let docx = [0x50, 0x4B, 0x03, 0x04, 0x14, 0x00] + Array("[Content_Types].xml...word/document.xml".utf8)
        XCTAssertEqual(FormValidator.validate(docx, in: FormFixtures.context(for: "valid/referral-police.json")).lines, ["$: this is a Word document" + advice])
        XCTAssertEqual(FormValidator.validate([0x50, 0x4B, 0x03, 0x04] + Array("xl/workbook.xml".utf8), in: FormFixtures.context(for: "valid/referral-police.json")).lines,
                       ["$: this is a ZIP archive (an Excel workbook is one)" + advice])
        XCTAssertEqual(FormValidator.validate([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0], in: FormFixtures.context(for: "valid/referral-police.json")).lines,
                       ["$: this is a Word or Excel document" + advice])
        XCTAssertEqual(lines("%PDF-1.7\n%Tamsin Quinn"), ["$: this is a PDF" + advice], "named, and nothing of it echoed")
        XCTAssertEqual(lines(" \n\t"), ["$: the file is empty" + advice])
        XCTAssertEqual(lines("PK"), ["$: not valid JSON: byte 0: unexpected character"], "two letters are not a ZIP")
    }

    func testNonObjectsAndEmptyFilesGetAVerdict() {
        XCTAssertEqual(lines(""), ["$: the file is empty; send the JSON form instead: its schema is in schemas/ in your outbox (docs/forms.md)"])
        XCTAssertEqual(lines("\"Tamsin Quinn\""), ["$: must be an object"])
        XCTAssertEqual(lines("null"), ["$: must be an object"])
        XCTAssertEqual(lines("{} {}"), ["$: not valid JSON: byte 3: unexpected data after the value"])
        XCTAssertEqual(lines("{\"form\":\"iswc\",\"dashYesCount\":1e400}"), ["$: not valid JSON: byte 30: invalid number"])
        XCTAssertEqual(lines("{\"form\":01}"), ["$: not valid JSON: byte 8: invalid number"])
    }

    /// An unknown key that could be a name is not printed in the path.
    func testUnknownKeysThatAreNotFieldNamesAreNotPrinted() throws {
        XCTAssertEqual(try {
            var form = try FormEdit("valid/referral-police.json")
            form.set("victim.Tamsin Quinn", true)
            return form.problems
        }(), ["$.victim.*: unknown field: member 7 of this object"])
    }

    /// A file full of wrong items is checked in linear time and its report is bounded.
    func testAFileFullOfWrongItemsGetsABoundedReport() throws {
        var form = try FormEdit("valid/referral-police.json")
        form.set("dash.q21Problems", [String](repeating: "drugs", count: 150_000))
        for i in 0..<2_000 { form.set("victim.x\(i)", i) }
        var context = ValidationContext(agency: "police", received: CalendarDate("2026-11-20")!)
        context.maxBytes = 4 << 20
        guard case let .failure(rejection) = FormValidator.validate(form.bytes, in: context) else { return XCTFail("accepted") }
        XCTAssertEqual(rejection.problems.count, FormValidator.maxProblems + 1)
        XCTAssertEqual(rejection.problems.last?.description, "$: 151899 more problems not listed")
        XCTAssertEqual(rejection.problems.first?.description, "$.dash.q21Problems[1]: repeats an earlier item")
    }
}
