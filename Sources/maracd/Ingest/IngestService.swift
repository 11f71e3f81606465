import Exchange
import Foundation
import Vault

/// Takes files from the inboxes into the vault: claim each (a rename into the daemon's
/// private processing directory), read, validate, store and log in one transaction per
/// batch (group commit); then, on the receipt stage's thread while the next batch is
/// stored, the receipts are signed and written with the reports, the filesystem synced
/// once, and only then the claimed files are removed from the processing directory
/// (`ReceiptStage`). A crash at any point
/// leaves each file stored or rejected exactly once, or in the inbox or the processing
/// directory to be taken again (idempotently) on restart. Nothing is ever removed from an
/// inbox by name (`docs/operations.md`, "Claiming").
final class IngestService {
    /// A name to look at: in an agency's inbox, or already claimed into its processing
    /// directory (`held`), where it waits after a crash or while the Marac cannot take it.
    struct Pending: Hashable, Sendable {
        let agency: String
        let name: FileName
        var held = false
    }

    private let logger: Logger
    private(set) var marac: Marac
    private(set) var config: Configuration
    private var inboxes: [String: Directory] = [:]
    private var processing: [String: Directory] = [:]
    private var outboxes: [String: Outbox] = [:]
    /// Where claimed objects the daemon cannot remove are set aside, per agency.
    private var deadLetters: [String: Directory] = [:]
    /// Inbox objects left in place (unreadable, or not movable) already reported, so each
    /// is reported and logged once per inode and change time.
    private var reportedInPlace = Set<FileIdentity>()
    /// Writes receipts, syncs and removes claimed files, on its own thread.
    private let stage: ReceiptStage
    /// The same for refused objects, on a thread of its own that a form never waits for:
    /// one agency's thousands of directories cost its own reports, not another's receipts.
    private let refusals: ReceiptStage
    /// The batch taken last, validated on other threads while the one before is stored.
    private var validating: Validation?

    init(marac: Marac, config: Configuration, logger: Logger) {
        self.marac = marac
        self.config = config
        self.logger = logger
        stage = ReceiptStage(logger: logger)
        refusals = ReceiptStage(logger: logger, name: "maracd-refusals", removers: 1, pace: Self.refusalPace)
    }

    /// Refused objects are reported and removed at most 16 at a time, with 50 ms between
    /// batches: a receipt's sync then flushes at most 16 reports of theirs
    /// (`docs/performance.md`, "A hostile inbox", for how these were chosen).
    static let refusalPace = (batch: 16, pause: 0.05)

    /// The refused objects an agency may have waiting before its further objects that are
    /// not regular files are left for a later rescan: two of the refusal stage's batches.
    static let refusalBacklog = 32

    /// Stores the batch being validated, finishes the batches handed to the receipt stage
    /// and ends its thread (SIGTERM).
    func stop() {
        flush()
        stage.stop()
        refusals.stop()
    }

    /// Stores the batch being validated, if any: when nothing else is waiting, so a lone
    /// file is never held back for a next batch.
    func flush() {
        guard let batch = validating else { return }
        validating = nil
        store(batch)
    }

    /// Stores the batch being validated and waits until the receipt stage has finished
    /// every batch: one stage at a time, leaving the other core to the control socket's
    /// readers while clients are served (`docs/performance.md`).
    func finishInFlight() {
        flush()
        stage.drain()
    }

    /// Applies a reloaded configuration (thresholds, limits, batch size); a batch already
    /// validated under the old one is stored first.
    ///
    /// `schemas` are the deployment's form schemas for the new legal bases, made before
    /// anything switched; publishing them to every outbox (`publishSchemas`) comes after.
    func reconfigure(marac: Marac, config: Configuration, schemas: [(name: String, bytes: [UInt8])]) {
        flush()
        self.marac = marac
        self.config = config
        self.schemas = schemas
        forms = nil  // made again from the new legal bases and thresholds
    }

