import Exchange
import Foundation
import Vault

/// `maracctl audit verify`, offline: recomputes the whole log from the vault at
/// `--state` (which needs the root key, to authenticate the signing certificates) and
/// proves it consistent with every checkpoint published outside the database: the
/// witness directory (`--witness DIR`, default `<state>/witness`) and `--checkpoint FILE`;
/// then checks every case's and attachment's links against the documents' bound records.
struct AuditCommand {
    let verb: String
    let options: Options

    init(arguments: [String]) throws {
        guard let verb = arguments.first, ["verify", "log", "checkpoint", "prove", "report"].contains(verb) else {
            throw CommandError.usage("audit takes verify, log, checkpoint, prove or report")
        }
        self.verb = verb
        let onDaemon = verb == "verify" && !arguments.contains("--state")
        options = verb == "verify" && !onDaemon
            ? try Options(Array(arguments.dropFirst()), valued: ["--state", "--key", "--witness", "--checkpoint"], switches: ["--json"])
            : try Options([], valued: [], switches: [])
        self.arguments = Array(arguments.dropFirst())
    }

    private let arguments: [String]

    func run() throws {
        switch verb {
        case "log": return try AuditDaemonVerbs.log(arguments)
        case "checkpoint": return try AuditDaemonVerbs.checkpoint(arguments)
        case "prove": return try AuditDaemonVerbs.prove(arguments)
        case "report": return try AuditReportCommand.run(arguments)
        default:
            // With --state (and the root key): offline. Without: the daemon checks for an IG officer.
            if options["--state"] == nil { return try AuditDaemonVerbs.verify(arguments) }
            try verify()
        }
    }

    private func verify() throws {
        let vault = try openVault(options)
        let state = try options.required("--state")
        let witness = options["--witness"] ?? state + "/witness"
        var published: [(file: String, checkpoint: Checkpoint)] = []
        if options["--witness"] != nil || FileManager.default.fileExists(atPath: witness) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: witness) else {
                throw CommandError(code: .noInput, message: "cannot read the witness directory \(witness)")
            }
            for name in names.sorted() where name.hasPrefix("checkpoint-") && name.hasSuffix(".txt") {
                published.append((witness + "/" + name, try Self.load(witness + "/" + name)))
            }
        }
        if let file = options["--checkpoint"] { published.append((file, try Self.load(file))) }
        let result: LogVerification
        let restores: [RestoreRecord]
        let links: CaseLinkVerification
        let facts: FactVerification
        do {
            let marac = try Marac(vault: vault)
            (result, restores) = try marac.verifyLog(published: published.map(\.checkpoint))
            facts = try marac.verifyFacts()
            links = try marac.verifyCaseLinks()
        } catch let error as VaultError {
            throw CommandError(error)
        } catch let error as ExchangeError {
            throw CommandError(code: .dataError, message: error.description)
        }
        let root = Data(result.head.root).base64EncodedString()
        if options.has("--json") {
            let object: [String: Any] = ["verified": true, "size": result.head.size, "root": root, "nodes": result.nodesChecked,
                                         "storedCheckpoints": result.checkpointsChecked,
                                         "publishedCheckpoints": published.map(\.file),
                                         "caseLinks": links.cases, "attachmentLinks": links.attachments,
                                         "facts": facts.rows, "factChanges": facts.changes, "packCertificates": facts.certificates,
                                         "lostCheckpoints": result.lostInRestores,
                                         "restores": restores.map { ["entry": $0.entry, "restoredSize": $0.restoredSize, "lostUpTo": $0.lostUpTo,
                                                                     "lostCheckpoints": $0.lost.count] }]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("log verified: \(result.head.size) entries, root \(root)")
            print("  \(result.nodesChecked) stored hashes recomputed, \(result.checkpointsChecked) stored checkpoints checked")
            print("  consistent with \(published.count - result.lostInRestores) published checkpoint(s)"
                  + (published.last.map { ", the newest at size \($0.checkpoint.head.size)" } ?? ""))
            for restore in restores { print(Self.describe(restore)) }
            print("  \(links.cases) case(s) and \(links.attachments) attachment(s) agree with their documents' bound links")
            print("  \(facts.rows) fact row(s) equal the log's replay of \(facts.changes) change(s); "
                  + "\(facts.certificates) pack certificate(s) match the registry's history")
        }
    }

    /// One line for a recorded restore, as both verifications print it.
    static func describe(_ restore: [String: Int]) -> String {
        "  restore acknowledged at entry \(restore["entry"] ?? 0): the log was rolled back to \(restore["restoredSize"] ?? 0) entries; "
            + "entries \(restore["restoredSize"] ?? 0) to \((restore["lostUpTo"] ?? 1) - 1) of the earlier history were lost "
            + "(\(restore["lostCheckpoints"] ?? 0) published checkpoint(s) name them)"
    }

    static func describe(_ restore: RestoreRecord) -> String {
        describe(["entry": restore.entry, "restoredSize": restore.restoredSize, "lostUpTo": restore.lostUpTo, "lostCheckpoints": restore.lost.count])
    }

    private static func load(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError(code: .noInput, message: "cannot read checkpoint \(path)")
        }
        do {
            return try Checkpoint.parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw CommandError(code: .dataError, message: "\(path) is not a checkpoint (\(safeDescription(of: error)))")
        }
    }
}
