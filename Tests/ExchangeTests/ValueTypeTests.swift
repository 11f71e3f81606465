import Exchange
import Foundation
import XCTest

/// Dates, case numbers, paths and the parser's edges.
final class ValueTypeTests: XCTestCase {
    func testCalendarDatesParseOnlyRealDays() {
        XCTAssertNotNil(CalendarDate("2028-02-29"))
        XCTAssertNil(CalendarDate("2027-02-29"))
        XCTAssertNil(CalendarDate("2100-02-29"), "not a leap year")
        XCTAssertNotNil(CalendarDate("2000-02-29"), "a leap year")
        for bad in ["2026-1-01", "2026-13-01", "2026-00-10", "２０２６-11-10", "2026-11-10 ", "2026-11-10\n", ""] {
            XCTAssertNil(CalendarDate(bad), bad.debugDescription)
        }
    }

    func testCalendarArithmetic() {
        let d = CalendarDate("2024-02-29")!
        XCTAssertEqual(d.adding(months: 12).description, "2025-02-28")
        XCTAssertEqual(d.adding(months: 48).description, "2028-02-29")
        XCTAssertEqual(CalendarDate("2026-01-31")!.adding(months: 1).description, "2026-02-28")
        XCTAssertEqual(CalendarDate("2025-12-31")!.adding(days: 1).description, "2026-01-01")
        XCTAssertEqual(CalendarDate("1970-01-01")!.dayNumber, 0)
        XCTAssertEqual(CalendarDate("2000-03-01")!.adding(days: -1).description, "2000-02-29")
        XCTAssertEqual(CalendarDate("2010-11-15")!.age(on: CalendarDate("2026-11-14")!), 15)
        XCTAssertEqual(CalendarDate("2010-11-15")!.age(on: CalendarDate("2026-11-15")!), 16)
        XCTAssertEqual(CalendarDate(Date(timeIntervalSince1970: 1_795_000_000)).description, "2026-11-18")
        XCTAssertEqual(LogEntry.timestamp(Date(timeIntervalSince1970: 1_795_000_000)), "2026-11-18T11:06:40Z")
    }

    func testCaseNumbersRoundTripInTheirOneSpelling() {
        XCTAssertEqual(CaseNumber("M-2026-0001")?.sequence, 1)
        XCTAssertEqual(CaseNumber(prefix: "M", year: 2026, sequence: 12_345)?.description, "M-2026-12345")
        XCTAssertNotNil(CaseNumber("M-2026-12345"))
        for bad in ["M-2026-00001", "m-2026-0001", "M-2026-0000", "M-26-0001", "TOOLONGPX-2026-0001", "M-2026-1", "M--2026-0001", "M-2026-0001 "] {
            XCTAssertNil(CaseNumber(bad), bad)
        }
        XCTAssertLessThan(CaseNumber("M-2026-0009")!, CaseNumber("M-2026-0010")!)
    }

    func testPathsPrintFieldNamesAndHideAnythingElse() {
        let path = JSONPath.root.appending("dash").appending("answers").appending("7").appending("answer")
        XCTAssertEqual(path.description, "$.dash.answers[\"7\"].answer")
        XCTAssertEqual(JSONPath.root.appending("contacts").appending(index: 2).description, "$.contacts[2]")
        XCTAssertEqual(JSONPath.root.appending("Tamsin Quinn").description, "$[<unprintable key>]")
        XCTAssertEqual(JSONPath.root.appending("").description, "$[<unprintable key>]")
        XCTAssertEqual(JSONPath.root.description, "$")
    }

    func testTheParserKeepsOrderTheLastDuplicateAndEveryEscape() throws {
        let text = #"{"b":1,"a":[true,false,null],"b":"x","s":"\u00e9\ud83d\ude00\n\/\"\\"}"#
        let result = try JSONParser().parse(Array(text.utf8))
        XCTAssertEqual(result.value.object?.keys, ["b", "a", "s"])
        XCTAssertEqual(result.value["b"], .string("x"))
        XCTAssertEqual(result.duplicateKeys.map(\.description), ["$.b"])
        XCTAssertEqual(result.value["s"], .string("é😀\n/\"\\"))
        XCTAssertEqual(try JSONParser().parse(Array("-0.5e+2".utf8)).value, .number(-50))
        XCTAssertEqual(try JSONParser().parse(Array("1.0".utf8)).value.integer, 1)
        XCTAssertNil(try JSONParser().parse(Array("1.5".utf8)).value.integer)
        for bad in ["01", "1.", ".5", "-", "+1", "1e", "NaN", "Infinity", "[1,]", "{\"a\" 1}", "{,}", "'a'", "tru", "\"\\x\""] {
            XCTAssertThrowsError(try JSONParser().parse(Array(bad.utf8)), bad)
        }
    }
}
