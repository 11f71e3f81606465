import Exchange
import Foundation
import Glibc
import Vault

/// The daemon: one supervisor running its services.
///
/// Services start in order (vault, ingest, inbox watcher, control socket) and stop in
/// reverse. The control socket runs on a thread of its own (`ControlService`); the
/// supervisor's loop
/// waits in `poll` on the signal descriptor and the inotify descriptor, with a timeout
/// for the next rescan or quarantine sweep, and processes queued files in batches of up
/// to `ingest.maxBatchFiles`: a lone file is taken at once; under load, whatever arrived
/// during one batch forms the next (group commit).
///
/// - SIGTERM, SIGINT: the batch in progress finishes (and commits), its receipts are
///   written and synced, then the daemon stops and exits 0. Files still queued stay in the inbox for the next start.
/// - SIGHUP: configuration, legal bases, principals and the agency list are reloaded
///   between batches; an invalid configuration is logged and the old one kept.
final class Supervisor {
    private let configPath: String
    private var config: Configuration
    private let logger: Logger
    private let signals: SignalReceiver
    private let vault: Vault
    private let ingest: IngestService
    private let watcher: Inotify
    private let checkpoints: CheckpointPublisher
    private let control: ControlService
    /// The vault's access policy: the one way to plaintext (`AccessPolicy`).
    private let accessPolicy: MaracAccessPolicy
    private let startedAt = Date()
    /// Rewraps started by online agency key rotations.
    private let rewraps = RewrapRunner()
    /// Held after a restore until a key custodian acknowledges it.
    private let restore = RestoreGate()
    private var principals: PrincipalRegistry
    private var queue = FairQueue()
    private var waiting = Set<IngestService.Pending>()
    private var nextRescan = Monotonic.now()
    private var nextSweep = Monotonic.now()
    private var nextCertificateCheck = Monotonic.now()
    private var nextRetention = Monotonic.now()
    /// When to try again what closing meetings left in the outboxes, and the wait after
    /// that if it fails again (doubling from the rescan interval to an hour).
    private var nextCloseRetry = Monotonic.now()
    private var closeRetryDelay = 0.0

    /// Opens the vault and the services for `config`, whose registry files the caller
    /// has already loaded (`registries`) while checking it.
    init(configPath: String, config: Configuration, settings: MaracSettings, principals: PrincipalRegistry,
         logger: Logger, signals: SignalReceiver) throws {
        self.configPath = configPath
        self.config = config
        self.logger = logger
        self.signals = signals
        // Inbox files are reopened through /proc/self/fd (see `Directory.take`): without it
        // no file could be taken, so say so now rather than fail on every file.
        guard access("/proc/self/fd", R_OK | X_OK) == 0 else { throw SystemError(call: "access(/proc/self/fd)", errno: errno) }
        accessPolicy = MaracAccessPolicy(registry: settings.legalBases)
        vault = try Vault.open(stateDirectory: config.stateDirectory, rootKeyPath: config.rootKeyPath, policy: accessPolicy)
        try vault.holdDaemonLock()  // one daemon per state directory; offline root rotation refuses meanwhile
        try vault.checkpointInBackground { [logger] error in logger.warning("vault.checkpoint_failed", ["error": "\(error)"]) }
        try vault.resumeRotations(recording: LogEntry.keyEvents(by: .daemon))
        self.principals = principals
        let marac = try Marac(vault: vault, settings: settings)
        ingest = IngestService(marac: marac, config: config, logger: logger)
        watcher = try Inotify()
        // Before anything republishes: is the log behind a checkpoint published earlier?
        let lost = try restore.check(marac, witness: config.witnessPath)
        if !lost.isEmpty {
            logger.error("log.restore_needed", ["log_size": try vault.treeHead().size, "published_up_to": lost.map(\.head.size).max()!,
                                                "checkpoints": lost.count,
                                                "action": "taking no forms and disclosing nothing until maracctl key acknowledge-restore"])
        }
        checkpoints = try CheckpointPublisher(vault: vault, config: config, logger: logger)
        if let name = config.control.socketGroupName, getgrnam(name) == nil {
            throw SystemError(call: "control.socketGroup: no group named \(name)", errno: ENOENT)
        }
        control = try ControlService(settings: config.controlSettings, verbs: ControlVerbs(
            vault: vault, marac: marac, principals: principals, startedAt: startedAt, logger: logger, config: config, rewraps: rewraps, restore: restore),
            logger: logger)
        try refreshAgencies()
        logger.info("daemon.started", ["state": config.stateDirectory, "agencies": watcher.agencies.count,
                                        "principals": principals.byUID.count, "version": Product.version])
    }

