import Exchange
import Foundation
import Vault

/// `maracctl audit log | checkpoint | prove`: the IG officer's verbs through the daemon.
/// `prove` checks the proofs it is given here, with the RFC 9162 verifiers, before saying so.
enum AuditDaemonVerbs {
    static func log(_ arguments: [String]) throws {
        let parts = try CommandLineParts(arguments, valued: ["--case", "--agency", "--principal", "--operation", "--since", "--until"],
                                         switches: [], positionals: [])
        _ = try filter(parts.options, operation: true)
        var args = JSONObject()
        for (option, key) in [("--case", "case"), ("--agency", "agency"), ("--principal", "principal"), ("--operation", "operation"),
                              ("--since", "since"), ("--until", "until")] {
            if let value = parts.options[option] { args.set(key, .string(value)) }
        }
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "audit.log", args: args))
        output(result, json: parts.options.has("--json")) { result in
            print("log of \(result["size"]?.integer ?? 0) entries, root \(result["root"]?.string ?? "?")")
            // Entries carry ids, codes, case numbers, the acting principal's name (s.62
            // requires the person's identity) and the justification (fixed words, or the
            // reader's reason as written). Never a form's content: the log holds none.
            var rows = [["SEQ", "TIME", "OPERATION", "ACTOR", "CASE", "MEETING", "RECORDS", "TO", "BASES", "RULE/ACTION", "JUSTIFICATION"]]
            for item in result["entries"]?.array ?? [] {
                let e = item["entry"] ?? .null
                func list(_ key: String) -> String {
                    let items = e[key]?.array?.compactMap(\.string) ?? []
                    return items.isEmpty ? "-" : items.joined(separator: ",")
                }
                let actor = e["actor"]?["person"]?.string.map { "\($0) (\(e["actor"]?["agency"]?.string ?? "?"))" }
                    ?? e["actor"]?["agency"]?.string ?? e["actor"]?.string ?? "?"
                let what = e["details"]?["rule"]?.string ?? e["details"]?["action"]?.string ?? e["details"]?["what"]?.string ?? "-"
                rows.append([String(item["seq"]?.integer ?? -1), e["time"]?.string ?? "?", (e["operation"] ?? e["op"])?.string ?? "?", actor,
                             e["case"]?.string ?? "-", e["meeting"]?.string ?? "-", list("records"), list("recipients"), list("bases"), what,
                             (e["justification"]?.string ?? "-").replacingOccurrences(of: "\n", with: " ")])
            }
            print(aligned(rows), terminator: "")
        }
    }

    /// `--since`, `--until` (and `--operation`) parsed strictly, before anything is asked
    /// of the daemon; a usage error (exit 64) with the forms accepted.
    static func filter(_ options: Options, operation: Bool) throws -> AuditFilter {
        do {
            return try AuditFilter(since: options["--since"], until: options["--until"], operation: operation ? options["--operation"] : nil)
        } catch let invalid as AuditFilter.Invalid {
            throw CommandError.usage(invalid.message)
        }
    }

    static func verify(_ arguments: [String]) throws {
        let parts = try CommandLineParts(arguments, valued: [], switches: [], positionals: [])
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "audit.verify"))
        output(result, json: parts.options.has("--json")) { r in
            print("log verified by the daemon: \(r["size"]?.integer ?? 0) entries, root \(r["root"]?.string ?? "?")")
            print("  \(r["nodes"]?.integer ?? 0) stored hashes recomputed, \(r["storedCheckpoints"]?.integer ?? 0) stored checkpoints checked")
            print("  consistent with \(r["publishedCheckpoints"]?.integer ?? 0) published checkpoint(s) in the witness directory")
            for restore in r["restores"]?.array ?? [] {
                print(AuditCommand.describe(["entry", "restoredSize", "lostUpTo", "lostCheckpoints"].reduce(into: [:]) { $0[$1] = restore[$1]?.integer }))
            }
            print("  \(r["caseLinks"]?.integer ?? 0) case(s) and \(r["attachmentLinks"]?.integer ?? 0) attachment(s) agree with their documents' bound links")
            print("  \(r["facts"]?.integer ?? 0) fact row(s) equal the log's replay of \(r["factChanges"]?.integer ?? 0) change(s); "
                  + "\(r["packCertificates"]?.integer ?? 0) pack certificate(s) match the registry's history")
            print("  (check it without trusting the daemon: scripts/verify-log.py, docs/audit.md)")
        }
    }

    static func checkpoint(_ arguments: [String]) throws {
        let parts = try CommandLineParts(arguments, valued: ["--out"], switches: [], positionals: [])
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "audit.checkpoint"))
        let text = result["checkpoint"]?.string ?? ""
        if let out = parts.options["--out"] {
            guard FileManager.default.createFile(atPath: out, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
                throw CommandError(code: .unavailable, message: "cannot write \(out)")
            }
            print("checkpoint at size \(result["size"]?.integer ?? 0) written to \(out)")
        } else {
            print(text, terminator: "")
        }
    }

    static func prove(_ arguments: [String]) throws {
        let parts = try CommandLineParts(arguments, valued: ["--checkpoint", "--certs"], switches: [], positionals: ["ENTRY"])
        guard let seq = Int(parts.positionals[0]), seq >= 0 else { throw CommandError.usage("ENTRY is a log sequence number") }
        var args = JSONObject(["entry": .number(Double(seq))])
        var checkpoint: Checkpoint?
        if let file = parts.options["--checkpoint"] {
            // A checkpoint is evidence only once its signature is checked, here, against the
            // certificates the IG officer holds: never against anything the daemon says now.
            guard let certsFile = parts.options["--certs"] else {
                throw CommandError.usage("--checkpoint needs --certs FILE (signing-certificates.pem from your outbox) to check its signature")
            }
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandError(code: .noInput, message: "cannot read \(file)") }
            guard let pem = FileManager.default.contents(atPath: certsFile) else { throw CommandError(code: .noInput, message: "cannot read \(certsFile)") }
            let text = String(decoding: data, as: UTF8.self)
            let parsed: Checkpoint
            do { parsed = try Checkpoint.parse(text) } catch { throw CommandError(code: .dataError, message: "\(file) is not a checkpoint") }
            let certificates = (try? Certificate.all(pemBundle: pem)) ?? []
            guard certificates.contains(where: { (try? parsed.verify(with: $0)) != nil }) else {
                throw CommandError(code: .dataError, message: "the checkpoint's signature does not verify with any certificate in \(certsFile)")
            }
            checkpoint = parsed
            args.set("checkpoint", .string(text))
        } else if parts.options["--certs"] != nil {
            throw CommandError.usage("--certs goes with --checkpoint")
        }
        let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "audit.prove", args: args))
        func hashes(_ key: String) -> [[UInt8]] { (result[key]?.array ?? []).compactMap { $0.string.flatMap(Hex.decode) } }
        guard let raw = result["raw"]?.string.flatMap({ Data(base64Encoded: $0) }), let size = result["size"]?.integer,
              let root = result["root"]?.string.flatMap({ Data(base64Encoded: $0) }).map(Array.init) else {
            throw CommandError(code: .dataError, message: "the daemon's proof is incomplete")
        }
        // Check here what the daemon claims: the entry's hash, and the path to the root.
        guard MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(raw), index: seq, size: size, proof: hashes("inclusion"), root: root) else {
            throw CommandError(code: .dataError, message: "the inclusion proof for entry \(seq) does not verify")
        }
        var lines = ["entry \(seq) is in the log of \(size) entries (root \(Data(root).base64EncodedString())): the inclusion proof verifies"]
        if let checkpoint {
            guard MerkleTree.verifyConsistency(oldSize: checkpoint.head.size, newSize: size, oldRoot: checkpoint.head.root, newRoot: root,
                                               proof: hashes("consistency")) else {
                throw CommandError(code: .dataError, message: "the log is not consistent with the checkpoint at size \(checkpoint.head.size)")
            }
            lines.append("the log is consistent with the checkpoint at size \(checkpoint.head.size): the consistency proof verifies")
        }
        output(result, json: parts.options.has("--json")) { _ in lines.forEach { print($0) } }
    }
}