    /// Writes the form schemas to every outbox (after a reload: the legal basis codes may have changed).
    func publishSchemas() throws {
        guard let schemas else { return }
        for outbox in outboxes.values {
            try outbox.publish(schemas: schemas)
            try outbox.publish(forms: try formPages())
        }
    }

    /// Sets up an agency's inbox and outbox (created with the configured modes).
    func open(agency: String) throws -> Directory {
        let group = config.inbox.agencyAccess == .group
        _ = try Directory.ensure(config.stateDirectory + "/inbox", mode: 0o700)
        let inbox = try Directory.ensure(config.stateDirectory + "/inbox/" + agency, mode: group ? 0o770 : 0o700)
        _ = try Directory.ensure(config.stateDirectory + "/processing", mode: 0o700)
        processing[agency] = try Directory.ensure(config.stateDirectory + "/processing/" + agency, mode: 0o700)
        _ = try Directory.ensure(config.stateDirectory + "/dead-letter", mode: 0o700)
        deadLetters[agency] = try Directory.ensure(config.stateDirectory + "/dead-letter/" + agency, mode: 0o700)
        let outbox = try Outbox(state: config.stateDirectory, agency: agency, groupAccess: group, sweep: true)
        if published.isEmpty { published = try marac.vault.signingCertificates() }
        try outbox.publish(certificates: published)
        if schemas == nil { schemas = try DeploymentSchemas.files(for: marac.settings.legalBases) }
        try outbox.publish(schemas: schemas!)
        try outbox.publish(forms: try formPages())
        inboxes[agency] = inbox
        outboxes[agency] = outbox
        return inbox
    }

    /// Republishes the signing certificates to every outbox if they changed since the
    /// last time (a signing-key rotation by `maracctl`), so new receipts always verify.
    func publishCertificatesIfChanged() throws {
        let certificates = try marac.vault.signingCertificates()
        guard certificates != published else { return }
        for outbox in outboxes.values { try outbox.publish(certificates: certificates) }
        published = certificates
    }

    /// The certificates every open outbox holds.
    private var published: [Certificate] = []

    /// This deployment's form schemas, made once (not once per agency at start) and again
    /// on reload.
    private var schemas: [(name: String, bytes: [UInt8])]?

    /// The form pages' common part, made once as the schemas are (each outbox's pages then
    /// differ only in the agency).
    private var forms: FormPage?

    private func formPages() throws -> FormPage {
        if let forms { return forms }
        let made = try FormPage(registry: marac.settings.legalBases, thresholds: marac.settings.thresholds)
        forms = made
        return made
    }

    /// Whether objects were left in an inbox behind a refusal backlog since the supervisor
    /// last asked (`takeLeftForLater`): it rescans within a second then, not at its interval.
    private var leftForLater = false

    /// Whether objects were left behind a refusal backlog; asking clears it.
    func takeLeftForLater() -> Bool {
        defer { leftForLater = false }
        return leftForLater
    }

    /// Whether the last store failed for the host's sake (said once until it clears).
    private var storeFailing = false

    /// A failure of the host (disk, I/O, permissions) or of the vault's fact tables, not of any form.
    static func isEnvironmental(_ error: any Error) -> Bool {
        switch error {
        case let error as DatabaseError: return error.isEnvironmental
        case let VaultError.io(_, code): return [ENOSPC, EIO, EROFS, EDQUOT].contains(code)
        // Someone else wrote the fact tables: the vault refuses every transaction until they
        // are put right, so every form waits, said once (not once per form per rescan).
        case VaultError.tampered(_, .fact), VaultError.tampered("vault_fact_state", _): return true
        default: return false
        }
    }

    /// Removes receipts and reports older than the outbox retention; returns how many.
    func pruneOutboxes(now: Date = Date()) throws -> Int {
        let cutoff = now.addingTimeInterval(-Double(config.ingest.outboxRetentionDays) * 86_400)
        return try outboxes.values.reduce(0) { $0 + (try $1.prune(olderThan: cutoff)) }
    }