    /// Loads the legal basis and principal files a configuration names.
    static func registries(_ config: Configuration) throws -> (MaracSettings, PrincipalRegistry) {
        let bases = try config.legalBasesFile.map { try LegalBasisRegistry.load(contentsOf: $0) } ?? .builtIn
        let principals = try config.principalsFile.map { try PrincipalRegistry.load(contentsOf: $0) } ?? .empty
        return (config.maracSettings(legalBases: bases), principals)
    }

    /// Opens inboxes for newly active agencies and forgets deactivated ones.
    private func refreshAgencies() throws {
        let active = Set(try ingest.marac.agencies.list().map(\.id))
        for agency in active.subtracting(watcher.agencies).sorted() {
            let inbox = try ingest.open(agency: agency)
            try watcher.watch(inbox.path, agency: agency)
            logger.info("inbox.watching", ["agency": agency])
        }
        for agency in watcher.agencies.subtracting(active) {
            watcher.unwatch(agency: agency)
            ingest.close(agency: agency)
            logger.info("inbox.closed", ["agency": agency])
        }
        try ingest.publishCertificatesIfChanged()
    }

    // MARK: - The loop

    /// Crypto-shreds the case documents whose retention has ended (`docs/retention.md`),
    /// at start and then daily; held cases are kept.
    private func applyRetention() {
        do {
            let erased = try ingest.marac.applyRetention(config.retention)
            if !erased.isEmpty { logger.info("retention.erased", ["documents": erased.count]) }
        } catch {
            logger.error("retention.failed", ["error": "\(error)"])
        }
    }

    /// Warns of each active agency whose recipient certificate has expired or expires within
    /// `CertificateValidity.warningDays` (packs are encrypted to it): at start, then daily.
    private func warnOfExpiringCertificates() {
        do {
            let now = vault.currentTime
            for agency in try ingest.marac.agencies.list() {
                guard let der = agency.certificate, let certificate = try? Certificate(derRepresentation: der) else { continue }
                let validity = CertificateValidity(certificate, at: now)
                guard validity.needsRenewal else { continue }
                logger.warning(validity.daysLeft < 0 ? "agency.certificate_expired" : "agency.certificate_expiring",
                               ["agency": agency.id, "days_left": validity.daysLeft, "not_after": validity.notAfterText])
            }
        } catch {
            logger.error("agency.certificate_check_failed", ["error": "\(error)"])
        }
    }

    /// Finishes what closing meetings left in the outboxes (`docs/packs.md`, "Revocation notice"):
    /// at start, then while anything is left, with a doubling wait.
    private func finishClosing() {
        let outcome = PackWriter(vault: vault, marac: ingest.marac, config: config, logger: logger).finishClosing()
        if outcome.pending.isEmpty {
            closeRetryDelay = 0
        } else {
            closeRetryDelay = min(3_600, max(config.inbox.rescanIntervalSeconds, closeRetryDelay * 2))
            nextCloseRetry = Monotonic.now().addingTimeInterval(closeRetryDelay)
        }
    }

