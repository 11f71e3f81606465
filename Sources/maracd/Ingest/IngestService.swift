import Exchange
import Foundation
import Vault

/// Takes files from the inboxes into the vault: read, validate, store and log in one
/// transaction per batch (group commit), then the receipts and reports, one filesystem
/// sync, and only then the inbox files are removed. A crash at any point leaves each
/// file stored or rejected exactly once, or still in the inbox to be taken again
/// (idempotently) on restart.
final class IngestService {
    struct Pending: Hashable {
        let agency: String
        let name: FileName
    }

    private let logger: Logger
    private(set) var marac: Marac
    private(set) var config: Configuration
    private var inboxes: [String: Directory] = [:]
    private var outboxes: [String: Outbox] = [:]

    init(marac: Marac, config: Configuration, logger: Logger) {
        self.marac = marac
        self.config = config
        self.logger = logger
    }

    /// Applies a reloaded configuration (thresholds, limits, batch size).
    func reconfigure(marac: Marac, config: Configuration) {
        self.marac = marac
        self.config = config
    }

    /// Sets up an agency's inbox and outbox (created with the configured modes).
    func open(agency: String) throws -> Directory {
        let group = config.inbox.agencyAccess == .group
        _ = try Directory.ensure(config.stateDirectory + "/inbox", mode: 0o700)
        let inbox = try Directory.ensure(config.stateDirectory + "/inbox/" + agency, mode: group ? 0o770 : 0o700)
        let outbox = try Outbox(state: config.stateDirectory, agency: agency, groupAccess: group)
        if published.isEmpty { published = try marac.vault.signingCertificates() }
        try outbox.publish(certificates: published)
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
        outboxes[agency] = nil
    }

    /// The names waiting in every open inbox (for the start-up scan and rescans).
    func scan() -> [Pending] {
        var found: [Pending] = []
        for (agency, inbox) in inboxes.sorted(by: { $0.key < $1.key }) {
            do {
                found += try inbox.names().filter { !$0.isIgnored }.sorted().map { Pending(agency: agency, name: $0) }
            } catch {
                logger.error("inbox.scan_failed", ["agency": agency, "error": "\(error)"])
            }
        }
        return found
    }

    private struct Taken {
        let pending: Pending
        let bytes: [UInt8]
        let identity: FileIdentity
    }

    /// Processes `batch`; `settle` (for scanned names) leaves recently modified files.
    /// Files not taken (still being written, or waiting on the Marac's set-up such as a
    /// missing Idva) stay in the inbox for the next rescan.
    func process(_ batch: [Pending], settle: Double?) {
        let started = ContinuousClock.now
        guard !batch.isEmpty else { return }
        var taken: [Taken] = []
        for pending in batch {
            guard let inbox = inboxes[pending.agency] else { continue }
            do {
                switch try inbox.take(pending.name, limit: config.inbox.maxFileBytes, hardCap: config.inbox.quarantineHardCapBytes,
                                      settle: settle) {
                case .gone, .ignored, .notYet: break
                case let .file(bytes, identity): taken.append(Taken(pending: pending, bytes: bytes, identity: identity))
                case let .refused(refusal): try refuse(pending, refusal, inbox: inbox)
                }
            } catch {
                logger.error("inbox.read_failed", ["agency": pending.agency, "file_id": pending.name.id, "error": "\(error)"])
            }
        }
        guard !taken.isEmpty else { return }

        let outcomes: [SubmissionOutcome?]
        do {
            outcomes = try marac.submit(taken.map { Submission(bytes: $0.bytes, agency: $0.pending.agency) }, quarantining: true)
        } catch {
            // Something refuses the whole batch (a referral while no Idva is active, say):
            // one at a time, so the rest are not held up; the refused stay in the inbox.
            outcomes = taken.map { item in
                do {
                    return try marac.submit(Submission(bytes: item.bytes, agency: item.pending.agency), quarantining: true)
                } catch {
                    logger.warning("ingest.waiting", ["agency": item.pending.agency, "file_id": item.pending.name.id,
                                                       "reason": "\(error)"])
                    return nil
                }
            }
        }

        var written: [(Taken, Directory)] = []
        for (item, outcome) in zip(taken, outcomes) {
            guard let outcome, let outbox = outboxes[item.pending.agency], let inbox = inboxes[item.pending.agency] else { continue }
            do {
                try write(outcome, for: item, to: outbox)
                written.append((item, inbox))
            } catch {
                logger.error("outbox.write_failed", ["agency": item.pending.agency, "file_id": item.pending.name.id,
                                                     "error": "\(error)"])
            }
        }
        do {
            // Receipts and reports are on disk before any inbox file goes.
            try outboxes.values.first?.root.syncFilesystem()
        } catch {
            logger.error("outbox.sync_failed", ["error": "\(error)"])
            return
        }
        for (item, inbox) in written {
            do {
                _ = try inbox.removeIfUnchanged(item.pending.name, item.identity)  // replaced meanwhile: taken next time
            } catch {
                logger.error("inbox.remove_failed", ["agency": item.pending.agency, "file_id": item.pending.name.id,
                                                     "error": "\(error)"])
            }
        }
        let elapsed = ContinuousClock.now - started
        logger.debug("ingest.batch", ["files": taken.count, "duration_ms": Self.milliseconds(elapsed)])
    }

