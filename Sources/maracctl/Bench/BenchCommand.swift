import Foundation
import Vault

/// The performance areas `maracctl bench` can measure; later issues add to it.
enum BenchArea: String, CaseIterable {
    case crypto
    case vault
    case forms
    case ingest
    case access
    case agenda
    case hostile
}

/// One area's results: raw figures and ratios to a baseline measured in the same run.
struct BenchReport {
    let area: BenchArea
    var figures: [(String, Double)] = []
    var ratios: [(String, Double)] = []
    var notes: [String] = []

    /// `{"area": ..., "figures": {...}, "ratios": {...}}` on one line, keys sorted.
    var json: String {
        func object(_ pairs: [(String, Double)]) -> [String: Double] { Dictionary(pairs, uniquingKeysWith: { $1 }) }
        let body: [String: Any] = ["area": area.rawValue, "figures": object(figures), "ratios": object(ratios)]
        guard let data = try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// An aligned table for people.
    var table: String {
        var lines = ["== \(area.rawValue)"]
        let width = (figures + ratios).map(\.0.count).max() ?? 0
        for (name, value) in figures { lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(format(value))") }
        for (name, value) in ratios { lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0))  \(String(format: "%.3f", value))") }
        lines += notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }

    private func format(_ value: Double) -> String {
        value >= 1000 ? String(format: "%.0f", value) : String(format: "%.3f", value)
    }
}

/// `maracctl bench AREA|all [--json] [--seconds N]`: runs over a release build (`make bench`).
struct BenchCommand {
    let areas: [BenchArea]
    let json: Bool
    let seconds: Double
    let full: Bool

    init(arguments: [String]) throws {
        var areas: [BenchArea] = []
        var json = false
        var seconds = 2.0
        var full = false
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            switch argument {
            case "--json": json = true
            case "--full": full = true
            case "--seconds":
                guard let value = rest.popFirst().flatMap(Double.init), value > 0, value <= 60 else {
                    throw CommandError.usage("--seconds takes a number of seconds from 0 to 60")
                }
                seconds = value
            case "all": areas = BenchArea.allCases
            default:
                guard let area = BenchArea(rawValue: argument) else { throw CommandError.usage("unknown bench area \(CommandError.quoted(argument))") }
                areas.append(area)
            }
        }
        guard !areas.isEmpty else { throw CommandError.usage("bench needs an area") }
        self.areas = areas
        self.json = json
        self.seconds = seconds
        self.full = full
    }

    func run() throws {
        #if DEBUG
        printError("maracctl: warning: a debug build; run `make bench` for figures worth comparing")
        #endif
        for area in areas {
            let report: BenchReport
            switch area {
            case .crypto: report = try CryptoBench(seconds: seconds).run()
            case .vault: report = try VaultBench(rewrapDocuments: full ? 1_000_000 : 100_000).run()
            case .forms: report = try FormsBench(seconds: seconds).run()
            case .ingest: report = try IngestBench(forms: full ? 50_000 : 10_000).run()
            case .agenda: report = try AgendaBench(cases: 100, agencies: 30).run()
            case .hostile: report = try HostileInboxBench(objects: 3_000).run()
            case .access: report = try AccessBench(clients: 16, forms: ProcessInfo.processInfo.environment["MARACD_BENCH_FORMS"].flatMap(Int.init) ?? 5_000).run()
            }
            print(json ? report.json : report.table)
        }
    }
}

/// Runs `body` repeatedly for about `seconds`, returning iterations per second.
func measureRate(seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    for _ in 0..<16 { try body() }  // warm up
    var iterations = 0
    let start = clock.now
    var elapsed = Duration.zero
    repeat {
        for _ in 0..<32 { try body() }
        iterations += 32
        elapsed = clock.now - start
    } while elapsed < .milliseconds(Int64(seconds * 1000))
    return Double(iterations) / elapsed.seconds
}
