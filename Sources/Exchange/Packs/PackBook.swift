import Foundation
import Vault

/// A pack ready to be signed, encrypted to its agency and written (`docs/packs.md`).
public struct PreparedPack: Sendable {
    /// Agenda or meeting pack.
    public let kind: PackKind
    /// The meeting.
    public let meeting: String
    /// The recipient agency.
    public let agency: String
    /// The version (agenda packs count up from 1; a meeting pack is version 1).
    public let version: Int
    /// The agency's registered certificate, valid when the pack was recorded.
    public let certificate: Certificate
    /// Its file name in `<state>/outbox/<agency>/<kind>/`.
    public let fileName: String
    /// The content: canonical JSON holding personal data; never logged.
    public let content: [UInt8]
    /// The documents it discloses.
    public let documents: [String]
}

/// What sending an agenda did.
public struct AgendaIssue: Sendable {
    /// The meeting after it (`agenda-issued`, or as it was for a resend).
    public let meeting: Meeting
    /// The version sent.
    public let version: Int
    /// One pack per invited agency.
    public let packs: [PreparedPack]
    /// Whole days from the day it was sent to the meeting's date.
    public let daysAhead: Int
}

/// What opening a meeting, or a late declaration, made of meeting packs.
public struct MeetingPacks: Sendable {
    /// One pack per agency now due one.
    public let packs: [PreparedPack]
    /// Declared agencies left without a pack because their certificate is missing or not
    /// valid, with why.
    public let skipped: [(agency: String, reason: String)]
}

extension Marac {
    // MARK: - Agenda

    /// Sends agenda version N+1 of meeting `id` (coordinator): records it for every invited
    /// agency, moves a `scheduled` meeting to `agenda-issued`, then reads each case's
    /// referral once per agency through the access policy (one `disclosure` per agency per
    /// case, committed before anything is decrypted) and returns the packs to write.
    /// Refused, recording nothing, when an invited agency has no valid certificate.
    public func sendAgenda(_ id: String, by principal: Principal) throws -> AgendaIssue {
        try ControlPolicy.require("meeting.send-agenda", principal)
        let (meeting, version, certificates) = try vault.transaction { tx -> (Meeting, Int, [String: Certificate]) in
            let meeting = try MeetingBook.get(tx, id)
            guard meeting.state == .scheduled || meeting.state == .agendaIssued else {
                throw ExchangeError.conflict("meeting \(id) is \(meeting.state.rawValue); the agenda goes out before it sits")
            }
            guard !meeting.agenda.isEmpty else { throw ExchangeError.conflict("meeting \(id) has no cases on its agenda") }
            guard !meeting.invited.isEmpty else { throw ExchangeError.conflict("meeting \(id) has no invited agencies") }
            let certificates = try Self.recipientCertificates(tx, meeting.invited)
            let last = try tx.rows("SELECT max(version) FROM x_pack WHERE meeting = ? AND kind = 'agenda'", [.text(id)]).first?.first?.integer
            let version = Int(last ?? 0) + 1
            try Self.record(tx, .agenda, meeting: id, agencies: meeting.invited, version: version, by: principal)
            if meeting.state == .scheduled {
                try tx.changeFact("x_meeting", [.text(id)], "UPDATE x_meeting SET state = 'agenda-issued', updated_at = ? WHERE id = ?",
                                  [.integer(Int64(tx.now.timeIntervalSince1970)), .text(id)])
            }
            try tx.append(.meeting(id, by: principal.actor, recipients: meeting.invited, at: tx.now, justification: "agenda version \(version) sent",
                                   details: ["action": "send-agenda", "version": String(version), "from": meeting.state.rawValue,
                                                "to": MeetingState.agendaIssued.rawValue, "cases": String(meeting.agenda.count),
                                                "certificates": Self.fingerprints(certificates)]))
            return (try MeetingBook.get(tx, id), version, certificates)
        }
        let (referrals, history) = try vault.reading { tx in
            let records = try meeting.agenda.map { try CaseBook.get(tx, $0) }
            return (records, try records.map { try AgendaEntry.History.load(tx, $0) })
        }
        let contents = try readForPacks(.agenda, meeting: meeting, version: version, certificates: certificates, by: principal,
                                        documents: Dictionary(uniqueKeysWithValues: meeting.invited.map { ($0, referrals.map(\.referral)) }))
        let issuedAt = LogEntry.timestamp(vault.currentTime)
        let packs = try meeting.invited.map { agency -> PreparedPack in
            let cases = AgendaEntry.ordered(try zip(zip(referrals, history), contents[agency] ?? []).map { pair, form in
                try AgendaEntry.json(pair.0, form: form, history: pair.1, meetingDate: meeting.date)
            })
            var content = JSONObject()
            content.set("v", 1)
            content.set("type", "agenda")
            content.set("meeting", .string(id))
            content.set("date", .string(meeting.date.description))
            content.set("version", .number(Double(version)))
            content.set("issuedAt", .string(issuedAt))
            content.set("recipient", .string(agency))
            content.set("cases", .array(cases))
            return PreparedPack(kind: .agenda, meeting: id, agency: agency, version: version, certificate: certificates[agency]!,
                                fileName: PackRead.fileName(.agenda, meeting: id, version: version),
                                content: JSONValue.object(content).canonicalBytes, documents: referrals.map(\.referral))
        }
        let today = CalendarDate(vault.currentTime)
        return AgendaIssue(meeting: meeting, version: version, packs: packs, daysAhead: meeting.date.dayNumber - today.dayNumber)
    }

