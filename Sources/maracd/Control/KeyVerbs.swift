import Exchange
import Foundation
import Vault

// Key management through the daemon (`docs/control-protocol.md`, key custodian): status,
// and rotation of an agency's key, the root key or the signing key while ingest goes on.
// An agency rotation returns once the new version is active; its rewrap runs on a helper
// thread in small batches, each its own transaction, so ingest's writes interleave.

/// Runs the rewraps agency rotations start, one thread per agency at most.
final class RewrapRunner: @unchecked Sendable {
    private let lock = NSLock()
    private var running: Set<String> = []
    /// Data keys moved per transaction: small, so a batch of ingest never waits long.
    static let batchSize = 500

    /// Starts `agency`'s rewrap on a helper thread unless one is running.
    /// `actor` is who rotated the key: the entry of each destroyed version names them.
    func start(_ agency: String, vault: Vault, by actor: LogEntry.Actor, logger: Logger) {
        lock.lock()
        guard running.insert(agency).inserted else { lock.unlock(); return }
        lock.unlock()
        HelperThread.start(name: "maracd-rewrap") { [self] in
            let started = Date()
            do {
                let done = try vault.rewrap(agency: agency, batchSize: Self.batchSize, pause: 0.002, recording: LogEntry.keyEvents(by: actor))
                logger.info("key.rewrap_done", ["agency": agency, "rewrapped": done.rewrapped,
                                                "ms": Int(Date().timeIntervalSince(started) * 1000)])
            } catch {
                // Left pending: `key.status` shows it, and the next start resumes it.
                logger.error("key.rewrap_failed", ["agency": agency, "error": "\(error)"])
            }
            lock.lock()
            running.remove(agency)
            lock.unlock()
        }
    }
}

extension ControlVerbs {
    func key(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        switch request.verb {
        case "key.status": return try keyStatus()
        case "key.rotate":
            let targets = [args.object["agency"] != nil, args.object["root"] != nil, try args.flag("signing")].filter { $0 }.count
            guard targets == 1 else { throw ControlError(.badArgument, "rotate exactly one of agency, root, signing") }
            if let agency = try args.optionalLabel("agency") { return try rotateAgency(agency, by: principal) }
            if args.object["root"] != nil { return try rotateRoot(request.secret, by: principal) }
            return try rotateSigning(name: try args.optionalName("name"), by: principal)
        case "key.acknowledge-restore": return try acknowledgeRestore(reason: try args.reason(), by: principal)
        default: throw Self.unknownVerb
        }
    }

    /// Every agency's versions, data keys per version and rewrap state; the signing
    /// certificate's expiry.
    private func keyStatus() throws -> JSONValue {
        let agencies = try vault.keyStatus().map(\.json)
        var result = JSONObject(["agencies": .array(agencies)])
        if let certificate = try vault.signingCertificates().last {
            let validity = CertificateValidity(certificate, at: vault.currentTime)
            result.set("signing", .object(JSONObject(["fingerprintSHA256": .string(certificate.fingerprintText),
                                                      "notAfter": .string(validity.notAfterText), "daysLeft": .number(Double(validity.daysLeft))])))
        }
        return .object(result)
    }

    private func rotateAgency(_ agency: String, by principal: Principal) throws -> JSONValue {
        guard let row = try vault.keyStatus().first(where: { $0.agency == agency }) else {
            throw ControlError(.notFound, "agency \(agency) has no key yet")
        }
        guard !row.rewrapPending else {
            throw ControlError(.conflict, "agency \(agency)'s last rotation is still rewrapping; wait for it (maracctl key status)")
        }
        let version = try vault.rotateAgencyKey(agency, recording: LogEntry.keyEvents(by: principal.actor))
        logRotation(principal, key: "agency")
        rewraps.start(agency, vault: vault, by: principal.actor, logger: logger)
        return .object(JSONObject(["agency": .string(agency), "version": .number(Double(version)),
                                   "dataKeysToRewrap": .number(Double(row.dataKeysByVersion.values.reduce(0, +)))]))
    }

    /// The key arrives already out of the frame, in zeroising memory (`SecretField`): no
    /// string or buffer of the request holds it.
    private func rotateRoot(_ secret: SecretBytes?, by principal: Principal) throws -> JSONValue {
        guard let secret else { throw ControlError(.badArgument, "root must be a new root key (32 bytes, base64)") }
        let key = try RootKey(bytes: secret)
        let outcome = try vault.rotateRootKey(to: key, recording: LogEntry.keyEvents(by: principal.actor))
        logRotation(principal, key: "root")
        return .object(JSONObject(["root": "rotated", "keyFile": outcome == .replaced ? "replaced" : "not-written",
                                   "keyPath": .string(vault.rootKeyPath)]))
    }

    private func rotateSigning(name: String?, by principal: Principal) throws -> JSONValue {
        let certificate = try vault.rotateSigningKey(name: name ?? checkpointOrigin, recording: LogEntry.keyEvents(by: principal.actor))
        // Receipts are signed with it from the next batch: publish it to every outbox now.
        let certificates = try vault.signingCertificates()
        for agency in try marac.agencies.list() {
            try Outbox(state: packs.stateDirectory, agency: agency.id, groupAccess: packs.groupAccess).publish(certificates: certificates)
        }
        logRotation(principal, key: "signing")
        let validity = CertificateValidity(certificate, at: vault.currentTime)
        return .object(JSONObject(["fingerprintSHA256": .string(certificate.fingerprintText), "notAfter": .string(validity.notAfterText)]))
    }

    /// Who rotated which key, in the daemon's log (by uid). The audit log's one entry for
    /// the operation, naming the principal, was written in the rotation's own transaction.
    private func logRotation(_ principal: Principal, key: String) {
        logger.info("key.rotated", ["uid": principal.uid, "key": key])
    }

    /// `key.acknowledge-restore`: logs the restore the daemon is held for (the lost range),
    /// signs a checkpoint over that entry at once, and lets the daemon go on.
    private func acknowledgeRestore(reason: String, by principal: Principal) throws -> JSONValue {
        let lost = restore.pending
        guard !lost.isEmpty else { throw ControlError(.conflict, "the log agrees with every published checkpoint: there is no restore to acknowledge") }
        let record = try marac.acknowledgeRestore(lost, restoredSize: restore.restoredSize, reason: reason, by: principal)
        let checkpoint = try vault.checkpoint(origin: checkpointOrigin)
        restore.hold([])
        logger.warning("log.restore_acknowledged", ["entry": record.entry, "restored_size": record.restoredSize,
                                                    "lost_up_to": record.lostUpTo, "lost_checkpoints": record.lost.count])
        return .object(Self.object(["entry": .number(Double(record.entry)), "restoredSize": .number(Double(record.restoredSize)),
                                    "lostUpTo": .number(Double(record.lostUpTo)), "lostCheckpoints": .number(Double(record.lost.count)),
                                    "checkpointSize": .number(Double(checkpoint.head.size))]))
    }
}
