import Exchange

// Every verb maracctl dispatches, in the order `maracctl --help` lists them. A verb the
// daemon answers takes `--socket PATH` or `--state DIR` to find it, and `--json`.

private let daemon = "Through the daemon: --socket PATH or --state DIR finds it (else $MARACD_SOCKET); --json prints JSON."

extension VerbHelp {
    static let catalog: [VerbHelp] = setup + meetings + afterMeetings + cases + governance + tools

    private static let setup: [VerbHelp] = [
        VerbHelp(command: "init", synopsis: "--state DIR [--key FILE] [--name NAME] [--organization ORG]",
                 about: """
                 Create a vault: the root key (--key, default DIR/root.key, mode 0400) and the signing identity.
                 --name and --organization go in the signing certificate's subject.
                 """,
                 example: "maracctl init --state /var/lib/maracd --name 'Northshire Marac'"),
        VerbHelp(command: "key status", synopsis: "[--state DIR | --socket PATH] [--key FILE] [--json]",
                 about: """
                 Key versions, data keys per agency, rewrap progress and the signing certificate's expiry.
                 Through the running daemon (a key custodian), else on the vault at --state.
                 """,
                 example: "maracctl key status --state /var/lib/maracd"),
        VerbHelp(command: "key rotate", synopsis: "--agency ID [--wait] | --root NEWKEYFILE | --signing [--name NAME]",
                 about: """
                 Rotate a key through the running daemon (key custodian) while it takes forms.
                 --agency ID: a new data key for that agency, rewrapped in the background (--wait shows progress).
                 --root NEWKEYFILE: a new root key, written to NEWKEYFILE. --signing: a new signing identity.
                 With the daemon stopped: --agency ID [--batch N] [--pause-ms N] | --root | --signing --state DIR [--key FILE].
                 """,
                 example: "maracctl key rotate --agency police --wait"),
        VerbHelp(command: "key resume", synopsis: "--state DIR [--key FILE] [--batch N] [--pause-ms N]",
                 about: """
                 Finish rotations a crash interrupted, on the vault (the daemon stopped; a running daemon resumes them itself).
                 """,
                 example: "maracctl key resume --state /var/lib/maracd"),
        VerbHelp(command: "key acknowledge-restore", synopsis: "--reason TEXT",
                 about: """
                 After a restore from backup, acknowledge it to the daemon, which holds until then (docs/audit.md, "A restore").
                 --reason says which backup and why; it goes in the log.
                 """,
                 example: "maracctl key acknowledge-restore --reason 'restored the 03:00 backup after disk failure'"),
        VerbHelp(command: "agency add", synopsis: "ID --name NAME --kind KIND [--cert FILE] --state DIR [--key FILE]",
                 about: """
                 Register an agency (a key custodian's verb; through the daemon when it runs, else offline).
                 --kind: \(AgencyKind.allCases.map(\.rawValue).joined(separator: ", ")).
                 --cert: its recipient certificate, RSA 2048+ or EC P-256, valid now.
                 """,
                 example: "maracctl agency add housing --name 'Northshire Homes' --kind housing --cert housing.pem --state /var/lib/maracd"),
        VerbHelp(command: "agency set-cert", synopsis: "ID --cert FILE --state DIR [--key FILE]",
                 about: "Replace an agency's recipient certificate (key custodian).",
                 example: "maracctl agency set-cert housing --cert housing-2027.pem --state /var/lib/maracd"),
        VerbHelp(command: "agency keygen", synopsis: "--out DIR --name CN [--organization O] [--kind ec|rsa] [--csr] [--days N]",
                 about: """
                 Make an agency's recipient key and a self-signed certificate (or with --csr a request for its CA).
                 Run it at the agency, never in a state directory; --days is the certificate's life.
                 """,
                 example: "maracctl agency keygen --out ./housing-keys --name 'Northshire Homes Marac'"),
        VerbHelp(command: "agency list", synopsis: "--state DIR [--key FILE] [--all] [--json]",
                 about: """
                 The registered agencies, each certificate's SHA-256 fingerprint and expiry; warns 30 days ahead.
                 --all includes agencies removed from the Marac.
                 """,
                 example: "maracctl agency list --state /var/lib/maracd"),
        VerbHelp(command: "status", synopsis: "[--socket PATH | --state DIR] [--json]",
                 about: """
                 The running daemon, who you are to it, and the signing certificate's fingerprint recipients check out of band.
                 """,
                 example: "maracctl status --state ./state"),
    ]

