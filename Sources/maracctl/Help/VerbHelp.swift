/// One verb's help: how it is called, what it does, and one example. `maracctl --help`
/// prints every entry; `maracctl VERB [SUB] --help` prints that verb's; a usage error prints
/// the usage lines of the verb it was in, never the whole summary.
struct VerbHelp {
    /// The words that name the verb: "meeting create", "status".
    let command: String
    /// Its arguments and flags: "--date YYYY-MM-DD".
    let synopsis: String
    /// What it does, who may, and what each flag means; one sentence per line.
    let about: String
    /// One command line a user could adapt.
    let example: String

    /// `maracctl meeting create --date YYYY-MM-DD`.
    var usageLine: String { "maracctl \(command)" + (synopsis.isEmpty ? "" : " \(synopsis)") }

    /// The entries for the verb `arguments` name: those for its sub-verb when the second
    /// word is one, else every entry of its first word; none for an unknown command.
    static func entries(for arguments: [String]) -> [VerbHelp] {
        guard let first = arguments.first else { return [] }
        if arguments.count > 1 {
            let exact = catalog.filter { $0.command == "\(first) \(arguments[1])" }
            if !exact.isEmpty { return exact }
        }
        return catalog.filter { $0.command == first || $0.command.hasPrefix(first + " ") }
    }

    /// `maracctl VERB --help`: each entry's usage, its description and its example.
    static func detailed(_ entries: [VerbHelp]) -> String {
        entries.map { entry in
            "usage: \(entry.usageLine)\n\n"
                + entry.about.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
                + "\n\nexample:\n  \(entry.example)\n"
        }.joined(separator: "\n")
    }

    /// What a usage error prints after its one-line message: the verb's usage lines and
    /// where its help is, or the list of commands when the command itself was unknown.
    static func brief(for arguments: [String]) -> String {
        let entries = entries(for: arguments)
        guard !entries.isEmpty else {
            return "commands: \(commands.joined(separator: ", ")) (maracctl --help for each)"
        }
        let words = Set(entries.map { $0.command }).count == 1 ? entries[0].command : String(arguments[0])
        return entries.map { "usage: \($0.usageLine)" }.joined(separator: "\n") + "\n(maracctl \(words) --help for more)"
    }

    /// The top-level commands, in the catalogue's order.
    static var commands: [String] {
        var seen: [String] = []
        for entry in catalog {
            let word = String(entry.command.split(separator: " ")[0])
            if !seen.contains(word) { seen.append(word) }
        }
        return seen
    }

    /// `maracctl --help`: every entry's usage and first line, the socket rule and the exit statuses.
    static var summary: String {
        var text = "usage: maracctl <command> [options]    (maracctl <command> --help: its flags and an example)\n\n"
        for entry in catalog {
            text += "  \(entry.command)" + (entry.synopsis.isEmpty ? "" : " \(entry.synopsis)") + "\n"
            text += "        \(entry.about.split(separator: "\n").first ?? "")\n"
        }
        text += """
              --version
                    print the version
              --help
                    print this help

            The daemon's verbs find its socket from --socket, $MARACD_SOCKET, --state DIR
            (DIR/run/maracd.sock) or /run/maracd/maracd.sock.

            Exit status: 0 ok, 64 usage, 65 bad data, 66 cannot read input, 69 unavailable
            (the daemon is not running), 75 try again later, 77 permission denied.
            """
        return text
    }
}