    // MARK: - Meeting packs

    /// The meeting packs now due for meeting `id` (in session): one for every invited
    /// agency with a declaration and no pack yet (`only` limits it to one agency, after
    /// its declaration). Each is recorded, then its documents (the referral and research
    /// of every case on the agenda) read through the access policy, one `disclosure` each.
    public func meetingPacks(_ id: String, only: String? = nil, by principal: Principal) throws -> MeetingPacks {
        let (meeting, due, skipped) = try vault.transaction { tx -> (Meeting, [String: Certificate], [(agency: String, reason: String)]) in
            let meeting = try MeetingBook.get(tx, id)
            guard meeting.state == .inSession else { return (meeting, [:], []) }
            // A pack recorded but never written (the write failed) is due again.
            let holders = Set(try tx.rows("SELECT agency FROM x_pack WHERE meeting = ? AND kind = 'meeting' AND sha256 IS NOT NULL", [.text(id)])
                .map { try $0.text(0, "x_pack") })
            var due: [String: Certificate] = [:]
            var skipped: [(agency: String, reason: String)] = []
            for agency in meeting.invited where !holders.contains(agency) && (only == nil || only == agency)
                && meeting.declarations.contains(where: { $0.agency == agency }) {
                do { due[agency] = try Self.recipientCertificates(tx, [agency])[agency] } catch let error as ExchangeError {
                    skipped.append((agency, error.description))
                }
            }
            try Self.record(tx, .meeting, meeting: id, agencies: due.keys.sorted(), version: 1, by: principal)
            if !due.isEmpty {
                // Recorded before any document is read, naming each recipient's certificate.
                try tx.append(.meeting(id, by: principal.actor, recipients: due.keys.sorted(), at: tx.now, justification: "meeting packs recorded",
                                       details: ["action": "record-packs", "certificates": Self.fingerprints(due)]))
            }
            return (meeting, due, skipped)
        }
        guard !due.isEmpty else { return MeetingPacks(packs: [], skipped: skipped) }
        let documents = try vault.reading { tx -> [(id: String, record: DocumentRecord)] in
            try meeting.agenda.flatMap { number -> [(id: String, record: DocumentRecord)] in
                let record = try CaseBook.get(tx, number)
                let research = try tx.rows("SELECT document FROM x_attachment WHERE case_number = ? AND kind = 'research' AND document NOT IN (SELECT old FROM x_supersession) ORDER BY received_on, document",
                                           [.text(number.description)]).map { try $0.text(0, "x_attachment") }
                return try ([record.referral] + research).map { ($0, try tx.record($0)) }.filter { $0.record.erasedAt == nil }
            }
        }
        let ids = documents.map(\.id)
        let contents = try readForPacks(.meeting, meeting: meeting, version: 1, certificates: due, by: principal,
                                        documents: Dictionary(uniqueKeysWithValues: due.keys.map { ($0, ids) }))
        let issuedAt = LogEntry.timestamp(vault.currentTime)
        let packs = due.keys.sorted().map { agency -> PreparedPack in
            let items = zip(documents, contents[agency] ?? []).map { document, form -> JSONValue in
                .object(JSONObject(["document": .string(document.id), "case": .string(document.record.metadata["case"] ?? ""),
                                    "agency": .string(document.record.agency), "kind": .string(document.record.kind), "form": form]))
            }
            let content = JSONObject(["v": 1, "type": "meeting-pack", "meeting": .string(id), "issuedAt": .string(issuedAt),
                                      "recipient": .string(agency), "documents": .array(items)])
            return PreparedPack(kind: .meeting, meeting: id, agency: agency, version: 1, certificate: due[agency]!,
                                fileName: PackRead.fileName(.meeting, meeting: id, version: 1),
                                content: JSONValue.object(content).canonicalBytes, documents: ids)
        }
        return MeetingPacks(packs: packs, skipped: skipped)
    }

