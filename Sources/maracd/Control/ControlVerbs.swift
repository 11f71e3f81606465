import Exchange
import Foundation
import Vault

/// Answers control requests (`docs/control-protocol.md`, "Verbs") for the principal the
/// caller's uid maps to. An unknown uid is refused, in the daemon's log and in the audit
/// log (fail closed: if that entry cannot be written, the caller still gets nothing).
struct ControlVerbs: Sendable {
    let vault: Vault
    let marac: Marac
    let principals: PrincipalRegistry
    let startedAt: Date
    let logger: Logger
    /// The confidentiality statement declarations are made against.
    let statement: String
    /// The origin line of checkpoints.
    let checkpointOrigin: String
    /// Where published checkpoints are kept.
    let witnessPath: String
    /// Writes agenda and meeting packs and revocation notices.
    let packs: PackWriter
    /// Days before a meeting its agenda should go out; later draws a warning.
    let agendaLeadDays: Int
    /// The rewraps agency key rotations start (one for the daemon's life, across reloads).
    let rewraps: RewrapRunner
    /// How long case documents are kept.
    let retention: RetentionSchedule
    /// Whether the daemon is held after a restore (one for the daemon's life).
    let restore: RestoreGate
    /// The area's female population aged 16 and over (the data return's rate).
    let adultFemalePopulation: Int?
    /// The Marac's name (the minutes' header).
    let maracName: String
    /// Working days after a meeting its minutes should go out; later draws a warning.
    let minutesWorkingDays: Int

    /// The verbs for the daemon's vault and Marac, with `config`'s statement and checkpoint settings.
    init(vault: Vault, marac: Marac, principals: PrincipalRegistry, startedAt: Date, logger: Logger, config: Configuration,
         rewraps: RewrapRunner, restore: RestoreGate) {
        self.vault = vault
        self.marac = marac
        self.principals = principals
        self.startedAt = startedAt
        self.logger = logger
        statement = config.marac.declarationStatement
        checkpointOrigin = config.audit.checkpointOrigin
        witnessPath = config.witnessPath
        packs = PackWriter(vault: vault, marac: marac, config: config, logger: logger)
        agendaLeadDays = config.marac.agendaLeadDays
        self.rewraps = rewraps
        retention = config.retention
        self.restore = restore
        adultFemalePopulation = config.marac.adultFemalePopulation
        maracName = config.marac.name
        minutesWorkingDays = config.marac.minutesWorkingDays
    }

    /// Every verb of `docs/control-protocol.md`.
    static let verbs: Set<String> = [
        "status", "meeting.list", "meeting.show", "meeting.create", "meeting.invite", "meeting.add-case", "meeting.advance",
        "meeting.statement", "meeting.declare", "meeting.send-agenda", "meeting.send-packs", "case.list", "case.show", "doc.read",
        "audit.log", "audit.checkpoint", "audit.prove", "audit.report", "audit.verify",
        "agency.list", "agency.add", "agency.set-cert", "export.case", "export.approve", "export.audit", "export.list", "export.show", "key.status", "key.rotate",
        "key.acknowledge-restore",
        "retention.run", "case.hold", "case.release", "subject.search", "subject.export", "data.return",
        "action.add", "action.update", "action.list", "plan.record", "meeting.attendance", "meeting.send-minutes",
        "meeting.uninvite", "meeting.remove-case", "meeting.cancel", "meeting.reschedule", "case.close",
    ]

    /// A request's verb as it may be logged or echoed: a verb of the protocol, or
    /// "(unknown)". The client chooses the string, and it could be anything (a name), so
    /// it never reaches the audit log, the daemon's log or a message otherwise.
    static func name(_ verb: String) -> String { verbs.contains(verb) ? verb : "(unknown)" }

    /// The refusal of a verb the protocol does not have.
    static var unknownVerb: ControlError { ControlError(.unknownVerb, "no such verb (see docs/control-protocol.md)") }

    func handle(uid: UInt32, _ request: ControlRequest) -> ControlResponse {
        guard let principal = principals.principal(uid: Int(uid)) else {
            logger.warning("control.refused", ["uid": uid, "reason": "unknown_principal"])
            let entry = LogEntry.refusal(by: .init(person: "uid \(uid)", agency: "none"), at: vault.currentTime,
                                         justification: "control request from a uid not in the principals file",
                                         details: ["verb": Self.name(request.verb), "rule": "unknown-principal"])
            do { try vault.appendLog([entry.encoded()]) } catch {
                logger.error("control.log_failed", ["error": "\(error)"])
            }
            return .failure(ControlError(.unknownPrincipal, "uid \(uid) is not a principal of this Marac"))
        }
        switch request.verb {
        case "status": return status(principal, request)
        default: return dispatch(principal, request)
        }
    }

    private func status(_ principal: Principal, _ request: ControlRequest) -> ControlResponse {
        guard request.args.count == 0 else { return .failure(ControlError(.badArgument, "status takes no arguments")) }
        do {
            var who = JSONObject()
            who.set("name", .string(principal.name))
            who.set("agency", .string(principal.agency))
            who.set("roles", .array(principal.roles.map { .string($0.rawValue) }))
            var result = JSONObject()
            result.set("version", .string(Product.version))
            result.set("startedAt", .string(LogEntry.timestamp(startedAt)))
            result.set("agencies", .number(Double(try marac.agencies.list().count)))
            result.set("logSize", .number(Double(try vault.treeHead().size)))
            result.set("principal", .object(who))
            // The fingerprint recipients are told to check out of band (docs/recipients.md):
            // public, and every principal may need to read it to them.
            if let certificate = try vault.signingCertificates().last {
                let validity = CertificateValidity(certificate, at: vault.currentTime)
                result.set("signing", .object(JSONObject(["fingerprintSHA256": .string(certificate.fingerprintText),
                                                          "notAfter": .string(validity.notAfterText)])))
            }
            if restore.isHolding {
                result.set("held", .string("restore: the log is behind the published checkpoint at size "
                                           + "\(restore.pending.map(\.head.size).max() ?? 0); a key custodian must run maracctl key acknowledge-restore"))
            }
            return .success(.object(result))
        } catch {
            logger.error("control.failed", ["verb": "status", "error": "\(error)"])
            return .failure(ControlError(.unavailable, "the vault could not be read"))
        }
    }
}
