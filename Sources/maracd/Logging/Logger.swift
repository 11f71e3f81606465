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
/// Field values are ids, case numbers, counts and durations. To keep a name from ever
/// reaching a log through a mistake, every value is reduced to ASCII letters, digits, space and `._:/@=+-,();'`, at most
/// 128 characters; anything else becomes `_`. Each line is written with one `write(2)`.
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
        defer { lock.unlock() }
        guard level >= self.level else { return }
        let time = LogEntry.timestamp(Date())
        var line: String
        switch format {
        case .text:
            line = "\(time) \(level.name) \(Self.clean(event))"
            for (key, value) in fields {
                let clean = Self.clean(value.description)
                line += clean.contains(" ") ? " \(key)=\"\(clean)\"" : " \(key)=\(clean)"
            }
        case .json:
            line = "{\"time\":\"\(time)\",\"level\":\"\(level.name)\",\"event\":\"\(Self.clean(event))\""
            for (key, value) in fields { line += ",\"\(key)\":\"\(Self.clean(value.description))\"" }
            line += "}"
        }
        line += "\n"
        var bytes = Array(line.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n > 0 { offset += n } else if n == -1 && errno == EINTR { continue } else { break }
        }
        bytes.removeAll()
    }

    static func clean(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars.prefix(128) {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", ":", "/", "@", "=", "+", "-", " ", ",", "(", ")", ";", "'":
                out.unicodeScalars.append(scalar)
            default: out += "_"
            }
        }
        return out.isEmpty ? "-" : out
    }
}