    // MARK: - After writing

    /// Records the SHA-256 of each pack's file, once written.
    public func packsWritten(_ written: [(pack: PreparedPack, sha256: [UInt8])]) throws {
        guard !written.isEmpty else { return }
        try vault.transaction { tx in
            for (pack, digest) in written {
                try tx.changeFact("x_pack", [.text(pack.meeting), .text(pack.kind.rawValue), .text(pack.agency), .integer(Int64(pack.version))],
                                  "UPDATE x_pack SET sha256 = ? WHERE meeting = ? AND kind = ? AND agency = ? AND version = ?",
                                  [.blob(digest), .text(pack.meeting), .text(pack.kind.rawValue), .text(pack.agency), .integer(Int64(pack.version))])
            }
            let first = written[0].pack
            try tx.append(.meeting(first.meeting, by: .daemon, recipients: written.map(\.pack.agency).sorted(), at: tx.now,
                                   justification: "\(first.kind.rawValue) packs written to the agencies' outboxes",
                                   details: ["action": "packs-written", "kind": first.kind.rawValue]))
        }
    }

    // MARK: - Helpers

    /// Each agency's certificate, valid now; refuses naming the first without one.
    static func recipientCertificates(_ tx: VaultTransaction, _ agencies: [String]) throws -> [String: Certificate] {
        var certificates: [String: Certificate] = [:]
        for id in agencies {
            let agency = try AgencyRegistry.get(tx, id)
            guard agency.active else { throw ExchangeError.agencyInactive(id) }
            guard let der = agency.certificate else { throw ExchangeError.noRecipientCertificate(agency: id, reason: "has no certificate") }
            do { certificates[id] = try AgencyRegistry.validateCertificate(der, at: tx.now) } catch let ExchangeError.invalidAgency(_, reason) {
                throw ExchangeError.noRecipientCertificate(agency: id, reason: "certificate " + reason)
            }
        }
        return certificates
    }

    /// Each recipient's certificate by its SHA-256 fingerprint, `agency=hex` joined by commas
    /// (what `audit verify` checks against the registry's history in the log).
    static func fingerprints(_ certificates: [String: Certificate]) -> String {
        certificates.keys.sorted().map { "\($0)=\(Hex.encode(certificates[$0]!.sha256Fingerprint))" }.joined(separator: ",")
    }

    static func record(_ tx: VaultTransaction, _ kind: PackKind, meeting: String, agencies: [String], version: Int, by principal: Principal) throws {
        for agency in agencies {
            try tx.changeFact("x_pack", [.text(meeting), .text(kind.rawValue), .text(agency), .integer(Int64(version))],
                              "INSERT OR REPLACE INTO x_pack (meeting, kind, agency, version, issued_at, issued_by) VALUES (?, ?, ?, ?, ?, ?)",
                              [.text(meeting), .text(kind.rawValue), .text(agency), .integer(Int64(version)),
                            .integer(Int64(tx.now.timeIntervalSince1970)), .text(principal.name)])
        }
    }

    /// Reads `documents[agency]` for each agency through the access policy, all in one
    /// group commit; returns each agency's forms, parsed, in the order asked. Any refusal
    /// fails the whole pack (its refusals are logged).
    func readForPacks(_ kind: PackKind, meeting: Meeting, version: Int, certificates: [String: Certificate], by principal: Principal,
                      documents: [String: [String]]) throws -> [String: [JSONValue]] {
        let agencies = documents.keys.sorted()
        var requests: [(id: String, request: AccessRequest)] = []
        for agency in agencies {
            let context = PackRead.context(kind, meeting: meeting.id, recipient: agency, version: version,
                                             certificateSHA256: Hex.encode(certificates[agency]!.sha256Fingerprint), for: principal)
            for id in documents[agency]! {
                requests.append((id, AccessRequest(actor: principal.name, agency: principal.agency, bases: ["marac-isp"],
                                                   reason: "", context: context)))
            }
        }
        var answers = try vault.readLogged(requests).makeIterator()
        var parsed: [ObjectIdentifier: JSONValue] = [:]
        var result: [String: [JSONValue]] = [:]
        for agency in agencies {
            result[agency] = try documents[agency]!.map { _ in
                let (content, _) = try answers.next()!.get()
                if let value = parsed[ObjectIdentifier(content)] { return value }
                let value = try content.withUnsafeBytes { bytes in try JSONParser().parse(Array(bytes)).value }
                parsed[ObjectIdentifier(content)] = value
                return value
            }
        }
        return result
    }
}
