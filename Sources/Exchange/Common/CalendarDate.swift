import Foundation

/// A calendar date, `YYYY-MM-DD`, as forms carry them. Dates of receipt are taken in UTC
/// (the same as UK time in winter, so a year of receipt never differs from local time).
public struct CalendarDate: Hashable, Comparable, Sendable, TextCodable {
    /// The year, 0000–9999.
    public let year: Int
    /// The month, 1–12.
    public let month: Int
    /// The day of the month, 1–31.
    public let day: Int

    /// A date from its parts; nil unless it is a real calendar date.
    public init?(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
        guard (0...9999).contains(year), isValid else { return nil }
    }

    /// Parses `YYYY-MM-DD`; nil unless it is a real calendar date.
    public init?(_ text: String) {
        guard let parsed = CalendarDate(pattern: text), parsed.isValid else { return nil }
        self = parsed
    }

    /// What is wrong with `text` as a date, in a refusal's words: nil for a real date,
    /// "no such date" for the right shape naming no day (`2027-02-30`), else the shape.
    public static func problem(with text: String) -> String? {
        guard let parsed = CalendarDate(pattern: text) else { return "must be YYYY-MM-DD" }
        return parsed.isValid ? nil : "is no such date (\(parsed.year)-\(parsed.month < 10 ? "0" : "")\(parsed.month)-\(parsed.day < 10 ? "0" : "")\(parsed.day))"
    }

    /// Parses the shape `[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])` only; the day
    /// may still not exist in that month (see `isValid`).
    init?(pattern text: String) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == 0x2d, b[7] == 0x2d else { return nil }
        func digits(_ r: Range<Int>) -> Int? {
            var v = 0
            for i in r {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { return nil }
                v = v * 10 + Int(b[i] - 0x30)
            }
            return v
        }
        guard let y = digits(0..<4), let m = digits(5..<7), let d = digits(8..<10),
              (1...12).contains(m), (1...31).contains(d) else { return nil }
        year = y; month = m; day = d
    }

    /// The UTC calendar date of `instant`.
    public init(_ instant: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        year = parts.year!; month = parts.month!; day = parts.day!
    }

    /// Whether the day exists in its month (leap years included).
    public var isValid: Bool {
        (1...12).contains(month) && day >= 1 && day <= Self.days(inMonth: month, year: year)
    }

    static func days(inMonth month: Int, year: Int) -> Int {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    }

    /// The same day `months` later, clamped to the month's last day (29 February plus 12
    /// months is 28 February).
    public func adding(months: Int) -> CalendarDate {
        let total = year * 12 + (month - 1) + months
        let y = total / 12, m = total % 12 + 1
        return CalendarDate(unchecked: y, m, min(day, Self.days(inMonth: m, year: y)))
    }

    /// The date `days` later (or earlier, if negative).
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(dayNumber: dayNumber + days)
    }

    /// Days since 1970-01-01 (proleptic Gregorian).
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    init(dayNumber: Int) {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.init(unchecked: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private init(unchecked year: Int, _ month: Int, _ day: Int) {
        self.year = year; self.month = month; self.day = day
    }

    /// Whole years from this date (a birth date) to `date`.
    public func age(on date: CalendarDate) -> Int {
        date.year - year - ((date.month, date.day) < (month, day) ? 1 : 0)
    }

    /// `YYYY-MM-DD`.
    public var description: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Chronological order.
    public static func < (a: CalendarDate, b: CalendarDate) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}
