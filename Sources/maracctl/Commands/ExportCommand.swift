import Exchange
import Foundation
import Glibc
import Vault

/// `maracctl export case CASE --out FILE --basis CODE[,CODE] --reason TEXT`,
/// `export audit [--since T] [--until T] [--reason TEXT] --out FILE` and
/// `export approve REQUEST`, `export list` and `export show REQUEST`: signed exports and
/// their approvals through the daemon (`docs/packs.md`).
struct ExportCommand {
    let arguments: [String]

    func run() throws {
        guard let verb = arguments.first else { throw CommandError.usage("export takes case, audit, approve, list or show") }
        let rest = Array(arguments.dropFirst())
        switch verb {
        case "case":
            let parts = try CommandLineParts(rest, valued: ["--out", "--basis", "--reason"], switches: [], positionals: ["CASE"])
            let out = try parts.options.required("--out")
            let args = JSONObject(["case": .string(parts.positionals[0]), "reason": .string(parts.options["--reason"] ?? ""),
                                   "bases": .array((parts.options["--basis"] ?? "").split(separator: ",").map { .string(String($0)) })])
            let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "export.case", args: args))
            if let request = result["request"]?.string {
                let agencies = (result["waitingFor"]?.array ?? []).compactMap(\.string).joined(separator: ", ")
                throw CommandError(code: .tempFail, message: "the export holds other agencies' documents: request \(request) waits for the approval "
                                   + "of \(agencies) (a principal of each checks it with maracctl export show \(request), "
                                   + "then runs: maracctl export approve \(request)); then run this again")
            }
            try writeExport(result, to: out)
            print("export of case \(parts.positionals[0]) (\(counted(result["documents"]?.integer ?? 0, "document"))) written to \(out), "
                  + "SHA-256 of its content \(result["sha256"]?.string ?? "?"); check it with: maracctl verify \(out)")
        case "audit":
            let parts = try CommandLineParts(rest, valued: ["--out", "--since", "--until", "--reason"], switches: [], positionals: [])
            let out = try parts.options.required("--out")
            var args = JSONObject(["reason": .string(parts.options["--reason"] ?? "")])
            if let since = parts.options["--since"] { args.set("since", .string(since)) }
            if let until = parts.options["--until"] { args.set("until", .string(until)) }
            let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "export.audit", args: args))
            try writeExport(result, to: out)
            print("export of \(result["entries"]?.integer ?? 0) log entries (log size \(result["size"]?.integer ?? 0)) written to \(out); "
                  + "check it with: maracctl verify \(out)")
        case "approve":
            let parts = try CommandLineParts(rest, valued: [], switches: [], positionals: ["REQUEST"])
            let result = try ControlClient(options: parts.options).call(ControlRequest(verb: "export.approve",
                                                                                      args: JSONObject(["request": .string(parts.positionals[0])])))
            let waiting = (result["waitingFor"]?.array ?? []).compactMap(\.string)
            print("export request \(parts.positionals[0]) approved" + (waiting.isEmpty ? "; it may now be exported" : "; still waiting for \(waiting.joined(separator: ", "))"))
        case "list", "show":
            let parts = try CommandLineParts(rest, valued: [], switches: [], positionals: verb == "show" ? ["REQUEST"] : [])
            let request = verb == "show"
                ? ControlRequest(verb: "export.show", args: JSONObject(["request": .string(parts.positionals[0])]))
                : ControlRequest(verb: "export.list")
            let result = try ControlClient(options: parts.options).call(request)
            output(result, json: parts.options.has("--json")) { result in
                if verb == "show" { print(Self.describe(result), terminator: "") } else { print(Self.table(result.array ?? []), terminator: "") }
            }
        default:
            throw CommandError.usage("export takes case, audit, approve, list or show")
        }
    }
}

extension ExportCommand {
    /// `export list`: a row per request under a header; ids, cases, agencies and dates.
    static func table(_ requests: [JSONValue]) -> String {
        guard !requests.isEmpty else { return "no export requests for your agency\n" }
        return aligned([["REQUEST", "CASE", "REQUESTED BY", "AGENCY", "ON", "WAITING FOR", "USED"]] + requests.map { r in
            let waiting = (r["waitingFor"]?.array ?? []).compactMap(\.string)
            return [r["request"]?.string ?? "?", r["case"]?.string ?? "?", r["requester"]?.string ?? "?", r["requesterAgency"]?.string ?? "?",
                    String((r["createdAt"]?.string ?? "?").prefix(10)), waiting.isEmpty ? "-" : waiting.joined(separator: ","),
                    r["usedAt"]?.string.map { String($0.prefix(10)) } ?? "-"]
        })
    }

