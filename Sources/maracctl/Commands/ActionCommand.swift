import Exchange
import Foundation
import Glibc

/// `maracctl action add|update|list` and `maracctl plan risks|idva|links`
/// (`docs/actions.md`). Every text (an action, a risk, a note) is read from a file, from
/// standard input (`-`) or from a prompt on a terminal: never from the command line,
/// which every local user can read in `/proc`.
struct ActionCommand {
    let arguments: [String]

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage(Self.usage) }
        let rest = Array(arguments.dropFirst())
        let parts: CommandLineParts
        let request: ControlRequest
        switch verb {
        case "add":
            parts = try CommandLineParts(rest, valued: ["--owner", "--due", "--risk", "--text-file"], switches: [], positionals: ["MEETING", "CASE"])
            // SMART: refused here before anything is asked, as the daemon would refuse it.
            guard let owner = parts.options["--owner"], let due = parts.options["--due"] else {
                throw CommandError.usage("an action needs an owning agency and a due date: --owner AGENCY --due YYYY-MM-DD")
            }
            let text = try readText(parts.options["--text-file"], prompt: "The action (an empty line ends)")
            request = ControlRequest(verb: "action.add", args: JSONObject([
                "meeting": .string(parts.positionals[0]), "case": .string(parts.positionals[1]), "owner": .string(owner), "due": .string(due),
                "risk": .string(try parts.options.required("--risk")), "text": .string(text)]))
        case "update":
            parts = try CommandLineParts(rest, valued: ["--status", "--date", "--note-file"], switches: [], positionals: ["ACTION"])
            var args = JSONObject(["action": .string(parts.positionals[0]), "status": .string(try parts.options.required("--status")),
                                   "date": .string(parts.options["--date"] ?? CalendarDate(Date()).description)])
            if let file = parts.options["--note-file"] { args.set("note", .string(try readText(file, prompt: ""))) }
            request = ControlRequest(verb: "action.update", args: args)
        case "list":
            parts = try CommandLineParts(rest, valued: ["--meeting", "--agency"], switches: ["--open", "--overdue"], positionals: [])
            var args = JSONObject(["open": .bool(parts.options.has("--open")), "overdue": .bool(parts.options.has("--overdue"))])
            if let meeting = parts.options["--meeting"] { args.set("meeting", .string(meeting)) }
            if let agency = parts.options["--agency"] { args.set("agency", .string(agency)) }
            request = ControlRequest(verb: "action.list", args: args)
        default:
            throw CommandError.usage(Self.usage)
        }
        let result = try ControlClient(options: parts.options).call(request)
        output(result, json: parts.options.has("--json")) { result in
            let actions = result.array ?? [result]
            for action in actions { print(Self.line(action)) }
            if verb == "list" { print("\(counted(actions.count, "action"))") }
        }
    }

    static let usage = "action takes add MEETING CASE --owner A --due YYYY-MM-DD --risk R [--text-file F], "
        + "update ACTION --status S [--date D] [--note-file F], or list [--meeting M] [--agency A] [--open] [--overdue]"

    /// An action in one line: ids, owner, dates, risk and status, never its text.
    static func line(_ action: JSONValue) -> String {
        "\(action["id"]?.string ?? "?")  \(action["case"]?.string ?? "?")  \(action["meeting"]?.string ?? "?")  owner \(action["owner"]?.string ?? "?")  "
            + "due \(action["due"]?.string ?? "?")  risk \(action["risk"]?.string ?? "?")  \(action["status"]?.string ?? "?") "
            + "(\(action["statusOn"]?.string ?? "?"))\(action["overdue"]?.bool == true ? "  OVERDUE" : "")"
    }
}

/// `maracctl plan risks M CASE --file F` (a JSON object: victim, children, perpetrator,
/// staff), `plan idva M CASE --safe | --not-safe [--why-file F]`, `plan links M CASE
/// CODE[,CODE] | none`.
struct PlanCommand {
    let arguments: [String]

    func run() throws {
        guard let part = arguments.first, ["risks", "idva", "links"].contains(part) else {
            throw CommandError.usage("plan takes risks MEETING CASE --file F, idva MEETING CASE --safe | --not-safe [--why-file F], "
                                     + "or links MEETING CASE CODE[,CODE] | none")
        }
        let rest = Array(arguments.dropFirst())
        var args = JSONObject(["part": .string(part)])
        let parts: CommandLineParts
        switch part {
        case "risks":
            parts = try CommandLineParts(rest, valued: ["--file"], switches: [], positionals: ["MEETING", "CASE"])
            let bytes = try readText(parts.options["--file"], prompt: "The risks as a JSON object (an empty line ends)")
            guard let risks = try? JSONParser().parse(Array(bytes.utf8)).value, risks.object != nil else {
                throw CommandError(code: .dataError, message: "the risks must be a JSON object: victim, children, perpetrator, staff")
            }
            args.set("risks", risks)
        case "idva":
            parts = try CommandLineParts(rest, valued: ["--why-file"], switches: ["--safe", "--not-safe"], positionals: ["MEETING", "CASE"])
            guard parts.options.has("--safe") != parts.options.has("--not-safe") else { throw CommandError.usage("give --safe or --not-safe") }
            args.set("safeAsPossible", .bool(parts.options.has("--safe")))
            if parts.options.has("--not-safe") { args.set("why", .string(try readText(parts.options["--why-file"], prompt: "Why not (an empty line ends)"))) }
        default:
            parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["MEETING", "CASE", "CODES"])
            let codes = parts.positionals[2] == "none" ? [] : parts.positionals[2].split(separator: ",").map { JSONValue.string(String($0)) }
            args.set("links", .array(codes))
        }
        args.set("meeting", .string(parts.positionals[0]))
        args.set("case", .string(parts.positionals[1]))
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "plan.record", args: args))
        output(result, json: parts.options.has("--json")) { result in
            print("\(result["part"]?.string ?? part) recorded for \(result["case"]?.string ?? "?") at \(result["meeting"]?.string ?? "?") "
                  + "(\(result["document"]?.string ?? "?"))")
        }
    }
}

/// A person's text from `file` (`-` for standard input), or from a prompt on a terminal
/// ending at an empty line; refused without either. Never echoed.
func readText(_ file: String?, prompt: String) throws -> String {
    if let file {
        let bytes = try readInputOrStandardInput(file, limit: 64 << 10)
        return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard isatty(STDIN_FILENO) == 1 else { throw CommandError.usage("give the text in a file (or - for standard input), or run on a terminal to be asked") }
    printError(prompt + ":")
    var lines: [String] = []
    while let line = readLine(), !line.isEmpty { lines.append(line) }
    return lines.joined(separator: "\n")
}
