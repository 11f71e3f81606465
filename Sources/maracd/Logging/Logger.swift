import Exchange
import Foundation
import Glibc

/// How urgent a log line is.
enum LogLevel: Int, Comparable, CaseIterable, Sendable {
    case debug, info, warning, error

    var name: String { ["debug", "info", "warning", "error"][rawValue] }

    init?(name: String) {
        guard let level = LogLevel.allCases.first(where: { $0.name == name }) else { return nil }
        self = level
    }

    static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
}

/// The two line formats: `text` for people, `json` for log shippers.
enum LogFormat: String, Sendable {
    case text, json
}

/// One structured line per event on standard error, which journald collects: time,
/// level, event, then fields such as `doc`, `agency`, `case`, `file_id`, `duration_ms`.
///
/// What keeps personal data out of the log is what the call sites pass: ids, case numbers,
/// counts, durations, rule names, JSON paths from the schema, error descriptions that name
/// no value. This type cannot tell a name from an id ("Tamsin Quinn" is letters and a
/// space) and does not try. What it does guarantee is the line's shape: every value is
/// reduced to ASCII letters, digits, space and `._:/@=+-,();'`, at most 128 characters
/// (anything else becomes `_`), so no value can break a line, forge a field or end a JSON
/// string; each line, in either format, is written with one `write(2)`.
/// `LogFormatTests` parses both formats from a real daemon.
final class Logger: @unchecked Sendable {
    private let lock = NSLock()
    private var level: LogLevel
    private let format: LogFormat

    init(level: LogLevel, format: LogFormat) {
        self.level = level
        self.format = format
    }

    /// Changes the threshold (configuration reload).
    func setLevel(_ level: LogLevel) {
        lock.lock(); self.level = level; lock.unlock()
    }

    func debug(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.debug, event, fields) }
    func info(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.info, event, fields) }
    func warning(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.warning, event, fields) }
    func error(_ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible> = [:]) { log(.error, event, fields) }

    func log(_ level: LogLevel, _ event: String, _ fields: KeyValuePairs<String, CustomStringConvertible>) {
        lock.lock()
        let enabled = level >= self.level
        lock.unlock()
        if enabled { log(level, event, pairs: fields.map { ($0.key, $0.value.description) }) }
    }

    /// The same with the values already as text (a line made on one thread and logged on
    /// another, as the receipt stage does).
    func log(_ level: LogLevel, _ event: String, pairs fields: [(key: String, value: String)]) {
        lock.lock()
        defer { lock.unlock() }
        guard level >= self.level else { return }
        // Built as bytes in one buffer: a line per accepted form is on ingest's hot path.
        var line: [UInt8] = []
        line.reserveCapacity(256)
        let time = LogEntry.timestamp(Date())
        switch format {
        case .text:
            line += time.utf8
            line.append(0x20)
            line += level.name.utf8
            line.append(0x20)
            Self.appendClean(event, to: &line)
            for (key, value) in fields {
                line.append(0x20)
                line += key.utf8
                line.append(0x3D)  // =
                var cleaned: [UInt8] = []
                let spaced = Self.appendClean(value, to: &cleaned)
                if spaced { line.append(0x22) }
                line += cleaned
                if spaced { line.append(0x22) }
            }
        case .json:
            line += #"{"time":""#.utf8
            line += time.utf8
            line += #"","level":""#.utf8
            line += level.name.utf8
            line += #"","event":""#.utf8
            Self.appendClean(event, to: &line)
            line.append(0x22)
            for (key, value) in fields {
                line += #",""#.utf8
                line += key.utf8
                line += #"":""#.utf8
                Self.appendClean(value, to: &line)
                line.append(0x22)
            }
            line.append(0x7D)  // }
        }
        line.append(0x0A)
        var offset = 0
        while offset < line.count {
            let n = line.withUnsafeBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n } else if n == -1 && errno == EINTR { continue } else { break }
        }
    }

    /// Appends `value` reduced to ASCII letters, digits, space and `._:/@=+-,();'` (anything
    /// else becomes `_`), its first 128 characters, or `-` if it is empty; returns whether a
    /// space was appended.
    @discardableResult
    static func appendClean(_ value: String, to bytes: inout [UInt8]) -> Bool {
        var spaced = false, count = 0
        for scalar in value.unicodeScalars {
            guard count < 128 else { break }
            count += 1
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", ":", "/", "@", "=", "+", "-", ",", "(", ")", ";", "'":
                bytes.append(UInt8(scalar.value))
            case " ":
                bytes.append(0x20)
                spaced = true
            default: bytes.append(0x5F)  // _
            }
        }
        if count == 0 { bytes.append(0x2D) }  // -
        return spaced
    }
}
