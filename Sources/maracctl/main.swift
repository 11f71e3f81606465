import Exchange
import Foundation
import Vault

// maracctl: the Marac control CLI. This build carries init, the offline key verbs and
// the benchmark entry point; the daemon's verbs (agency, case, doc, meeting, audit,
// export, verify, open) arrive with the issues that build them.

let usage = """
    usage: maracctl <command> [options]

    Commands in this build:
      init --state DIR [--key FILE] [--name NAME] [--organization ORG]
                                          create a vault: root key, signing identity
      key status [--state DIR | --socket PATH] [--key FILE] [--json]
                                          key versions, data keys per agency, rewrap progress,
                                          the signing certificate's expiry
      key rotate --agency ID [--wait] | --root NEWKEYFILE | --signing [--name NAME]
                                          through the running daemon (key custodian) while it
                                          takes forms; --wait shows the rewrap's progress;
                                          --root writes the new root key to NEWKEYFILE
      key rotate --agency ID [--batch N] [--pause-ms N] | --root | --signing --state DIR [--key FILE]
                                          on the vault, the daemon stopped (refused, 75, while it holds it)
      key resume --state DIR [--key FILE] [--batch N] [--pause-ms N]
                                          finish rotations interrupted by a crash (daemon stopped)
      agency add ID --name NAME --kind KIND [--cert FILE] --state DIR [--key FILE]
                                          register an agency (kinds: police, probation, health,
                                          childrens-services, housing, idva, mental-health,
                                          substance-misuse, education, adult-social-care, other);
                                          a certificate must be RSA 2048+ or EC P-256 and valid now;
                                          add, set-cert and list go through the daemon when
                                          it runs (a key custodian's verbs), else offline
      agency set-cert ID --cert FILE --state DIR [--key FILE]
                                          replace an agency's recipient certificate
      agency keygen --out DIR --name CN [--organization O] [--kind ec|rsa] [--csr] [--days N]
                                          make an agency's recipient key and a self-signed
                                          certificate (or a request for its CA), never in a
                                          state directory
      agency list --state DIR [--key FILE] [--all] [--json]
                                          the registered agencies, each certificate's SHA-256
                                          fingerprint and expiry; warns 30 days ahead
      status [--socket PATH | --state DIR] [--json]
                                          the running daemon, and who you are to it
      meeting create --date YYYY-MM-DD | list | show M | invite M AGENCY[,AGENCY] | add-case M CASE
              | send-agenda M | open M | close M | declare M [--for NAME --agency A] [--yes] | send-packs M
                                          meetings (coordinator; the chair opens and closes);
                                          send-agenda writes a signed, encrypted agenda pack to
                                          each invited agency, open and late declarations their
                                          meeting packs, close the revocation notices
      meeting uninvite M AGENCY | remove-case M CASE
                                          corrections before the agenda goes out (coordinator);
                                          each logged; refused once it has gone out
      meeting send-minutes M              after the close: a signed, encrypted minutes pack to each
                                          agency that attended or owns an action (coordinator)
      meeting observer M --agency A --name NAME [--declared] | apology M --agency A [--research-sent]
                                          attendance besides the declarations (chair or coordinator)
      action add M CASE --owner A --due YYYY-MM-DD --risk victim|children|perpetrator|staff [--text-file F|-]
                                          an action of the plan, in session (chair, coordinator, or a
                                          declared representative for their own agency); the text
                                          from a file or a prompt, never the command line
      action update ACTION --status in-progress|done|not-possible|blocked-by-changed-circumstances
              [--date YYYY-MM-DD] [--note-file F|-]
                                          progress on your agency's action (the owner only)
      action list [--meeting M] [--agency A] [--open] [--overdue]
                                          actions: ids, owners, dates, statuses, never the text
      plan risks M CASE --file F | plan idva M CASE --safe|--not-safe [--why-file F] | plan links M CASE CODE[,CODE]|none
                                          the case's plan in session: risks and links (chair),
                                          the Idva's confirmation (the Idva)
      case list [--meeting M] [--unscheduled] | case show CASE
                                          the cases, and their documents, you may see
      case close CASE --reason TEXT       close a case (coordinator): no more research or iswc forms
      case hold CASE --reason TEXT | case release CASE
                                          a legal hold: retention keeps the case's documents
      schema export --out DIR [--legal-bases FILE]
                                          the three form schemas with this deployment's legal
                                          basis codes as an enum (the daemon publishes the same
                                          in every outbox's schemas/)
      subject search|export [--subject-file FILE|-] [--basis audit[,CODE]] --reason TEXT [--out FILE]
                                          the documents about a person, by the blind index (IG
                                          officer): date of birth and names from the file or
                                          prompts, never the command line; export signs them all
      retention run [--dry-run]           erase the documents whose retention has ended, by case
                                          and kind (IG officer or coordinator; daily by itself)
      data return --quarter YYYYQn [--json | --csv]
                                          the quarter's Marac data return for SafeLives: meetings
                                          held, cases heard, repeats, referrals, equality counts
                                          (coordinator or IG officer; counts only, logged)
      doc read DOC --basis CODE[,CODE] --reason TEXT
                                          a form, to standard output only; logged with its basis
                                          and reason (kept for ever in the log: a purpose, never a name)
      audit log [--case C] [--agency A] [--principal NAME] [--operation OP] [--since T] [--until T]
                                          the audit log an IG officer may see (itself logged)
      audit checkpoint [--out FILE]       a signed checkpoint of the log now
      audit report [--since T] [--until T] [--json | --html FILE]
                                          disclosures, refusals and reads out of pattern
      audit prove ENTRY [--checkpoint FILE]
                                          inclusion (and consistency) proofs, checked here
      audit verify                        the daemon recomputes the log against its witness (IG officer)
      audit verify --state DIR [--key FILE] [--witness DIR] [--checkpoint FILE] [--json]
                                          recompute the log, prove it consistent with every
                                          published checkpoint (default witness: DIR/witness),
                                          and check every document's and case's links
      export case CASE --out FILE --basis CODE[,CODE] --reason TEXT
                                          a signed export of the case's documents you may read
                                          and their log entries; another agency's documents
                                          need its approval first (exit 75 names the request)
      export approve REQUEST              your agency's approval of an export of its documents
      export audit [--since T] [--until T] [--reason TEXT] --out FILE
                                          a signed export of the log you may see, with an
                                          inclusion proof per entry and a checkpoint (IG officer)
      verify FILE [--cert FILE] [--json]  check an export offline: signature, signer, every
                                          manifest hash (and, for the log, every proof)
      open PACK --key KEY --cert CERT [--signer CERT] [--agency ID] [--json]
                                          decrypt and verify an agenda or meeting pack offline;
                                          prints it (a table, or --json) only if the GCM tag,
                                          the signature and the recipient all check; writes no file
      bench AREA [--json] [--seconds N] [--full]
                                          measure a performance area against a raw baseline
                                          (areas: \(BenchArea.allCases.map(\.rawValue).joined(separator: ", ")), all)
      --version                           print the version
      --help                              print this help

    The daemon's verbs find its socket from --socket, $MARACD_SOCKET, --state DIR
    (DIR/run/maracd.sock) or /run/maracd/maracd.sock.

    Exit status: 0 ok, 64 usage, 65 bad data, 66 cannot read input, 69 unavailable
    (the daemon is not running), 75 try again later, 77 permission denied.
    """