    /// The open outboxes of `agencies` (the IG officers' agencies, for checkpoints).
    func outboxes(for agencies: Set<String>) -> [Outbox] {
        agencies.sorted().compactMap { outboxes[$0] }
    }

    /// Forgets an agency that is no longer active (its directories stay).
    func close(agency: String) {
        inboxes[agency] = nil
        processing[agency] = nil
        deadLetters[agency] = nil
        outboxes[agency] = nil
    }

    /// The names waiting in every open processing directory (first: they were claimed
    /// earlier) and inbox, for the start-up scan and rescans. The batch being validated is
    /// stored first, and a claimed file the receipt stage has not finished with is not
    /// one: so no file is taken twice.
    func scan() -> [Pending] {
        flush()
        var found: [Pending] = []
        let inFlight = stage.inFlight.union(refusals.inFlight)
        for (agency, inbox) in inboxes.sorted(by: { $0.key < $1.key }) {
            do {
                found += try processing[agency]!.names().sorted().map { Pending(agency: agency, name: $0, held: true) }
                    .filter { !inFlight.contains($0) }
                found += try inbox.names().filter { !$0.isIgnored }.sorted().map { Pending(agency: agency, name: $0) }
            } catch {
                logger.error("inbox.scan_failed", ["agency": agency, "error": "\(error)"])
            }
        }
        return found
    }

    /// A file read from the processing directory.
    private struct Taken: Sendable {
        let agency: String
        /// Its name in the processing directory.
        let held: FileName
        /// SHA-256 of its inbox name, for the receipt.
        let nameSHA256: String
        let bytes: [UInt8]
        var logID: String { FileName.logID(nameSHA256: nameSHA256) }
    }

    /// Moves `pending` into its agency's processing directory if it is an inbox name;
    /// returns its held name, or nil if there is nothing to take now. Sets `reported` when
    /// it wrote a report about an object left in the inbox (synced once per batch).
    private func claim(_ pending: Pending, settle: Double?, reported: inout Bool) throws -> FileName? {
        if pending.held { return pending.name }
        guard let inbox = inboxes[pending.agency], let processing = processing[pending.agency] else { return nil }
        switch try inbox.claim(pending.name, into: processing, limit: config.inbox.maxFileBytes, settle: settle) {
        case .gone, .ignored, .notYet: return nil
        case let .claimed(held): return held
        case let .unreadable(identity):
            reported = try reportInPlace(pending, identity, rule: "unreadable", prefix: "unreadable", event: "inbox.unreadable",
                                         message: "the daemon is not permitted to read this file (its mode or owner); it was left in "
                                             + "the inbox unread: give the daemon's group read permission, or send it again") || reported
            return nil
        case let .stuck(identity, code):
            reported = try reportInPlace(pending, identity, rule: "cannot-be-taken", prefix: "left", event: "inbox.left",
                                         message: "the daemon is not permitted to move this out of the inbox ("
                                             + String(cString: strerror(code)).lowercased() + "); it was left where it is, and will "
                                             + "not be reported again until it changes: remove it, or ask the administrator to") || reported
            return nil
        }
    }