    private static let meetings: [VerbHelp] = [
        VerbHelp(command: "meeting create", synopsis: "--date YYYY-MM-DD",
                 about: """
                 Schedule a meeting (coordinator). A date in the past is refused; one more than a year ahead warns.
                 \(daemon)
                 """,
                 example: "maracctl meeting create --date 2027-01-14"),
        VerbHelp(command: "meeting list", synopsis: "", about: "The meetings you may see: ids, dates, states, invited agencies, cases.\n\(daemon)",
                 example: "maracctl meeting list"),
        VerbHelp(command: "meeting show", synopsis: "MEETING",
                 about: "One meeting, with its attendance: who declared, for which agency, when; observers and apologies.\n\(daemon)",
                 example: "maracctl meeting show MTG-2027-01-14"),
        VerbHelp(command: "meeting invite", synopsis: "MEETING AGENCY[,AGENCY]",
                 about: "Invite agencies to a scheduled meeting (coordinator).\n\(daemon)",
                 example: "maracctl meeting invite MTG-2027-01-14 police,housing,idva"),
        VerbHelp(command: "meeting add-case", synopsis: "MEETING CASE",
                 about: "Put a case on a scheduled meeting's agenda (coordinator).\n\(daemon)",
                 example: "maracctl meeting add-case MTG-2027-01-14 M-2027-0001"),
        VerbHelp(command: "meeting uninvite", synopsis: "MEETING AGENCY",
                 about: "A correction before the agenda goes out (coordinator): logged; refused once it has gone out.\n\(daemon)",
                 example: "maracctl meeting uninvite MTG-2027-01-14 education"),
        VerbHelp(command: "meeting remove-case", synopsis: "MEETING CASE",
                 about: "A correction before the agenda goes out (coordinator): logged; refused once it has gone out.\n\(daemon)",
                 example: "maracctl meeting remove-case MTG-2027-01-14 M-2027-0001"),
        VerbHelp(command: "meeting cancel", synopsis: "MEETING --reason TEXT",
                 about: """
                 Cancel a meeting created by mistake or no longer needed (coordinator), before its agenda goes out.
                 Its invitations, agenda and declarations are withdrawn; its cases may go on another meeting; its id is never reused.
                 --reason stays in the log: a purpose, never a name. Once the agenda is out, the chair closes the meeting instead.
                 \(daemon)
                 """,
                 example: "maracctl meeting cancel MTG-2027-01-14 --reason 'created twice by mistake'"),
        VerbHelp(command: "meeting reschedule", synopsis: "MEETING --date YYYY-MM-DD",
                 about: """
                 Move a meeting to another date (coordinator), before its agenda goes out.
                 A new meeting on that date takes its invitations and agenda; the old id is cancelled, naming the new one.
                 Declarations are made again for the new meeting.
                 \(daemon)
                 """,
                 example: "maracctl meeting reschedule MTG-2027-01-14 --date 2027-01-21"),
        VerbHelp(command: "meeting send-agenda", synopsis: "MEETING",
                 about: "Write a signed, encrypted agenda pack to each invited agency's outbox (coordinator).\n\(daemon)",
                 example: "maracctl meeting send-agenda MTG-2027-01-14"),
        VerbHelp(command: "meeting open", synopsis: "MEETING",
                 about: "Open the meeting (the chair): each agency whose representative has declared gets its meeting pack.\n\(daemon)",
                 example: "maracctl meeting open MTG-2027-01-14"),
        VerbHelp(command: "meeting declare", synopsis: "MEETING [--for NAME --agency A] [--yes]",
                 about: """
                 Make the meeting's confidentiality declaration: shows the statement and asks you to type yes.
                 --yes declares without asking (needed without a terminal).
                 --for NAME --agency A: the chair records an attendee's declaration.
                 \(daemon)
                 """,
                 example: "maracctl meeting declare MTG-2027-01-14"),
        VerbHelp(command: "meeting send-packs", synopsis: "MEETING",
                 about: "Send again the meeting packs owed to declared agencies (coordinator or chair).\n\(daemon)",
                 example: "maracctl meeting send-packs MTG-2027-01-14"),
        VerbHelp(command: "meeting close", synopsis: "MEETING",
                 about: "Close the meeting (the chair): revocation notices go to each agency that had a pack.\n\(daemon)",
                 example: "maracctl meeting close MTG-2027-01-14"),
        VerbHelp(command: "meeting observer", synopsis: "MEETING --agency A --name NAME [--declared]",
                 about: "Record an observer (chair or coordinator); --declared if they made the declaration.\n\(daemon)",
                 example: "maracctl meeting observer MTG-2027-01-14 --agency health --name 'A Student' --declared"),
        VerbHelp(command: "meeting apology", synopsis: "MEETING --agency A [--research-sent]",
                 about: "Record an agency's apologies (chair or coordinator); --research-sent if its research came.\n\(daemon)",
                 example: "maracctl meeting apology MTG-2027-01-14 --agency education --research-sent"),
        VerbHelp(command: "meeting send-minutes", synopsis: "MEETING",
                 about: "After the close: a signed, encrypted minutes pack to each agency that attended or owns an action (coordinator).\n\(daemon)",
                 example: "maracctl meeting send-minutes MTG-2027-01-14"),
    ]