func run(_ arguments: [String]) throws {
    guard let command = arguments.first else { throw CommandError.usage("no command given") }
    switch command {
    case "--help", "-h", "help":
        print(usage)
    case "--version":
        print("maracctl \(Product.version) (\(SystemLibraries.openSSL); SQLite \(SystemLibraries.sqlite))")
    case "init":
        try InitCommand(arguments: Array(arguments.dropFirst())).run()
    case "key":
        try KeyCommand(arguments: Array(arguments.dropFirst())).run()
    case "agency":
        try AgencyCommand(arguments: Array(arguments.dropFirst())).run()
    case "status":
        try StatusCommand(arguments: Array(arguments.dropFirst())).run()
    case "meeting":
        try MeetingCommand(arguments: Array(arguments.dropFirst())).run()
    case "case":
        try CaseCommand(arguments: Array(arguments.dropFirst())).run()
    case "doc":
        try DocCommand(arguments: Array(arguments.dropFirst())).run()
    case "audit":
        try AuditCommand(arguments: Array(arguments.dropFirst())).run()
    case "schema":
        try SchemaCommand(arguments: Array(arguments.dropFirst())).run()
    case "subject":
        try SubjectCommand(arguments: Array(arguments.dropFirst())).run()
    case "action":
        try ActionCommand(arguments: Array(arguments.dropFirst())).run()
    case "plan":
        try PlanCommand(arguments: Array(arguments.dropFirst())).run()
    case "data":
        try DataCommand(arguments: Array(arguments.dropFirst())).run()
    case "retention":
        try RetentionCommand(arguments: Array(arguments.dropFirst())).run()
    case "export":
        try ExportCommand(arguments: Array(arguments.dropFirst())).run()
    case "verify":
        try VerifyCommand(arguments: Array(arguments.dropFirst())).run()
    case "open":
        try OpenCommand(arguments: Array(arguments.dropFirst())).run()
    case "bench":
        try BenchCommand(arguments: Array(arguments.dropFirst())).run()
    default:
        throw CommandError.usage("unknown command \(CommandError.quoted(command))")
    }
}

do {
    try run(Array(CommandLine.arguments.dropFirst()))
} catch let error as CommandError {
    printError("maracctl: \(error.message)")
    if error.showsUsage { printError(usage) }
    exit(error.code.rawValue)
} catch {
    printError("maracctl: \(safeDescription(of: error))")
    exit(ExitCode.software.rawValue)
}
