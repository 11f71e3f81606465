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
        "\(r["since"]?.string ?? "the start of the log") to \(r["until"]?.string ?? "now"): \(r["entries"]?.integer ?? 0) log entries"
    }

    /// The agency's name as registered, else its id; for several (a case list's owners),
    /// each.
    static func name(_ r: JSONValue, _ ids: String) -> String {
        ids.split(separator: ",").map { r["agencies"]?[String($0)]?.string ?? String($0) }.joined(separator: ", ")
    }

    /// What the figures stand on: the log's size and root, and the checkpoint it was
    /// proved consistent with (or that none has been published yet).
    static func provenance(_ r: JSONValue) -> String {
        let log = "log of \(r["log"]?["size"]?.integer ?? 0) entries, root \(r["log"]?["root"]?.string ?? "?")"
        guard let checkpoint = r["checkpoint"], checkpoint != .null else {
            return log + "; no checkpoint has been published yet, so it was checked against none"
        }
        return log + "; proved consistent with the published checkpoint of \(checkpoint["size"]?.integer ?? 0) entries, root "
            + "\(checkpoint["root"]?.string ?? "?") (\(checkpoint["origin"]?.string ?? "?"))"
    }

    /// The totals, as label and count.
    static func totals(_ r: JSONValue) -> [(String, Int)] {
        let t = r["totals"]
        let disclosures = t?["disclosures"]?.integer ?? 0, packs = t?["packSends"]?.integer ?? 0
        return [("disclosures", disclosures), ("  by people reading", disclosures - packs), ("  by packs sent", packs),
                ("consultations", t?["consultations"]?.integer ?? 0), ("refusals", t?["refusals"]?.integer ?? 0),
                ("reads out of pattern", t?["flags"]?.integer ?? 0)]
    }

    /// Agency names, bases, rules, counts, case numbers and principals' names (who read or
    /// was refused): what an IG officer audits. No form content: the log holds none.
    static func text(_ r: JSONValue) -> String {
        var lines = ["IG report for \(r["marac"]?.string ?? "the Marac"), " + period(r), provenance(r), "", "Totals:"]
        lines += totals(r).map { "  \($0.0): \($0.1)" }
        lines += ["", "Disclosures by agency pair and bases (each disclosure once):"]
        for d in r["disclosures"]?.array ?? [] {
            lines.append("  \(name(r, d["from"]?.string ?? "?")) -> \(name(r, d["to"]?.string ?? "?"))  \(d["basis"]?.string ?? "?")  "
                         + "\(d["via"]?.string ?? "read")  \(d["count"]?.integer ?? 0)")
        }
        lines += ["", "Basis codes:"]
        for b in r["bases"]?.array ?? [] { lines.append("  \(b["code"]?.string ?? "?"): \(b["basis"]?.string ?? "?")") }
        lines += ["", "Refusals by principal and rule:"]
        for f in r["refusals"]?.array ?? [] {
            lines.append("  \(f["person"]?.string ?? "?") (\(name(r, f["agency"]?.string ?? "?")))  \(f["rule"]?.string ?? "?")  \(f["count"]?.integer ?? 0)")
        }
        lines += ["", "Reads out of pattern (people's reads; pack sends are never flagged):"]
        for f in r["flags"]?.array ?? [] {
            lines.append("  #\(f["seq"]?.integer ?? -1)  \(f["time"]?.string ?? "?")  \(f["person"]?.string ?? "?") (\(name(r, f["agency"]?.string ?? "?")))"
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
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"\(escape(title))\" width=\"900\" height=\"\(height)\">"
        for (i, (label, count)) in bars.enumerated() {
            let y = 5 + i * 24, width = max(2, 380 * count / top)
            svg += "<text x=\"0\" y=\"\(y + 15)\" font-size=\"12\">\(escape(label))</text>"
            svg += "<rect x=\"460\" y=\"\(y)\" width=\"\(width)\" height=\"18\" fill=\"#2f6f9f\"/>"
            svg += "<text x=\"\(466 + width)\" y=\"\(y + 14)\" font-size=\"12\">\(count)</text>"
        }
        return svg + "</svg>"
    }

    /// A table whose `footer` row, if any, is the column totals.
    static func table(_ headers: [String], _ rows: [[String]], footer: [String]? = nil) -> String {
        guard !rows.isEmpty else { return "<p>None.</p>" }
        return "<table><thead><tr>" + headers.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
            + rows.map { "<tr>" + $0.map { "<td>\(escape($0))</td>" }.joined() + "</tr>" }.joined() + "</tbody>"
            + (footer.map { "<tfoot><tr>" + $0.map { "<th>\(escape($0))</th>" }.joined() + "</tr></tfoot>" } ?? "") + "</table>"
    }

    static func html(_ r: JSONValue) -> String {
        let disclosures = r["disclosures"]?.array ?? [], refusals = r["refusals"]?.array ?? [], flags = r["flags"]?.array ?? []
        func s(_ v: JSONValue, _ k: String) -> String { v[k]?.string ?? (v[k]?.integer.map(String.init) ?? "-") }
        func sum(_ rows: [JSONValue]) -> String { String(rows.reduce(0) { $0 + ($1["count"]?.integer ?? 0) }) }
        let marac = r["marac"]?.string ?? "the Marac"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>IG report: \(escape(marac))</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:64em}table{border-collapse:collapse;margin:1em 0}\
            td,th{border:1px solid #999;padding:.2em .6em;text-align:left}th{background:#eee}tfoot th{background:#ddd}\
            .meta{color:#333}code{font-size:.9em;word-break:break-all}</style></head><body>
            <h1>IG report: \(escape(marac))</h1>
            <p class="meta" id="period">Period: \(escape(period(r))).</p>
            <p class="meta" id="provenance">Checked: \(escape(provenance(r))).</p>
            <h2>Totals</h2>
            \(table(["", "count"], totals(r).map { [$0.0.trimmingCharacters(in: .whitespaces), String($0.1)] }))
            <h2>Disclosures by agency pair and bases</h2>
            <p>Each disclosure is counted once, with all the bases it cites. A <em>pack send</em> is a form the daemon put in an
            agency's agenda, meeting or minutes pack; a <em>read</em> is a person reading it.</p>
            \(chart(disclosures.map { ("\(name(r, s($0, "from"))) → \(name(r, s($0, "to"))) (\(s($0, "basis")); \(s($0, "via")))", $0["count"]?.integer ?? 0) },
                    title: "disclosures"))
            \(table(["from", "to", "bases", "how", "count"],
                    disclosures.map { [name(r, s($0, "from")), name(r, s($0, "to")), s($0, "basis"), s($0, "via"), s($0, "count")] },
                    footer: ["total", "", "", "", sum(disclosures)]))
            <h2>Key to the basis codes</h2>
            \(table(["code", "basis"], (r["bases"]?.array ?? []).map { [s($0, "code"), s($0, "basis")] }))
            <h2>Refusals by principal and rule</h2>
            \(chart(refusals.map { ("\(s($0, "person")) (\(name(r, s($0, "agency")))): \(s($0, "rule"))", $0["count"]?.integer ?? 0) }, title: "refusals"))
            \(table(["person", "agency", "rule", "count"], refusals.map { [s($0, "person"), name(r, s($0, "agency")), s($0, "rule"), s($0, "count")] },
                    footer: ["total", "", "", sum(refusals)]))
            <h2>Reads out of pattern</h2>
            <p>People's reads only: at night (20:00 to 07:00 UTC), of a case on no agenda, or of \(AuditReport.manyCases) or more cases
            outside any meeting. Pack sends are never flagged.</p>
            \(table(["entry", "time", "person", "agency", "case", "why"],
                    flags.map { [s($0, "seq"), s($0, "time"), s($0, "person"), name(r, s($0, "agency")), s($0, "case"), s($0, "why")] }))
            </body></html>

            """
    }
}
