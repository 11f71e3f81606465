import Exchange
import Foundation

/// `maracctl audit report [--since T] [--until T] [--json | --html FILE]`: the IG report as
/// text, JSON, or one self-contained HTML file (inline SVG charts; no script, no link, no
/// reference to anything outside the file), which opens in any browser offline.
enum AuditReportCommand {
    static func run(_ arguments: [String]) throws {
        let parts = try CommandLineParts(arguments, valued: ["--since", "--until", "--html"], switches: [], positionals: [])
        var args = JSONObject()
        let range = try AuditDaemonVerbs.filter(parts.options, operation: false)
        if let since = range.since { args.set("since", .string(since)) }
        if let until = range.until { args.set("until", .string(until)) }
        let report = try ControlClient(options: parts.options).call(ControlRequest(verb: "audit.report", args: args))
        if let file = parts.options["--html"] {
            guard FileManager.default.createFile(atPath: file, contents: Data(html(report).utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CommandError(code: .unavailable, message: "cannot write \(file)")
            }
            print("report written to \(file)")
            return
        }
        output(report, json: parts.options.has("--json")) { print(text($0)) }
    }

    static func period(_ r: JSONValue) -> String {
        "\(r["since"]?.string ?? "the start") to \(r["until"]?.string ?? "now"): \(r["entries"]?.integer ?? 0) log entries"
    }

    /// Agency ids, bases, rules, counts, case numbers and principals' names (who read or
    /// was refused): what an IG officer audits. No form content: the log holds none.
    static func text(_ r: JSONValue) -> String {
        var lines = ["IG report, " + period(r), "", "Disclosures by agency pair and basis:"]
        for d in r["disclosures"]?.array ?? [] {
            lines.append("  \(d["from"]?.string ?? "?") -> \(d["to"]?.string ?? "?")  \(d["basis"]?.string ?? "?")  \(d["count"]?.integer ?? 0)")
        }
        lines += ["", "Refusals by principal:"]
        for f in r["refusals"]?.array ?? [] {
            lines.append("  \(f["person"]?.string ?? "?") (\(f["agency"]?.string ?? "?"))  \(f["rule"]?.string ?? "?")  \(f["count"]?.integer ?? 0)")
        }
        lines += ["", "Reads out of pattern:"]
        for f in r["flags"]?.array ?? [] {
            lines.append("  #\(f["seq"]?.integer ?? -1)  \(f["time"]?.string ?? "?")  \(f["person"]?.string ?? "?") (\(f["agency"]?.string ?? "?"))"
                         + "  \(f["case"]?.string ?? "-")  \(f["why"]?.string ?? "?")")
        }
        return lines.joined(separator: "\n")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A horizontal bar chart of `(label, count)` as inline SVG.
    static func chart(_ bars: [(String, Int)], title: String) -> String {
        guard !bars.isEmpty else { return "<p>None.</p>" }
        let top = max(1, bars.map(\.1).max() ?? 1), height = 24 * bars.count + 10
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(escape(title))\" width=\"720\" height=\"\(height)\">"
        for (i, (label, count)) in bars.enumerated() {
            let y = 5 + i * 24, width = max(2, 380 * count / top)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(escape(label))</text>"
            svg += "<rect x=\"300\" y=\"\(y)\" width=\"\(width)\" height=\"18\" fill=\"#2f6f9f\"/>"
            svg += "<text x=\"\(306 + width)\" y=\"\(y + 14)\" font-size=\"12\">\(count)</text>"
        }
        return svg + "</svg>"
    }

    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        "<table><thead><tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</tbody></table>"
    }

    static func html(_ r: JSONValue) -> String {
        let disclosures = r["disclosures"]?.array ?? [], refusals = r["refusals"]?.array ?? [], flags = r["flags"]?.array ?? []
        func s(_ v: JSONValue, _ k: String) -> String { v[k]?.string ?? (v[k]?.integer.map(String.init) ?? "-") }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>maracd IG report</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;margin:1em 0}\
            td,th{border:1px solid #999;padding:.2em .6em;text-align:left}th{background:#eee}</style></head><body>
            <h1>IG report</h1><p>\(escape(period(r)))</p>
            <h2>Disclosures by agency pair and basis</h2>
            \(chart(disclosures.map { ("\(s($0, "from")) → \(s($0, "to")) (\(s($0, "basis")))", $0["count"]?.integer ?? 0) }, title: "disclosures"))
            \(table(["from", "to", "basis", "count"], disclosures.map { [s($0, "from"), s($0, "to"), s($0, "basis"), s($0, "count")] }))
            <h2>Refusals by principal</h2>
            \(chart(refusals.map { ("\(s($0, "person")) (\(s($0, "agency"))): \(s($0, "rule"))", $0["count"]?.integer ?? 0) }, title: "refusals"))
            \(table(["person", "agency", "rule", "count"], refusals.map { [s($0, "person"), s($0, "agency"), s($0, "rule"), s($0, "count")] }))
            <h2>Reads out of pattern</h2>
            \(table(["entry", "time", "person", "agency", "case", "why"],
                    flags.map { [s($0, "seq"), s($0, "time"), s($0, "person"), s($0, "agency"), s($0, "case"), s($0, "why")] }))
            </body></html>

            """
    }
}