    private func write(_ outcome: SubmissionOutcome, for item: Taken, to outbox: Outbox) throws {
        let fields: KeyValuePairs<String, CustomStringConvertible>
        switch outcome {
        case let .accepted(form):
            let receipt = try outbox.writeReceipt(file: item.pending.name, bytes: item.bytes, form: form, vault: marac.vault)
            logger.info(form.duplicate ? "ingest.duplicate" : "ingest.accepted", [
                "agency": item.pending.agency, "doc": form.document, "kind": form.kind.rawValue,
                "case": form.caseNumber?.description ?? "-", "repeat_of": form.repeatOf?.description ?? "-",
                "file_id": item.pending.name.id, "outbox": receipt,
            ])
            return
        case let .rejected(rejection, record):
            let report = try outbox.writeReport(file: item.pending.name, bytes: item.bytes,
                                                problems: rejection.problems.map { ($0.path.description, $0.rule.rawValue, $0.message) },
                                                disposition: "quarantined", kind: rejection.kind,
                                                retentionDays: config.ingest.quarantineRetentionDays)
            fields = ["agency": item.pending.agency, "quarantine": record?.document ?? "-", "file_id": item.pending.name.id,
                      "rules": Set(rejection.problems.map(\.rule.rawValue)).sorted().joined(separator: "+"), "outbox": report]
        }
        logger.info("ingest.rejected", fields)
    }

    /// A refused object: kept encrypted if it is an oversized file under the hard cap,
    /// then removed without following it; its report says which.
    private func refuse(_ pending: Pending, _ refusal: Refusal, inbox: Directory) throws {
        guard let outbox = outboxes[pending.agency] else { return }
        let problem = (path: "$", rule: refusal.rule, message: refusal.message(limit: config.inbox.maxFileBytes))
        var kept: [UInt8]?
        if case let .oversized(bytes, _) = refusal {
            _ = try marac.quarantine(bytes, from: pending.agency, reason: "too-large",
                                     problems: [FormProblem(.root, .tooLarge, problem.message)])
            kept = bytes
        }
        let report = try outbox.writeReport(file: pending.name, bytes: kept, problems: [problem], disposition: refusal.disposition,
                                            kind: nil, retentionDays: kept == nil ? nil : config.ingest.quarantineRetentionDays)
        try outbox.root.syncFilesystem()
        try inbox.remove(pending.name)
        logger.warning("inbox.refused", ["agency": pending.agency, "rule": refusal.rule, "disposition": refusal.disposition,
                                         "file_id": pending.name.id, "outbox": report])
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15)
    }
}