    private static let afterMeetings: [VerbHelp] = [
        VerbHelp(command: "action add", synopsis: "MEETING CASE --owner A --due YYYY-MM-DD --risk victim|children|perpetrator|staff [--text-file F|-]",
                 about: """
                 An action of the plan, in session (chair, coordinator, or a declared representative for their own agency).
                 The text comes from --text-file (- for standard input) or a prompt, never the command line.
                 \(daemon)
                 """,
                 example: "maracctl action add MTG-2027-01-14 M-2027-0001 --owner housing --due 2027-01-28 --risk victim --text-file action.txt"),
        VerbHelp(command: "action update", synopsis: "ACTION --status in-progress|done|not-possible|blocked-by-changed-circumstances [--date YYYY-MM-DD] [--note-file F|-]",
                 about: "Progress on your agency's action (the owner only); --date is when, --note-file a note.\n\(daemon)",
                 example: "maracctl action update M-2027-0001-A1 --status done --date 2027-01-20"),
        VerbHelp(command: "action list", synopsis: "[--meeting M] [--agency A] [--open] [--overdue]",
                 about: "Actions: ids, owners, dates, statuses, never the text. Coordinator, chair and IG officers see all; others their agency's.\n\(daemon)",
                 example: "maracctl action list --overdue"),
        VerbHelp(command: "plan risks", synopsis: "MEETING CASE --file F",
                 about: "The case's risks as the meeting saw them (the chair), from a file.\n\(daemon)",
                 example: "maracctl plan risks MTG-2027-01-14 M-2027-0001 --file risks.txt"),
        VerbHelp(command: "plan idva", synopsis: "MEETING CASE --safe|--not-safe [--why-file F]",
                 about: "The Idva's confirmation that the plan is safe for the victim (the Idva); --why-file the reasons.\n\(daemon)",
                 example: "maracctl plan idva MTG-2027-01-14 M-2027-0001 --safe"),
        VerbHelp(command: "plan links", synopsis: "MEETING CASE CODE[,CODE]|none",
                 about: "The case's links to other processes (the chair), by code, or none.\n\(daemon)",
                 example: "maracctl plan links MTG-2027-01-14 M-2027-0001 none"),
    ]

