import Exchange
import Foundation
import Glibc

/// `maracctl subject search|export [--subject-file FILE|-] --basis audit[,CODE] --reason TEXT
/// [--out FILE]` (IG officer): the person is read from a file (its first line the date of
/// birth, `YYYY-MM-DD`, then one name, variant or alias a line) or from prompts on a
/// terminal, never from the command line, which every local user can read in `/proc`.
struct SubjectCommand {
    let arguments: [String]

    func run() throws {
        guard let verb = arguments.first, ["search", "export"].contains(verb) else { throw CommandError.usage("subject takes search or export") }
        let parts = try CommandLineParts(Array(arguments.dropFirst()), valued: ["--subject-file", "--basis", "--reason", "--out"],
                                         switches: [], positionals: [])
        if verb == "export" { _ = try parts.options.required("--out") }
        let (dob, names) = try Self.person(from: parts.options["--subject-file"])
        let args = JSONObject(["names": .array(names.map(JSONValue.string)), "dob": .string(dob),
                               "bases": .array((parts.options["--basis"] ?? "audit").split(separator: ",").map { .string(String($0)) }),
                               "reason": .string(try parts.options.required("--reason"))])
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "subject." + verb, args: args))
        if verb == "export" {
            let out = try parts.options.required("--out")
            try writeExport(result, to: out)
            print("subject access export (\(counted(result["documents"]?.integer ?? 0, "document"))) written to \(out); "
                  + "review and redact it before disclosure; check it with: maracctl verify \(out)")
            return
        }
        // Ids, kinds, agencies and case numbers: never the names searched for.
        output(result, json: parts.options.has("--json")) { result in
            let hits = result.array ?? []
            for hit in hits {
                print("\(hit["case"]?.string ?? "(no case)")  \(hit["kind"]?.string ?? "?")  \(hit["document"]?.string ?? "?")  from \(hit["agency"]?.string ?? "?")")
            }
            print("\(counted(hits.count, "document")) about this person (the search is logged, the names are not)")
        }
    }

    /// The date of birth and names from `file` (`-` for standard input), or from prompts.
    static func person(from file: String?) throws -> (dob: String, names: [String]) {
        var lines: [String]
        if let file {
            let bytes = try readInputOrStandardInput(file, limit: 64 << 10)
            lines = String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        } else {
            guard isatty(STDIN_FILENO) == 1 else { throw CommandError.usage("give --subject-file FILE (or -), or run on a terminal to be asked") }
            printError("Date of birth (YYYY-MM-DD): ", newline: false)
            lines = [readLine() ?? ""]
            while true {
                printError("Name, variant or alias (an empty line ends): ", newline: false)
                guard let name = readLine(), !name.trimmingCharacters(in: .whitespaces).isEmpty else { break }
                lines.append(name)
            }
        }
        lines = lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let dob = lines.first, CalendarDate(dob) != nil else { throw CommandError(code: .dataError, message: "the first line must be the date of birth, YYYY-MM-DD") }
        guard lines.count >= 2 else { throw CommandError(code: .dataError, message: "give at least one name after the date of birth") }
        return (dob, Array(lines.dropFirst()))
    }
}
