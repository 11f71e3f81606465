import Exchange
import Foundation
import Vault

/// Signs, encrypts and writes the packs Exchange prepares (`docs/packs.md`): CMS
/// SignedData by the daemon's signing key, inside AuthEnvelopedData to the one agency,
/// written atomically into `<state>/outbox/<agency>/agenda/` or `meeting/`, synced, then
/// each file's SHA-256 recorded. Revocation notices are SignedData only.
struct PackWriter: Sendable {
    let vault: Vault
    let marac: Marac
    let stateDirectory: String
    let groupAccess: Bool
    let logger: Logger

    /// The writer for `config`'s state directory and outbox access.
    init(vault: Vault, marac: Marac, config: Configuration, logger: Logger) {
        self.vault = vault
        self.marac = marac
        stateDirectory = config.stateDirectory
        groupAccess = config.inbox.agencyAccess == .group
        self.logger = logger
    }

    /// Writes every pack, syncs, and
    /// records their digests. A pack that cannot be written fails the call; the
    /// disclosures are logged already, and sending again writes it (`docs/packs.md`).
    func write(_ packs: [PreparedPack]) throws {
        guard !packs.isEmpty else { return }
        let signer = try vault.cmsSigner()
        let certificates = try vault.signingCertificates()
        var outboxes: [String: Outbox] = [:]
        for agency in Set(packs.map(\.agency)) {
            let outbox = try Outbox(state: stateDirectory, agency: agency, groupAccess: groupAccess)
            try outbox.publish(certificates: certificates)
            outboxes[agency] = outbox
        }
        let digests = try packs.map { pack -> [UInt8] in
            let envelope = try CMS.encrypt(try signer.sign(pack.content), to: [pack.certificate])
            let outbox = outboxes[pack.agency]!
            let directory: Directory
            switch pack.kind {
            case .agenda: directory = outbox.agenda
            case .meeting: directory = outbox.meeting
            case .minutes: directory = outbox.minutes
            }
            try directory.writeAtomically(pack.fileName, envelope, mode: outbox.fileMode)
            return SHA256.hash(envelope)
        }
        try outboxes.values.first?.root.syncFilesystem()
        try marac.packsWritten(Array(zip(packs, digests)).map { (pack: $0, sha256: $1) })
        logger.info("packs.written", ["kind": packs[0].kind.rawValue, "meeting": packs[0].meeting, "packs": packs.count])
    }

    /// Writes today's notices of overdue actions (`docs/actions.md`, "Overdue notices"): each
    /// signed, encrypted to its agency, written into `notices/` and synced, then marked
    /// written; logs one line with the counts. A failure is logged and tried at the next run.
    func sendOverdueNotices() {
        do {
            let run = try marac.overdueNoticesDue()
            for (agency, reason) in run.skipped { logger.warning("actions.overdue_skipped", ["agency": agency, "reason": reason]) }
            guard !run.notices.isEmpty else {
                if run.overdueActions > 0 { logger.debug("actions.overdue", ["agencies": run.agencies, "actions": run.overdueActions, "notices": 0]) }
                return
            }
            let signer = try vault.cmsSigner()
            let certificates = try vault.signingCertificates()
            var last: Outbox?
            for notice in run.notices {
                let outbox = try Outbox(state: stateDirectory, agency: notice.agency, groupAccess: groupAccess)
                try outbox.publish(certificates: certificates)
                try outbox.notices.writeAtomically(notice.fileName, try CMS.encrypt(try signer.sign(notice.content), to: [notice.certificate]),
                                                   mode: outbox.fileMode)
                last = outbox
            }
            try last?.root.syncFilesystem()
            try marac.noticesWritten(run.notices)
            logger.info("actions.overdue", ["agencies": run.agencies, "actions": run.overdueActions, "notices": run.notices.count])
        } catch {
            logger.error("actions.overdue_failed", ["error": "\(error)"])
        }
    }

