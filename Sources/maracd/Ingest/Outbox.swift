import Exchange
import Foundation
import Glibc
import Vault

/// `<state>/outbox/<agency>/`: signed receipts for stored forms (`receipts/`),
/// rejection reports (`rejected/`), signed log checkpoints for an agency with an IG
/// officer (`checkpoints/`, never pruned), agenda and meeting packs (`agenda/`, `meeting/`,
/// removed when their meeting closes: `docs/packs.md`), minutes packs (`minutes/`) and
/// notices of overdue actions (`notices/`, `docs/actions.md`), this deployment's form schemas
/// (`schemas/`), and the daemon's signing certificates to verify
/// receipts, checkpoints and packs with (`signing-certificates.pem`).
final class Outbox: Sendable {
    let agency: String
    let receipts: Directory
    let rejected: Directory
    let checkpoints: Directory
    let agenda: Directory
    let meeting: Directory
    let minutes: Directory
    let notices: Directory
    let schemas: Directory
    let forms: Directory
    let root: Directory
    let fileMode: mode_t

    /// The outbox of `agency`, its directories made if missing. Only the ingest service,
    /// which owns the outbox's writes, sweeps (`sweep`) the temporaries a crash left: a
    /// second sweeper (the control thread writing a pack) could remove a temporary the
    /// receipt stage is about to rename.
    init(state: String, agency: String, groupAccess: Bool, sweep: Bool = false) throws {
        self.agency = agency
        let dirMode: mode_t = groupAccess ? 0o750 : 0o700
        fileMode = groupAccess ? 0o640 : 0o600
        _ = try Directory.ensure(state + "/outbox", mode: 0o700)
        root = try Directory.ensure(state + "/outbox/" + agency, mode: dirMode)
        receipts = try Directory.ensure(root.path + "/receipts", mode: dirMode)
        rejected = try Directory.ensure(root.path + "/rejected", mode: dirMode)
        checkpoints = try Directory.ensure(root.path + "/checkpoints", mode: dirMode)
        agenda = try Directory.ensure(root.path + "/agenda", mode: dirMode)
        meeting = try Directory.ensure(root.path + "/meeting", mode: dirMode)
        minutes = try Directory.ensure(root.path + "/minutes", mode: dirMode)
        notices = try Directory.ensure(root.path + "/notices", mode: dirMode)
        schemas = try Directory.ensure(root.path + "/schemas", mode: dirMode)
        forms = try Directory.ensure(root.path + "/forms", mode: dirMode)
        // A crash between writing a temporary and renaming it leaves the temporary; the
        // file it was for is still in the inbox and will be written again.
        for directory in [root, receipts, rejected, checkpoints, agenda, meeting, minutes, notices, schemas, forms] where sweep {
            for name in try directory.names() where name.bytes.starts(with: Array(".tmp-".utf8)) { try directory.remove(name) }
        }
    }

    /// Removes receipts and reports last modified before `cutoff`; returns how many.
    func prune(olderThan cutoff: Date) throws -> Int {
        var removed = 0
        for directory in [receipts, rejected] {
            for name in try directory.names() {
                guard let info = try directory.status(name), info.st_mode & S_IFMT == S_IFREG,
                      Double(info.st_mtim.tv_sec) < cutoff.timeIntervalSince1970 else { continue }
                try directory.remove(name)
                removed += 1
            }
        }
        return removed
    }

    /// Publishes the certificates receipts are signed with (PEM, newest last).
    func publish(certificates: [Certificate]) throws {
        try root.writeAtomically("signing-certificates.pem", Array(certificates.map(\.pemRepresentation).joined().utf8), mode: fileMode)
    }

    /// Publishes this deployment's form schemas (`schemas/*.schema.json`): the agency's
    /// pre-send check then knows the legal basis codes the daemon takes.
    func publish(schemas files: [(name: String, bytes: [UInt8])]) throws {
        for (name, bytes) in files { try schemas.writeAtomically(name, bytes, mode: fileMode) }
    }

    /// Writes the fillable form pages for this agency (`docs/forms.md`, "Forms agencies
    /// fill in"), made from the same schemas, legal bases and thresholds.
    func publish(forms pages: FormPage) throws {
        for (name, bytes) in pages.files(for: agency) {
            try forms.writeAtomically(name, bytes, mode: fileMode)
        }
    }

    // MARK: - Names