    /// Processes `batch`; `settle` (for scanned names) leaves recently modified files.
    /// Files not taken (still being written, or waiting on the Marac's set-up such as a
    /// missing Idva) stay where they are, in the inbox or the processing directory, for
    /// the next rescan.
    ///
    /// The files taken are validated on other threads while the batch taken before them
    /// is stored here; `flush()` stores the last one.
    func process(_ batch: [Pending], settle: Double?) {
        let started = ContinuousClock.now
        guard !batch.isEmpty else { return }
        var taken: [Taken] = []
        var refused: [ReceiptStage.Item] = []
        var reported = false
        let inFlight = stage.inFlight.union(refusals.inFlight)
        var backlog = Dictionary(grouping: refusals.inFlight, by: \.agency).mapValues(\.count)
        for pending in batch where !inFlight.contains(pending) {
            guard let processing = processing[pending.agency] else { continue }
            do {
                // An agency with a refusal backlog has its next objects that are not regular
                // files left in the inbox for a later rescan: they would only be refused, and
                // claiming thousands at once fills the disk's journal every receipt's sync
                // must flush. Its forms are taken as ever.
                if !pending.held, backlog[pending.agency, default: 0] >= Self.refusalBacklog,
                   let info = try inboxes[pending.agency]?.status(pending.name), info.st_mode & S_IFMT != S_IFREG {
                    leftForLater = true
                    continue
                }
                guard let held = try claim(pending, settle: settle, reported: &reported) else { continue }
                let nameSHA256 = pending.held ? held.heldNameSHA256 : pending.name.sha256
                switch try processing.take(held, limit: config.inbox.maxFileBytes, hardCap: config.inbox.quarantineHardCapBytes,
                                           settle: settle) {
                case .gone, .ignored, .notYet: break
                case let .file(bytes, _):
                    taken.append(Taken(agency: pending.agency, held: held, nameSHA256: nameSHA256, bytes: bytes))
                case let .refused(refusal):
                    if let item = try refuse(held, nameSHA256: nameSHA256, agency: pending.agency, refusal, processing: processing) {
                        refused.append(item)
                        backlog[pending.agency, default: 0] += 1
                    }
                }
            } catch {
                logger.error("inbox.read_failed", ["agency": pending.agency, "file_id": pending.held ? FileName.logID(nameSHA256: pending.name.heldNameSHA256) : pending.name.id,
                                                   "error": "\(error)"])
            }
        }
        if reported, let outbox = outboxes.values.first {
            do { try outbox.root.syncFilesystem() } catch { logger.error("outbox.sync_failed", ["error": "\(error)"]) }
        }
        let previous = validating
        validating = taken.isEmpty ? nil : Validation(taken: taken, marac: marac, takeTime: ContinuousClock.now - started)
        if let previous { store(previous) }
        // Reports of refused objects are written and synced, once per batch, before any
        // object is removed; a form's receipt never waits for them.
        refusals.hand(refused, wait: false)
    }

    /// Stores a validated batch in one transaction, makes its receipts' and reports'
    /// content, and hands them to the receipt stage (which signs and writes them).
    private func store(_ batch: Validation) {
        let started = ContinuousClock.now
        let taken = batch.taken
        let validated = batch.wait()
        let read = ContinuousClock.now
        let readCPU = Self.threadCPUTime()

        let outcomes: [SubmissionOutcome?]
        do {
            outcomes = try marac.submit(validated, quarantining: true)
            if storeFailing {
                storeFailing = false
                logger.info("ingest.store_resumed", ["forms": taken.count])
            }
        } catch let error where Self.isEnvironmental(error) {
            // The vault cannot write (a full disk, an I/O error, a read-only database):
            // nothing of the batch is stored and every form stays held, to be taken on a
            // rescan once the fault clears. Said once, not per form or per rescan.
            if !storeFailing {
                storeFailing = true
                logger.error("ingest.store_failed", ["forms": taken.count, "error": "\(error)",
                                                     "action": "holding every form; taking them again when the vault can write"])
            }
            outcomes = taken.map { _ in nil }
        } catch {
            // Something refuses the whole batch (a referral while no Idva is active, say):
            // one at a time, so the rest are not held up; the refused stay held.
            outcomes = zip(taken, validated.one).map { item, alone in
                do {
                    return try marac.submit(alone, quarantining: true)[0]
                } catch {
                    logger.warning("ingest.waiting", ["agency": item.agency, "file_id": item.logID, "reason": "\(error)"])
                    return nil
                }
            }
        }

        let stored = ContinuousClock.now
        let storeCPU = Self.threadCPUTime() - readCPU
        var items: [ReceiptStage.Item] = []
        var signer: CMSSigner?  // one per batch: the key active when the batch was stored
        let batchSigner = {
            if let signer { return signer }
            signer = try self.marac.vault.cmsSigner()
            return signer!
        }
        for (item, outcome) in zip(taken, outcomes) {
            guard let outcome, let outbox = outboxes[item.agency], let processing = processing[item.agency] else { continue }
            do {
                items.append(try stageItem(outcome, for: item, outbox: outbox, processing: processing, signer: batchSigner))
            } catch {
                logger.error("outbox.write_failed", ["agency": item.agency, "file_id": item.logID, "error": "\(error)"])
            }
        }
        let staged = ContinuousClock.now
        stage.hand(items)
        // Where a batch's time goes, for an operator tuning `ingest.maxBatchFiles`; the
        // receipt stage logs its part as `ingest.receipts`.
        logger.debug("ingest.batch", ["files": taken.count, "take_ms": Self.milliseconds(batch.takeTime),
                                      "validated_wait_ms": Self.milliseconds(read - started), "store_ms": Self.milliseconds(stored - read),
                                      "store_cpu_ms": Self.milliseconds(storeCPU),
                                      "receipts_ms": Self.milliseconds(staged - stored), "hand_wait_ms": Self.milliseconds(ContinuousClock.now - staged)])
    }

