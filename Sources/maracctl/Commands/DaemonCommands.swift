import Exchange
import Foundation
import Glibc

// The verbs that need the daemon (`meeting`, `case`, `doc`): each turns its command line
// into one control request and prints the answer, as a table by default or `--json`.

/// Positional arguments first, then `--options` (which `Options` checks).
struct CommandLineParts {
    let positionals: [String]
    let options: Options

    /// `names` are the positional arguments' names as the verb's usage gives them
    /// (`MEETING`, `CASE`): a missing one is named in the error.
    init(_ arguments: [String], valued: Set<String>, switches: Set<String>, positionals names: [String]) throws {
        let leading = Array(arguments.prefix { !$0.hasPrefix("--") })
        guard leading.count >= names.count else { throw CommandError.usage("missing \(names[leading.count])") }
        guard leading.count == names.count else {
            throw CommandError.usage("unexpected argument \(CommandError.quoted(leading[names.count])) before the options")
        }
        positionals = leading
        options = try Options(Array(arguments.dropFirst(leading.count)), valued: valued.union(["--socket", "--state"]),
                              switches: switches.union(["--json"]))
    }
}

/// "1 document", "3 documents".
func counted(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

/// `rows` as a table: each column padded to its widest cell, two spaces apart; the last
/// column not padded. Cells are made displayable (`Disclosure`): a table shows what other
/// principals typed (reasons, names).
func aligned(_ rows: [[String]]) -> String {
    let rows = rows.map { $0.map(Disclosure.displayable) }
    let widths = (0..<(rows.first?.count ?? 0)).map { column in rows.map { $0[column].count }.max() ?? 0 }
    return rows.map { row in
        row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }.joined(separator: "  ") + "\n"
    }.joined()
}

/// Prints `result` as JSON, or with `human`.
func output(_ result: JSONValue, json: Bool, human: (JSONValue) -> Void) {
    if json { print(String(decoding: result.canonicalBytes, as: UTF8.self)) } else { human(result) }
}

/// A meeting in one line: ids, dates, state, agency ids, case numbers and a count (the
/// declarants' names only with `--json`, to the principals who may see the meeting).
func meetingLine(_ m: JSONValue) -> String {
    func list(_ key: String) -> String { m[key]?.array?.compactMap(\.string).joined(separator: ",") ?? "" }
    return "\(m["id"]?.string ?? "?")  \(m["date"]?.string ?? "?")  \(m["state"]?.string ?? "?")  invited: \(list("invited"))  "
        + "cases: \(list("agenda"))  declarations: \(m["declarations"]?.array?.count ?? 0)"
}