    /// Runs until SIGTERM or SIGINT.
    func run() throws {
        var holding = restore.isHolding
        if !holding {
            finishClosing()
            enqueue(ingest.scan())
        }
        control.start()
        ServiceManager.notify("READY=1")
        var stopping = false
        while !stopping {
            let now = Monotonic.now()
            var wake = min(nextRescan, nextSweep, nextCertificateCheck, nextRetention)
            if PackWriter.closingPending { wake = min(wake, nextCloseRetry) }
            if checkpoints.nextDue < wake, checkpoints.hasUnpublishedEntries { wake = checkpoints.nextDue }
            // Held after a restore: nothing but signals and the control socket, looking each
            // second for the acknowledgement (`docs/audit.md`, "A restore").
            if holding { wake = now.addingTimeInterval(1) }
            let timeout = queue.isEmpty ? max(0, wake.timeIntervalSince(now)) : 0
            var fds = [pollfd(fd: signals.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: watcher.fd, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(timeout, 60) * 1000))
            if ready < 0 && errno != EINTR { throw SystemError(call: "poll", errno: errno) }

            for signal in signals.drain() {
                switch signal {
                case SIGHUP: reload()
                default:
                    logger.info("daemon.stopping", ["signal": signal == SIGTERM ? "TERM" : "INT", "queued": queue.count])
                    stopping = true
                }
            }
            if holding {
                holding = restore.isHolding
                if holding {
                    _ = try watcher.drain()  // the rescan after the acknowledgement finds them
                    logger.debug("log.restore_held", ["inbox": "untouched"])  // a test waits for this line, never a sleep
                    continue
                }
                logger.info("log.restore_released", ["log_size": try vault.treeHead().size])
                finishClosing()
                enqueue(ingest.scan())
            }
            for event in try watcher.drain() {
                switch event {
                case let .file(agency, name):
                    // Closed or renamed in: complete now, whatever a scan thought of it.
                    let item = IngestService.Pending(agency: agency, name: name)
                    waiting.remove(item)
                    enqueue([item])
                case .overflow:
                    logger.warning("inbox.overflow")
                    enqueue(ingest.scan())
                }
            }
            if !queue.isEmpty {
                // While control clients are served, a batch is small, so a read waits on the
                // vault's lock for at most a few files' store rather than a full group commit.
                let size = control.isServing ? min(config.ingest.maxBatchFiles, Self.batchWhileServing) : config.ingest.maxBatchFiles
                let batch = queue.take(size)
                // Names from a scan must have settled; names from inotify were closed or
                // renamed in. Whatever is not taken now stays in the inbox for the next rescan.
                let (scanned, announced) = batch.partitioned { waiting.contains($0) }
                waiting.subtract(batch)
                ingest.process(announced, settle: nil)
                ingest.process(scanned, settle: config.inbox.settleSeconds)
                // Readers first: while clients are served, ingest runs one stage at a time.
                if control.isServing { ingest.finishInFlight() }
                // Objects left behind a refusal backlog are taken by a rescan within a second.
                if ingest.takeLeftForLater() { nextRescan = min(nextRescan, Monotonic.now().addingTimeInterval(1)) }
            }
            // Nothing more to take now: store the batch still being validated.
            if queue.isEmpty { ingest.flush() }
            checkpoints.publishIfDue(recipients: igOutboxes)
            if Monotonic.now() >= nextRescan {
                do { try refreshAgencies() } catch { logger.error("agencies.refresh_failed", ["error": "\(error)"]) }
                let found = ingest.scan()
                // A test waits for rescans by this line, never by a fixed sleep.
                logger.debug("inbox.rescan", ["files": found.count])
                waiting.formUnion(found.filter { !queue.contains($0) })
                enqueue(found)
                nextRescan = Monotonic.now().addingTimeInterval(config.inbox.rescanIntervalSeconds)
            }
            if Monotonic.now() >= nextSweep {
                do {
                    let shredded = try ingest.marac.shredQuarantine(olderThan: config.ingest.quarantineRetentionDays)
                    if shredded > 0 { logger.info("quarantine.shredded", ["count": shredded]) }
                    let pruned = try ingest.pruneOutboxes()
                    if pruned > 0 { logger.info("outbox.pruned", ["count": pruned]) }
                } catch {
                    logger.error("quarantine.sweep_failed", ["error": "\(error)"])
                }
                nextSweep = Monotonic.now().addingTimeInterval(3_600)
            }
            if Monotonic.now() >= nextCloseRetry, PackWriter.closingPending {
                finishClosing()
                if closeRetryDelay == 0 { nextCloseRetry = Monotonic.now().addingTimeInterval(config.inbox.rescanIntervalSeconds) }
            }
            if Monotonic.now() >= nextRetention {
                applyRetention()
                PackWriter(vault: vault, marac: ingest.marac, config: config, logger: logger).sendOverdueNotices()
                nextRetention = Monotonic.now().addingTimeInterval(86_400)
            }
            if Monotonic.now() >= nextCertificateCheck {
                warnOfExpiringCertificates()
                nextCertificateCheck = Monotonic.now().addingTimeInterval(86_400)
            }
        }
        // Stop in reverse order of start: the watcher takes no more events; ingest stores
        // the batch still being validated and its receipt stage drains (receipts synced,
        // claimed files removed); the vault closes with the process.
        ServiceManager.notify("STOPPING=1")
        control.stop()
        watcher.stop()
        ingest.stop()
        checkpoints.publishIfDue(force: true, recipients: igOutboxes)
        logger.info("daemon.stopped", ["queued_left_in_inbox": queue.count])
    }