    /// `export show`: what an approving agency needs to see before `export approve`:
    /// the case, who asked, on what bases and why, each document (id, kind, owner), and
    /// the approvals so far. Never a document's content.
    static func describe(_ r: JSONValue) -> String {
        description(r).split(separator: "\n", omittingEmptySubsequences: false).map { Disclosure.displayable(String($0)) }.joined(separator: "\n")
    }

    private static func description(_ r: JSONValue) -> String {
        let id = r["request"]?.string ?? "?"
        let bases = (r["bases"]?.array ?? []).compactMap(\.string)
        var text = """
            export request \(id) for case \(r["case"]?.string ?? "?")
              requested by \(r["requester"]?.string ?? "?") (\(r["requesterAgency"]?.string ?? "?")) at \(r["createdAt"]?.string ?? "?")
              bases:  \(bases.isEmpty ? "(not recorded)" : bases.joined(separator: ", "))
              reason: \(r["reason"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "(not recorded)")
              documents:

            """
        let documents = r["documents"]?.array ?? []
        if documents.isEmpty { text += "    (not recorded)\n" }
        text += aligned(documents.map { d in
            [d["document"]?.string ?? "?", d["kind"]?.string ?? "?", "from \(d["agency"]?.string ?? "?")" + (d["erased"]?.bool == true ? " (erased)" : "")]
        }).split(separator: "\n").map { "    \($0)\n" }.joined()
        text += "  approvals:\n"
        for approval in r["approvals"]?.array ?? [] {
            let agency = approval["agency"]?.string ?? "?"
            if let at = approval["approvedAt"]?.string {
                text += "    \(agency): approved by \(approval["approvedBy"]?.string ?? "?") at \(at)\n"
            } else {
                text += "    \(agency): waiting (a principal of \(agency) runs: maracctl export approve \(id))\n"
            }
        }
        if let used = r["usedAt"]?.string { text += "  exported at \(used): a request is used once\n" }
        return text
    }
}

/// `maracctl verify FILE [--cert FILE] [--json]` (offline): the signature, the signer
/// against the trust anchor given (or the published signing certificates beside the
/// file), and every manifest entry; for an audit export also the checkpoint's signature
/// and every entry's inclusion proof. Writes nothing; prints the manifest on success.
struct VerifyCommand {
    let arguments: [String]

    func run() throws {
        guard let path = arguments.first, !path.hasPrefix("--") else { throw CommandError.usage("verify needs an export file") }
        let options = try Options(Array(arguments.dropFirst()), valued: ["--cert"], switches: ["--json"])
        let message = try readInput(path, limit: 256 << 20)
        let trusted = try SignerTrust.certificates(pinned: options["--cert"], near: path, option: "--cert")
        let verified: CMS.VerifiedContent
        do { verified = try CMS.verify(message, trusting: trusted) } catch {
            throw CommandError(code: .dataError, message: "\(path): the signature does not verify against \(SignerTrust.describe(options["--cert"])) (\(error))")
        }
        let content: JSONValue, files: [ExportDocument.File]
        do {
            (content, files) = try ExportDocument.check(verified.content)
            if content["type"]?.string == "export-audit" { _ = try AuditExport.check(files, trusted: trusted) }
        } catch {
            throw CommandError(code: .dataError, message: "\(path): \(error)")
        }
        var summary = JSONObject(["verified": true, "type": content["type"] ?? .null, "createdAt": content["createdAt"] ?? .null,
                                  "signer": .string(verified.signer.subject), "files": .array(files.map { .string($0.name) })])
        if let number = content["case"] { summary.set("case", number) }
        output(.object(summary), json: options.has("--json")) { _ in
            print("verified: \(content["type"]?.string ?? "?")\(content["case"]?.string.map { " of case \($0)" } ?? ""), created "
                  + "\(content["createdAt"]?.string ?? "?"), signed by \(verified.signer.subject); every file matches the manifest")
            for file in files { print("  \(file.name)  \(file.bytes.count) bytes  sha256 \(Hex.encode(SHA256.hash(file.bytes)))") }
        }
    }
}

/// Writes the signed export to `path`: a new file, 0600, never over an existing one.
func writeExport(_ result: JSONValue, to path: String) throws {
    guard let encoded = result["export"]?.string, let bytes = Data(base64Encoded: encoded) else {
        throw CommandError(code: .dataError, message: "the daemon's answer holds no export")
    }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard fd >= 0 else { throw CommandError(code: .unavailable, message: "cannot create \(path): \(String(cString: strerror(errno))) (an export never replaces a file)") }
    defer { close(fd) }
    var offset = 0
    let ok = bytes.withUnsafeBytes { buffer -> Bool in
        while offset < buffer.count {
            let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 { if errno == EINTR { continue }; return false }
            offset += n
        }
        return fsync(fd) == 0
    }
    guard ok else {
        unlink(path)
        throw CommandError(code: .unavailable, message: "cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