struct MeetingCommand {
    let arguments: [String]

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage(Self.usage) }
        let rest = Array(arguments.dropFirst())
        var request: ControlRequest
        let parts: CommandLineParts
        switch verb {
        case "create":
            parts = try CommandLineParts(rest, valued: ["--date"], switches: [], positionals: [])
            request = ControlRequest(verb: "meeting.create", args: JSONObject(["date": .string(try parts.options.required("--date"))]))
        case "list":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: [])
            request = ControlRequest(verb: "meeting.list")
        case "show":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting.show", args: JSONObject(["meeting": .string(parts.positionals[0])]))
        case "invite":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING", "AGENCY"])
            request = ControlRequest(verb: "meeting.invite", args: JSONObject(["meeting": .string(parts.positionals[0]),
                "agencies": .array(parts.positionals[1].split(separator: ",").map { .string(String($0)) })]))
        case "add-case":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING", "CASE"])
            request = ControlRequest(verb: "meeting.add-case", args: JSONObject(["meeting": .string(parts.positionals[0]), "case": .string(parts.positionals[1])]))
        case "uninvite":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING", "AGENCY"])
            request = ControlRequest(verb: "meeting.uninvite", args: JSONObject(["meeting": .string(parts.positionals[0]), "agency": .string(parts.positionals[1])]))
        case "remove-case":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING", "CASE"])
            request = ControlRequest(verb: "meeting.remove-case", args: JSONObject(["meeting": .string(parts.positionals[0]), "case": .string(parts.positionals[1])]))
        case "cancel":
            parts = try CommandLineParts(rest, valued: ["--reason"], switches: [], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting.cancel", args: JSONObject(["meeting": .string(parts.positionals[0]),
                                                                                "reason": .string(try parts.options.required("--reason"))]))
        case "reschedule":
            parts = try CommandLineParts(rest, valued: ["--date"], switches: [], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting.reschedule", args: JSONObject(["meeting": .string(parts.positionals[0]),
                                                                                    "date": .string(try parts.options.required("--date"))]))
        case "send-agenda", "send-packs", "send-minutes":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting." + verb, args: JSONObject(["meeting": .string(parts.positionals[0])]))
        case "open", "close":
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING"])
            let to = ["open": "in-session", "close": "closed"][verb]!
            request = ControlRequest(verb: "meeting.advance", args: JSONObject(["meeting": .string(parts.positionals[0]), "to": .string(to)]))
        case "declare":
            parts = try CommandLineParts(rest, valued: ["--for", "--agency"], switches: ["--yes"], positionals: ["MEETING"])
            request = try declaration(parts)
        case "observer":
            parts = try CommandLineParts(rest, valued: ["--agency", "--name"], switches: ["--declared"], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting.attendance", args: JSONObject([
                "meeting": .string(parts.positionals[0]), "agency": .string(try parts.options.required("--agency")), "role": "observer",
                "person": .string(try parts.options.required("--name")), "declared": .bool(parts.options.has("--declared"))]))
        case "apology":
            parts = try CommandLineParts(rest, valued: ["--agency"], switches: ["--research-sent"], positionals: ["MEETING"])
            request = ControlRequest(verb: "meeting.attendance", args: JSONObject([
                "meeting": .string(parts.positionals[0]), "agency": .string(try parts.options.required("--agency")), "role": "apology",
                "researchSent": .bool(parts.options.has("--research-sent"))]))
        default:
            throw CommandError.usage(Self.usage)
        }
        let result = try ControlClient(options: parts.options).call(request)
        if let warning = result["warning"]?.string { FileHandle.standardError.write(Data("maracctl: warning: \(warning)\n".utf8)) }
        for skipped in result["skipped"]?.array ?? [] {
            FileHandle.standardError.write(Data("maracctl: no meeting pack for \(skipped["agency"]?.string ?? "?"): \(skipped["reason"]?.string ?? "")\n".utf8))
        }
        output(result, json: parts.options.has("--json")) { result in
            if let cancelled = result["cancelled"]?.string {
                print("meeting \(cancelled) cancelled: its invitations, agenda and declarations are withdrawn (logged with the reason)")
            }
            if let from = result["rescheduledFrom"]?.string {
                print("meeting \(from) rescheduled as \(result["id"]?.string ?? "?"), with its invitations and agenda; "
                      + "\(from) is cancelled, and its declarations are made again for the new meeting")
            }
            if let meetings = result.array { meetings.forEach { print(meetingLine($0)) } } else if result["id"] != nil { print(meetingLine(result)) }
            if verb == "show" || verb == "observer" || verb == "apology" { print(attendanceLines(result), terminator: "") }
            for pack in result["packs"]?.array ?? [] {
                print("sent \(pack["file"]?.string ?? "?") (\(counted(pack["documents"]?.integer ?? 0, "document")))")
            }
            if verb == "open", result["packs"]?.array?.isEmpty == true, result["skipped"]?.array?.isEmpty == true {
                print("no meeting pack went out: no invited agency has made the declaration yet; "
                      + "each gets its pack when its representative declares (maracctl meeting declare)")
            }
            for notice in result["revocations"]?.array ?? [] { print("revocation notice \(notice["agency"]?.string ?? "?"): \(notice["file"]?.string ?? "?")") }
        }
    }

    static let usage = "meeting takes create, list, show, invite, add-case, send-agenda, open, close, declare, send-packs, observer, apology, send-minutes, uninvite, remove-case, cancel or reschedule"

    /// Who attended (agencies and how many of each), observed or sent apologies: agency ids,
    /// counts and yes/no, the names only with `--json`.
    func attendanceLines(_ meeting: JSONValue) -> String {
        var byAgency: [String: Int] = [:]
        for attendee in meeting["attendees"]?.array ?? [] { byAgency[attendee["agency"]?.string ?? "?", default: 0] += 1 }
        var lines = meeting["chair"].map { "chaired by: \($0["agency"]?.string ?? "?")\n" } ?? ""
        lines += "attended: " + (byAgency.isEmpty ? "none" : byAgency.keys.sorted().map { "\($0) (\(byAgency[$0]!))" }.joined(separator: ", ")) + "\n"
        lines += declarationTable(meeting)
        let observers = meeting["observers"]?.array ?? []
        lines += "observers: " + (observers.isEmpty ? "none" : observers.map {
            "\($0["agency"]?.string ?? "?") (\($0["declared"]?.bool == true ? "declared" : "no declaration"))"
        }.joined(separator: ", ")) + "\n"
        let apologies = meeting["apologies"]?.array ?? []
        lines += "apologies: " + (apologies.isEmpty ? "none" : apologies.map {
            "\($0["agency"]?.string ?? "?") (\($0["researchSent"]?.bool == true ? "research sent" : "no research"))"
        }.joined(separator: ", ")) + "\n"
        return lines
    }

    /// The declarations, one a row under a header: agency, who declared, when (UTC), and
    /// who recorded it when the chair did. Professionals' names, which `meeting.show`
    /// gives any principal; never anything from a form.
    func declarationTable(_ meeting: JSONValue) -> String {
        let declarations = meeting["declarations"]?.array ?? []
        guard !declarations.isEmpty else { return "" }
        let rows = [["AGENCY", "DECLARED BY", "AT", "RECORDED BY"]] + declarations.map { d in
            let person = d["person"]?.string ?? "?", recorder = d["recordedBy"]?.string ?? person
            return [d["agency"]?.string ?? "?", person, d["declaredAt"]?.string ?? "?", recorder == person ? "-" : recorder]
        }
        return "declarations:\n" + aligned(rows).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    /// Shows the statement, asks for confirmation on a terminal (or takes `--yes`), and
    /// builds the request carrying the SHA-256 of the text shown.
    private func declaration(_ parts: CommandLineParts) throws -> ControlRequest {
        guard (parts.options["--for"] == nil) == (parts.options["--agency"] == nil) else {
            throw CommandError.usage("--for NAME and --agency A go together (the chair recording an attendee's declaration)")
        }
        // Without a terminal to confirm on, one line and nothing else (issue 24).
        if !parts.options.has("--yes") && isatty(STDIN_FILENO) != 1 {
            throw CommandError(code: .usage, message: "no terminal to confirm on: pass --yes to make the declaration")
        }
        let statement = try ControlClient(options: parts.options).call(ControlRequest(verb: "meeting.statement"))
        let text = statement["text"]?.string ?? ""
        FileHandle.standardError.write(Data("Confidentiality statement for \(parts.positionals[0]):\n\n\(text)\n\n".utf8))
        if !parts.options.has("--yes") {
            FileHandle.standardError.write(Data("Type yes to make this declaration: ".utf8))
            guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                throw CommandError(code: .dataError, message: "not declared")
            }
        }
        var args = JSONObject(["meeting": .string(parts.positionals[0]), "statementSHA256": .string(statement["sha256"]?.string ?? "")])
        if let person = parts.options["--for"], let agency = parts.options["--agency"] {
            args.set("for", .string(person))
            args.set("agency", .string(agency))
        }
        return ControlRequest(verb: "meeting.declare", args: args)
    }
}