    /// The outboxes checkpoints go to: those of agencies with an IG officer.
    private var igOutboxes: [Outbox] {
        ingest.outboxes(for: principals.auditingAgencies)
    }

    /// The largest ingest batch while control clients are connected.
    static let batchWhileServing = 32

    private func enqueue(_ items: [IngestService.Pending]) {
        queue.append(items)
    }

    /// SIGHUP: re-reads the configuration and registries. Everything the new configuration
    /// needs is built first; on any error the old configuration stays whole. Then it
    /// switches: the control thread takes the new principals and verbs in one step, before
    /// `config.reloaded` is logged, so the next request after that line is decided under
    /// the new principals.
    private func reload() {
        ServiceManager.notify("RELOADING=1")
        defer { ServiceManager.notify("READY=1") }
        let fresh: Configuration, settings: MaracSettings, principals: PrincipalRegistry, marac: Marac
        let schemas: [(name: String, bytes: [UInt8])], witness: Directory?
        do {
            fresh = try Configuration.load(configPath)
            guard fresh.stateDirectory == config.stateDirectory, fresh.rootKeyPath == config.rootKeyPath else {
                logger.error("config.reload_refused", ["reason": "stateDirectory_and_rootKeyPath_need_a_restart"])
                return
            }
            (settings, principals) = try Self.registries(fresh)
            marac = try Marac(vault: vault, settings: settings)
            schemas = try DeploymentSchemas.files(for: settings.legalBases)
            witness = try checkpoints.prepare(fresh)
        } catch {
            logger.error("config.reload_failed", ["error": "\(error)"])
            return
        }
        control.publish(ControlVerbs(vault: vault, marac: marac, principals: principals, startedAt: startedAt, logger: logger, config: fresh,
                                     rewraps: rewraps, restore: restore), settings: fresh.controlSettings)
        accessPolicy.reload(settings.legalBases)
        checkpoints.apply(fresh, witness: witness)
        config = fresh
        self.principals = principals
        ingest.reconfigure(marac: marac, config: fresh, schemas: schemas)
        logger.setLevel(LogLevel(name: fresh.log.level) ?? .info)
        logger.info("config.reloaded", ["principals": principals.byUID.count, "agencies": watcher.agencies.count])
        // In force now; what follows is the new configuration's work, and says its own failures.
        do { try ingest.publishSchemas() } catch { logger.error("outbox.write_failed", ["what": "schemas", "error": "\(error)"]) }
        do { try refreshAgencies() } catch { logger.error("agencies.refresh_failed", ["error": "\(error)"]) }
    }
}

extension Array {
    /// The elements for which `belongs` holds, and the rest, each in order.
    func partitioned(_ belongs: (Element) -> Bool) -> (matching: [Element], rest: [Element]) {
        var matching: [Element] = [], rest: [Element] = []
        for element in self { if belongs(element) { matching.append(element) } else { rest.append(element) } }
        return (matching, rest)
    }
}