    private static let cases: [VerbHelp] = [
        VerbHelp(command: "case list", synopsis: "[--meeting M] [--unscheduled]",
                 about: "The cases you may see; --meeting one meeting's, --unscheduled those on no meeting yet.\n\(daemon)",
                 example: "maracctl case list --unscheduled"),
        VerbHelp(command: "case show", synopsis: "CASE", about: "One case and the documents you may see in it.\n\(daemon)",
                 example: "maracctl case show M-2027-0001"),
        VerbHelp(command: "case close", synopsis: "CASE --reason TEXT",
                 about: "Close a case (coordinator): it takes no more research or iswc forms; logged with the reason, once.\n\(daemon)",
                 example: "maracctl case close M-2027-0001 --reason 'referred in error: not high risk'"),
        VerbHelp(command: "case hold", synopsis: "CASE --reason TEXT",
                 about: "A legal hold (IG officer or coordinator): retention erases none of the case's documents until released.\n\(daemon)",
                 example: "maracctl case hold M-2027-0001 --reason 'domestic homicide review'"),
        VerbHelp(command: "case release", synopsis: "CASE", about: "End a legal hold (IG officer or coordinator).\n\(daemon)",
                 example: "maracctl case release M-2027-0001"),
        VerbHelp(command: "doc read", synopsis: "DOC --basis CODE[,CODE] --reason TEXT",
                 about: """
                 A form, to standard output only; logged with its basis and reason.
                 The reason stays in the log for ever: a purpose, never a name.
                 \(daemon)
                 """,
                 example: "maracctl doc read doc_4f1c2a9e7b3d5a60 --basis dpa-s1-p18 --reason 'safety planning for the meeting'"),
    ]