struct CaseCommand {
    let arguments: [String]

    func run() throws {
        guard let verb = arguments.first, ["list", "show", "hold", "release", "close"].contains(verb) else {
            throw CommandError.usage("case takes list, show, hold, release or close")
        }
        if verb == "hold" || verb == "release" || verb == "close" { return try hold(verb) }
        let parts: CommandLineParts
        let request: ControlRequest
        if verb == "list" {
            parts = try CommandLineParts(Array(arguments.dropFirst()), valued: ["--meeting"], switches: ["--unscheduled"], positionals: [])
            var args = JSONObject()
            if let meeting = parts.options["--meeting"] { args.set("meeting", .string(meeting)) }
            if parts.options.has("--unscheduled") { args.set("unscheduled", .bool(true)) }
            request = ControlRequest(verb: "case.list", args: args)
        } else {
            parts = try CommandLineParts(Array(arguments.dropFirst()), valued: [], switches: [], positionals: ["CASE"])
            request = ControlRequest(verb: "case.show", args: JSONObject(["case": .string(parts.positionals[0])]))
        }
        let result = try ControlClient(options: parts.options).call(request)
        // Case numbers, dates, agency ids, document ids and kinds; names only in the
        // coordinator's list, which the daemon logged as a read of the referrals.
        output(result, json: parts.options.has("--json")) { result in
            for item in result.array ?? [result] {
                let meetings = item["meetings"]?.array?.compactMap(\.string).joined(separator: ",") ?? ""
                let line = "\(item["case"]?.string ?? "?")  \(item["status"]?.string ?? "?")  received \(item["receivedOn"]?.string ?? "?")  "
                    + "from \(item["referringAgency"]?.string ?? "?")  meetings: \(meetings.isEmpty ? "-" : meetings)"
                // Who the case is about: in the coordinator's list only, which the daemon
                // logged as a read of the referrals before answering.
                if let victim = item["victim"] {
                    Disclosure.print(line + "  about: \(victim["name"]?.string ?? "?"), born \(victim["dob"]?.string ?? "?")")
                } else {
                    print(line)
                }
                if verb == "show" {
                    for document in item["documents"]?.array ?? [] {
                        print("  \(document["document"]?.string ?? "?")  \(document["kind"]?.string ?? "?")  from \(document["agency"]?.string ?? "?")")
                    }
                }
            }
        }
    }
}