    /// A batch taken from the processing directories and being validated on other
    /// threads (validation is pure: the bytes and the Marac's settings, nothing else).
    private final class Validation: @unchecked Sendable {
        let taken: [Taken]
        /// How long taking it took.
        let takeTime: Duration
        private var result: ValidatedBatch?  // set before `done` is signalled, read after
        private let done = DispatchSemaphore(value: 0)

        init(taken: [Taken], marac: Marac, takeTime: Duration) {
            self.taken = taken
            self.takeTime = takeTime
            let submissions = taken.map { Submission(bytes: $0.bytes, agency: $0.agency) }
            Parallel.start { [self] in
                result = marac.validate(submissions)
                done.signal()
            }
        }

        /// The verdicts, once validation is done (called once).
        func wait() -> ValidatedBatch {
            done.wait()
            return result!
        }
    }

    /// The receipt (signed) or report for `item`, and the line to log once it is written.
    private func stageItem(_ outcome: SubmissionOutcome, for item: Taken, outbox: Outbox, processing: Directory,
                           signer: () throws -> CMSSigner) throws -> ReceiptStage.Item {
        let pending = Pending(agency: item.agency, name: item.held, held: true)
        switch outcome {
        case let .accepted(form):
            let receipt = outbox.receipt(nameSHA256: item.nameSHA256, form: form, signer: try signer())
            return ReceiptStage.Item(pending: pending, processing: processing, file: receipt, deadLetter: deadLetters[item.agency],
                                     event: form.duplicate ? "ingest.duplicate" : "ingest.accepted", fields: [
                                         ("agency", item.agency), ("doc", form.document), ("kind", form.kind.rawValue),
                                         ("case", form.caseNumber?.description ?? "-"), ("repeat_of", form.repeatOf?.description ?? "-"),
                                         ("file_id", item.logID),
                                     ], logID: item.logID)
        case let .rejected(rejection, record):
            let report = try outbox.report(nameSHA256: item.nameSHA256, bytes: item.bytes,
                                           problems: rejection.problems.map { ($0.path.description, $0.rule.rawValue, $0.message) },
                                           disposition: "quarantined", kind: rejection.kind,
                                           retentionDays: config.ingest.quarantineRetentionDays)
            return ReceiptStage.Item(pending: pending, processing: processing, file: report, deadLetter: deadLetters[item.agency],
                                     event: "ingest.rejected", fields: [
                ("agency", item.agency), ("quarantine", record?.document ?? "-"), ("file_id", item.logID),
                ("rules", Set(rejection.problems.map(\.rule.rawValue)).sorted().joined(separator: "+")),
            ], logID: item.logID)
        }
    }

