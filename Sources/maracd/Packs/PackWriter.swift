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
            try (pack.kind == .agenda ? outbox.agenda : outbox.meeting).writeAtomically(pack.fileName, envelope, mode: outbox.fileMode)
            return SHA256.hash(envelope)
        }
        try outboxes.values.first?.root.syncFilesystem()
        try marac.packsWritten(Array(zip(packs, digests)).map { (pack: $0, sha256: $1) })
        logger.info("packs.written", ["kind": packs[0].kind.rawValue, "meeting": packs[0].meeting, "packs": packs.count])
    }

    /// Removes closed meeting `meeting`'s agenda packs (every version) and meeting packs
    /// from `agencies`' outboxes: nothing more is disclosed under the meeting, and what an
    /// agency has not fetched by then it no longer needs. The revocation notices stay.
    func removePacks(of meeting: String, agencies: [String]) throws {
        var removed = 0
        var last: Outbox?
        for agency in agencies {
            let outbox = try Outbox(state: stateDirectory, agency: agency, groupAccess: groupAccess)
            last = outbox
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
        }
        try last?.root.syncFilesystem()
        logger.info("packs.removed", ["meeting": meeting, "files": removed])
    }

    /// Signs and writes each revocation notice next to the meeting pack it revokes.
    func write(_ notices: [RevocationNotice]) throws {
        guard !notices.isEmpty else { return }
        let signer = try vault.cmsSigner()
        var last: Outbox?
        for notice in notices {
            let outbox = try Outbox(state: stateDirectory, agency: notice.agency, groupAccess: groupAccess)
            try outbox.meeting.writeAtomically(notice.fileName, try signer.sign(notice.content), mode: outbox.fileMode)
            last = outbox
        }
        try last?.root.syncFilesystem()
        logger.info("packs.revoked", ["notices": notices.count])
    }
}
