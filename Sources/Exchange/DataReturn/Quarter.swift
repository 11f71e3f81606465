import Foundation

/// A calendar quarter, written `YYYYQn` (`2026Q4`: 1 October to 31 December 2026), the
/// period of SafeLives' Marac data return (`docs/data-return.md`).
public struct Quarter: Equatable, Sendable, CustomStringConvertible {
    /// The year, 2000 to 9999.
    public let year: Int
    /// The quarter, 1 to 4.
    public let number: Int

    /// Parses `YYYYQn`; nil for anything else.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 6, bytes[4] == UInt8(ascii: "Q"),
              bytes[0..<4].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let year = Int(String(decoding: bytes[0..<4], as: UTF8.self)), (2000...9999).contains(year),
              let number = Int(String(decoding: bytes[5..<6], as: UTF8.self)), (1...4).contains(number) else { return nil }
        self.year = year
        self.number = number
    }

    /// The first day.
    public var first: CalendarDate { CalendarDate(year: year, month: 3 * number - 2, day: 1)! }
    /// The last day.
    public var last: CalendarDate { first.adding(months: 3).adding(days: -1) }

    public var description: String { "\(year)Q\(number)" }
}