    /// The name outbox files about a submission share: the first 32 hex digits of
    /// SHA-256 of the bytes taken (`<id>.receipt`, `<id>.rejected.json`), so an agency
    /// finds the receipt for a file with `sha256sum`, a form sent again under its old name
    /// never overwrites another form's receipt, and the same bytes taken again after a
    /// crash get the same name instead of a second receipt. A refused object that was
    /// never read (a link, a FIFO, a directory, a file over the hard cap) gets a random id.
    /// The inbox file name is never part of a name: agencies often make it from a
    /// person's name and date of birth (`docs/operations.md`, "Outbox").
    static func id(content: [UInt8]?) -> String {
        if let content { return id(digest: SHA256.hash(content)) }
        return "unread-" + String(Hex.encode((try? SecureRandom.bytes(12)) ?? []))
    }

    /// As `id(content:)`, from the content's SHA-256 already computed.
    static func id(digest: [UInt8]) -> String { String(Hex.encode(digest).prefix(32)) }

    // MARK: - Receipts and reports

    /// The receipt for a stored form: JSON content in CMS SignedData (DER), which
    /// `openssl cms -verify -inform DER -CAfile signing-certificates.pem` checks and prints.
    ///
    /// It says only what the agency itself sent and what became of it: never whether the
    /// victim was referred before (a repeat link would tell one agency about another's
    /// referral, a disclosure with no legal basis and no log entry; the coordinator sees
    /// repeats through the case list). The file's name appears only as its SHA-256.
    /// Made here; signed and written by `OutboxFile.write()`.
    func receipt(nameSHA256: String, form: AcceptedForm, signer: CMSSigner) -> OutboxFile {
        var content = JSONObject()
        content.set("v", 2)
        content.set("agency", .string(agency))
        content.set("fileNameSHA256", .string(nameSHA256))
        content.set("document", .string(form.document))
        content.set("kind", .string(form.kind.rawValue))
        content.set("sha256", .string(Hex.encode(form.digest)))
        content.set("receivedAt", .string(LogEntry.timestamp(form.receivedAt)))
        if let number = form.caseNumber { content.set("case", .string(number.description)) }
        let json = JSONValue.object(content).canonicalBytes
        return OutboxFile(directory: receipts, name: Self.id(digest: form.digest) + ".receipt", content: .signed(json, signer), mode: fileMode)
    }

    /// Writes the rejection report (see `report`) now; returns its name.
    func writeReport(nameSHA256: String, bytes: [UInt8]?, problems: [(path: String, rule: String, message: String)],
                     disposition: String, kind: FormKind?, retentionDays: Int?, name: String? = nil) throws -> String {
        let report = try report(nameSHA256: nameSHA256, bytes: bytes, problems: problems, disposition: disposition, kind: kind,
                                retentionDays: retentionDays, name: name)
        try report.write()
        return report.name
    }

    /// The rejection report: every problem by JSON path and rule; no value from the file.
    /// Named by `id(content:)` unless `name` is given.
    func report(nameSHA256: String, bytes: [UInt8]?, problems: [(path: String, rule: String, message: String)],
                disposition: String, kind: FormKind?, retentionDays: Int?, name: String? = nil) throws -> OutboxFile {
        var report: [String: Any] = [
            "v": 2, "agency": agency, "fileNameSHA256": nameSHA256, "verdict": "rejected",
            "time": LogEntry.timestamp(Date()), "disposition": disposition,
            "problems": problems.map { ["path": $0.path, "rule": $0.rule, "message": $0.message] },
        ]
        if let bytes { report["sha256"] = Hex.encode(SHA256.hash(bytes)) }
        if let kind { report["form"] = kind.rawValue }
        if let retentionDays { report["retentionDays"] = retentionDays }
        let json = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return OutboxFile(directory: rejected, name: (name ?? Self.id(content: bytes)) + ".rejected.json", content: .plain([UInt8](json) + [0x0A]),
                          mode: fileMode)
    }
}

/// A receipt or report, made on the ingest thread and signed and written by the receipt
/// stage (`ReceiptStage`): atomically under its name, not yet synced.
struct OutboxFile: Sendable {
    /// What the file holds.
    enum Content: Sendable {
        /// These bytes (a report).
        case plain([UInt8])
        /// CMS SignedData over this content (a receipt).
        case signed([UInt8], CMSSigner)
    }

    /// The outbox directory it goes in.
    let directory: Directory
    /// Its name there.
    let name: String
    let content: Content
    let mode: mode_t

    /// Signs if it is to be signed, then writes.
    func write() throws {
        switch content {
        case let .plain(bytes): try directory.writeAtomically(name, bytes, mode: mode)
        case let .signed(json, signer): try directory.writeAtomically(name, try signer.sign(json), mode: mode)
        }
    }
}