extension CaseCommand {
    /// `case hold CASE --reason TEXT` and `case release CASE` (IG officer or coordinator).
    private func hold(_ verb: String) throws {
        let parts = try CommandLineParts(Array(arguments.dropFirst()), valued: verb == "release" ? [] : ["--reason"], switches: [], positionals: ["CASE"])
        var args = JSONObject(["case": .string(parts.positionals[0])])
        if verb != "release" { args.set("reason", .string(try parts.options.required("--reason"))) }
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "case." + verb, args: args))
        output(result, json: parts.options.has("--json")) { result in
            // The case number as the daemon checked it, never the argument as typed.
            let number = result["case"]?.string ?? "?"
            switch verb {
            case "hold": print("case \(number) is on legal hold: retention erases none of its documents until it is released")
            case "close": print("case \(number) closed: it takes no more research or iswc forms (logged with the reason)")
            default: print("case \(number) released from legal hold")
            }
        }
    }
}

/// `maracctl retention run [--dry-run]`: the documents whose retention has ended, by case
/// number and kind, erased unless `--dry-run` (IG officer or coordinator).
struct RetentionCommand {
    let arguments: [String]

    func run() throws {
        guard arguments.first == "run" else { throw CommandError.usage("retention takes run") }
        let parts = try CommandLineParts(Array(arguments.dropFirst()), valued: [], switches: ["--dry-run"], positionals: [])
        let dryRun = parts.options.has("--dry-run")
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "retention.run", args: JSONObject(["dryRun": .bool(dryRun)])))
        output(result, json: parts.options.has("--json")) { result in
            let documents = result["documents"]?.array ?? []
            for item in documents {
                print("\(item["case"]?.string ?? "(no case)")  \(item["kind"]?.string ?? "?")  \(item["document"]?.string ?? "?")  "
                      + "from \(item["agency"]?.string ?? "?")  retention ended \(item["due"]?.string ?? "?")")
            }
            print(dryRun ? "\(counted(documents.count, "document")) would be erased (dry run: nothing changed)"
                         : "\(counted(documents.count, "document")) erased (crypto-shredded, each logged under retention-policy)")
        }
    }
}

struct DocCommand {
    let arguments: [String]

    /// `doc read DOC --basis CODE[,CODE] --reason TEXT`: the form on standard output only.
    func run() throws {
        guard arguments.first == "read" else { throw CommandError.usage("doc takes read") }
        let parts = try CommandLineParts(Array(arguments.dropFirst()), valued: ["--basis", "--reason"], switches: [], positionals: ["DOC"])
        let bases = (parts.options["--basis"] ?? "").split(separator: ",").map { JSONValue.string(String($0)) }
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "doc.read", args: JSONObject([
            "document": .string(parts.positionals[0]), "bases": .array(bases), "reason": .string(try parts.options.required("--reason")),
        ])))
        if parts.options.has("--json") {
            print(String(decoding: result.canonicalBytes, as: UTF8.self))
        } else {
            // The form itself, to standard output only: never written to a file by maracctl.
            FileHandle.standardOutput.write(Data((result["content"]?.string ?? "").utf8))
            let bases = result["bases"]?.array?.compactMap(\.string).joined(separator: ",") ?? ""
            FileHandle.standardError.write(Data("maracctl: logged as \(result["operation"]?.string ?? "?") under \(bases)\n".utf8))
        }
    }
}