    /// Finishes what closing meetings left in the outboxes (of meeting `id`, or of every
    /// closed meeting): each agency's notice written and synced, then logged
    /// (`notice-written`); its packs removed and synced, then logged (`packs-removed`). One
    /// agency's failure (a full disk, an immutable directory) leaves its work for the next
    /// try and does not stop the others'. Serialised: the control thread (a close) and the
    /// supervisor (start, timer) never work on the same outbox at once.
    func finishClosing(meeting id: String? = nil) -> ClosingOutcome {
        Self.closing.lock()
        defer { Self.closing.unlock() }
        let outcome = finishClosingLocked(meeting: id)
        if id == nil || !outcome.pending.isEmpty { Self.closingLeft = !outcome.pending.isEmpty }
        return outcome
    }

    /// Whether the last finishing left work for a later try (read by the supervisor's timer).
    static var closingPending: Bool {
        closing.lock()
        defer { closing.unlock() }
        return closingLeft
    }

    private func finishClosingLocked(meeting id: String?) -> ClosingOutcome {
        var outcome = ClosingOutcome()
        let work: [ClosingWork]
        do { work = try marac.closingWork(meeting: id) } catch {
            logger.error("meeting.close_pending", ["meeting": id ?? "-", "error": "\(error)"])
            outcome.pending.append((meeting: id ?? "-", agency: "-", reason: "\(error)"))
            return outcome
        }
        guard !work.isEmpty else { return outcome }
        let signer: CMSSigner
        do { signer = try vault.cmsSigner() } catch {
            outcome.pending = work.map { (meeting: $0.meeting, agency: $0.agency, reason: "\(error)") }
            return outcome
        }
        for item in work {
            do {
                let outbox = try Outbox(state: stateDirectory, agency: item.agency, groupAccess: groupAccess)
                if let notice = item.notice {
                    let signed = try signer.sign(notice.content)
                    try outbox.meeting.writeAtomically(notice.fileName, signed, mode: outbox.fileMode)
                    try outbox.root.syncFilesystem()
                    try marac.noticeWritten(item, sha256: SHA256.hash(signed))
                    outcome.notices.append((meeting: item.meeting, agency: item.agency, file: "outbox/\(item.agency)/meeting/\(notice.fileName)"))
                    logger.info("meeting.notice_written", ["meeting": item.meeting, "agency": item.agency])
                }
                if item.removePacks {
                    let files = try removePacks(of: item.meeting, from: outbox)
                    try marac.packsRemoved(item, files: files)
                    logger.info("packs.removed", ["meeting": item.meeting, "agency": item.agency, "files": files])
                }
            } catch {
                outcome.pending.append((meeting: item.meeting, agency: item.agency, reason: "\(error)"))
                logger.warning("meeting.close_pending", ["meeting": item.meeting, "agency": item.agency, "error": "\(error)"])
            }
        }
        return outcome
    }

    /// One finishing at a time, whichever thread asks; guards `closingLeft`.
    private static let closing = NSLock()
    nonisolated(unsafe) private static var closingLeft = true  // unknown until the first finishing

    /// Removes closed meeting `meeting`'s agenda packs (every version) and its meeting pack
    /// from `outbox`, then syncs; returns how many files went. The revocation notice stays.
    private func removePacks(of meeting: String, from outbox: Outbox) throws -> Int {
        var removed = 0
        for name in try outbox.agenda.names() {
            let text = String(decoding: name.bytes, as: UTF8.self)
            guard text.hasPrefix(meeting + "-v"), text.hasSuffix(".p7m"),
                  text.dropFirst(meeting.count + 2).dropLast(4).allSatisfy(\.isNumber) else { continue }
            try outbox.agenda.remove(name)
            removed += 1
        }
        if try outbox.meeting.status(FileName(meeting + ".p7m")) != nil {
            try outbox.meeting.remove(FileName(meeting + ".p7m"))
            removed += 1
        }
        try outbox.root.syncFilesystem()
        return removed
    }
}

/// What a finishing of closes did, and what it left for the next try.
struct ClosingOutcome {
    var notices: [(meeting: String, agency: String, file: String)] = []
    var pending: [(meeting: String, agency: String, reason: String)] = []
}