    private static let governance: [VerbHelp] = [
        VerbHelp(command: "subject search", synopsis: "[--subject-file FILE|-] [--basis audit[,CODE]] --reason TEXT",
                 about: """
                 The documents about a person, by the blind index (IG officer).
                 Date of birth and names come from --subject-file or prompts, never the command line.
                 \(daemon)
                 """,
                 example: "maracctl subject search --subject-file subject.json --reason 'subject access request SAR-114'"),
        VerbHelp(command: "subject export", synopsis: "[--subject-file FILE|-] [--basis audit[,CODE]] --reason TEXT --out FILE",
                 about: "As subject search, and a signed export of every document found (IG officer).\n\(daemon)",
                 example: "maracctl subject export --subject-file subject.json --reason 'SAR-114' --out sar-114.p7m"),
        VerbHelp(command: "retention run", synopsis: "[--dry-run]",
                 about: "Erase the documents whose retention has ended, by case and kind (IG officer or coordinator; daily by itself).\n\(daemon)",
                 example: "maracctl retention run --dry-run"),
        VerbHelp(command: "data return", synopsis: "--quarter YYYYQn [--json | --csv]",
                 about: "The quarter's Marac data return for SafeLives: counts only, logged (coordinator or IG officer).\n\(daemon)",
                 example: "maracctl data return --quarter 2027Q1 --csv"),
        VerbHelp(command: "audit log", synopsis: "[--case C] [--agency A] [--principal NAME] [--operation OP] [--since T] [--until T]",
                 about: "The audit log an IG officer may see, as a table (itself logged); --since and --until take dates or times.\n\(daemon)",
                 example: "maracctl audit log --case M-2027-0001"),
        VerbHelp(command: "audit checkpoint", synopsis: "[--out FILE]", about: "A signed checkpoint of the log now.\n\(daemon)",
                 example: "maracctl audit checkpoint --out checkpoint-2027-01-14.pem"),
        VerbHelp(command: "audit report", synopsis: "[--since T] [--until T] [--json | --html FILE]",
                 about: "Disclosures, refusals and reads out of pattern, as a table, JSON or an HTML page (IG officer).\n\(daemon)",
                 example: "maracctl audit report --since 2027-01-01 --html report.html"),
        VerbHelp(command: "audit prove", synopsis: "ENTRY [--checkpoint FILE --certs FILE]",
                 about: "Inclusion (and, with --checkpoint, consistency) proofs of a log entry, checked here.\n\(daemon)",
                 example: "maracctl audit prove 1042"),
        VerbHelp(command: "audit verify", synopsis: "[--state DIR [--key FILE] [--witness DIR] [--checkpoint FILE]] [--json]",
                 about: """
                 Without --state: the daemon recomputes the log against its witness (IG officer).
                 With --state (offline): recompute the log, prove it consistent with every published checkpoint
                 (--witness, default DIR/witness, and --checkpoint), and check every document's and case's links.
                 """,
                 example: "maracctl audit verify --state /var/lib/maracd"),
        VerbHelp(command: "export case", synopsis: "CASE --out FILE --basis CODE[,CODE] --reason TEXT",
                 about: """
                 A signed export of the case's documents you may read and their log entries.
                 Another agency's documents need its approval first: exit 75 names the request.
                 \(daemon)
                 """,
                 example: "maracctl export case M-2027-0001 --out case.p7m --basis court-order --reason 'court order 2027/11'"),
        VerbHelp(command: "export list", synopsis: "",
                 about: "The export requests your agency made or is asked to approve: case, requester, date, who it waits for.\n\(daemon)",
                 example: "maracctl export list"),
        VerbHelp(command: "export show", synopsis: "REQUEST",
                 about: """
                 What an export request would take, before your agency approves it: the case, who asked, on what bases and why,
                 each document (id, kind, owner; never its content) and the approvals so far.
                 \(daemon)
                 """,
                 example: "maracctl export show exp_4f1c2a9e"),
        VerbHelp(command: "export approve", synopsis: "REQUEST", about: "Your agency's approval of an export of its documents (check it first with export show).\n\(daemon)",
                 example: "maracctl export approve exp_4f1c2a9e"),
        VerbHelp(command: "export audit", synopsis: "[--since T] [--until T] [--reason TEXT] --out FILE",
                 about: "A signed export of the log you may see, with an inclusion proof per entry and a checkpoint (IG officer).\n\(daemon)",
                 example: "maracctl export audit --since 2027-01-01 --out log.p7m"),
    ]

    private static let tools: [VerbHelp] = [
        VerbHelp(command: "schema export", synopsis: "--out DIR [--legal-bases FILE] [--agency ID]",
                 about: """
                 The form schemas with this deployment's legal basis codes (the daemon publishes the same in every outbox's schemas/),
                 and in DIR/forms/ a page per form that practitioners fill in a browser, offline (as in every outbox's forms/).
                 --agency fixes the agency's id in the pages; without it, a page asks for it.
                 """,
                 example: "maracctl schema export --out ./schemas"),
        VerbHelp(command: "verify", synopsis: "FILE [--cert FILE] [--json]",
                 about: "Check an export offline: signature, signer (--cert), every manifest hash and, for the log, every proof.",
                 example: "maracctl verify case.p7m --cert signing-certificates.pem"),
        VerbHelp(command: "open", synopsis: "PACK --key KEY --cert CERT [--signer CERT] [--agency ID] [--json]",
                 about: """
                 Decrypt and verify an agenda, meeting or minutes pack offline, with the agency's key and certificate.
                 Prints it only if the GCM tag, the signature and the recipient all check; writes no file.
                 --signer: the daemon's signing certificate (default signing-certificates.pem beside the pack).
                 """,
                 example: "maracctl open outbox/housing/agenda-MTG-2027-01-14.p7m --key housing.key --cert housing.pem"),
        VerbHelp(command: "bench", synopsis: "AREA [--json] [--seconds N] [--full]",
                 about: "Measure a performance area against a raw baseline (areas: \(BenchArea.allCases.map(\.rawValue).joined(separator: ", ")), all).",
                 example: "maracctl bench crypto --seconds 2"),
    ]
}