    /// A refused object, already in the processing directory: kept encrypted if it is an
    /// oversized file under the hard cap; its report and removal go to the receipt stage
    /// (report written and synced, then the object removed without following it, or set
    /// aside with its report rewritten if it cannot be). Nobody else can reach the
    /// processing directory, so what is removed is exactly what was claimed and examined.
    /// The report is named by the content kept, or else by the held name: taken again
    /// after a crash, the same object gets the same report, never a second one.
    private func refuse(_ held: FileName, nameSHA256: String, agency: String, _ refusal: Refusal,
                        processing: Directory) throws -> ReceiptStage.Item? {
        guard let outbox = outboxes[agency] else { return nil }
        let limit = config.inbox.maxFileBytes
        var kept: [UInt8]?
        if case let .oversized(bytes, _) = refusal {
            _ = try marac.quarantine(bytes, from: agency, reason: "too-large",
                                     problems: [FormProblem(.root, .tooLarge, refusal.message(limit: limit))])
            kept = bytes
        }
        let name = kept == nil ? "unread-" + String(Hex.encode(SHA256.hash(held.bytes)).prefix(24)) : nil
        let retention = kept == nil ? nil : config.ingest.quarantineRetentionDays
        let report = { @Sendable [kept] (message: String, disposition: String) throws -> OutboxFile in
            try outbox.report(nameSHA256: nameSHA256, bytes: kept, problems: [(path: "$", rule: refusal.rule, message: message)],
                              disposition: disposition, kind: nil, retentionDays: retention, name: name)
        }
        let logID = FileName.logID(nameSHA256: nameSHA256)
        return ReceiptStage.Item(
            pending: Pending(agency: agency, name: held, held: true), processing: processing,
            file: try report(refusal.message(limit: limit), refusal.disposition), deadLetter: deadLetters[agency],
            unremoved: { reason in try report(refusal.unremovedMessage(limit: limit, reason: reason), Refusal.unremovedDisposition) },
            event: "inbox.refused",
            fields: [("agency", agency), ("rule", refusal.rule), ("disposition", refusal.disposition), ("file_id", logID)],
            logID: logID, level: .warning)
    }

    /// Reports once (per inode and change) an inbox object the daemon leaves in place: a
    /// file it may not read, or an object it may not move. A `chmod g+r` or the agency's
    /// own fix changes its change time, and the next rescan takes it. The report's name
    /// comes from the identity, and is not written again if it is there already (after a
    /// restart). Returns whether it wrote one (not yet synced).
    private func reportInPlace(_ pending: Pending, _ identity: FileIdentity, rule: String, prefix: String, event: String,
                               message: String) throws -> Bool {
        guard reportedInPlace.insert(identity).inserted, let outbox = outboxes[pending.agency] else { return false }
        let name = prefix + "-" + String(Hex.encode(SHA256.hash(Array("\(identity.device):\(identity.inode):\(identity.changed)".utf8))).prefix(24))
        logger.warning(event, ["agency": pending.agency, "file_id": pending.name.id, "outbox": name + ".rejected.json"])
        guard try outbox.rejected.status(FileName(name + ".rejected.json")) == nil else { return false }
        _ = try outbox.writeReport(nameSHA256: pending.name.sha256, bytes: nil, problems: [(path: "$", rule: rule, message: message)],
                                   disposition: "left in the inbox", kind: nil, retentionDays: nil, name: name)
        return true
    }

    /// The CPU time this thread has used: store time beyond it was spent waiting (on the
    /// WAL's sync, or for a core).
    static func threadCPUTime() -> Duration {
        var now = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now)
        return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }
}
