import Foundation
import Vault

/// A file an agency submitted: its bytes and the inbox it came through.
public struct Submission: Sendable {
    /// The bytes, exactly as received.
    public var bytes: [UInt8]
    /// The submitting agency (the inbox).
    public var agency: String

    /// A submission of `bytes` through `agency`'s inbox.
    public init(bytes: [UInt8], agency: String) {
        self.bytes = bytes
        self.agency = agency
    }
}

/// What became of a submission.
public enum SubmissionOutcome: Equatable, Sendable {
    /// Stored (or already stored: see `AcceptedForm.duplicate`).
    case accepted(AcceptedForm)
    /// Refused, with every reason (and, if asked, kept in quarantine).
    case rejected(FormRejection, QuarantineRecord?)
}

/// A stored form: what its receipt says.
public struct AcceptedForm: Equatable, Sendable {
    /// The vault document id.
    public let document: String
    /// The form's kind.
    public let kind: FormKind
    /// The case it opened or attached to (nil for an iswc with only a referral reference).
    public let caseNumber: CaseNumber?
    /// SHA-256 of the submitted bytes, for the receipt (the vault keeps only a keyed digest).
    public let digest: [UInt8]
    /// For a referral: the earlier case it repeats, if any.
    public let repeatOf: CaseNumber?
    /// For a referral with a checklist: the daemon's count.
    public let dashYesCount: Int?
    /// The collection entry's index in the log (nil for a duplicate).
    public let logIndex: Int?
    /// True when these bytes from this agency were stored before: the earlier document is
    /// returned and nothing new is written.
    public let duplicate: Bool
    /// When the form was first received (so a repeated receipt says the same).
    public let receivedAt: Date
}

/// Submissions validated ahead of the transaction that stores them (`Marac.validate`).
public struct ValidatedBatch: Sendable {
    /// The submissions, in order.
    public let submissions: [Submission]
    /// The day they were received (validation's context, and the stored date).
    let received: CalendarDate
    /// Each submission's verdict.
    let validations: [Result<ValidatedForm, FormRejection>]
    /// Each submission's SHA-256 (its receipt's `sha256`), computed with the verdicts so
    /// the transaction does not.
    let digests: [[UInt8]]

    /// Each submission as a batch of its own, with its verdict (to store one at a time
    /// when the whole batch is refused, without validating again).
    public var one: [ValidatedBatch] {
        submissions.indices.map {
            ValidatedBatch(submissions: [submissions[$0]], received: received, validations: [validations[$0]], digests: [digests[$0]])
        }
    }
}

extension Marac {
    /// Validates and stores `submissions` in one transaction (group commit): each is
    /// either stored with its case link and collection log entry, or rejected with every
    /// problem. Idempotent: the same bytes from the same agency map to the same document.
    /// Throws (and stores nothing) when the Marac cannot take forms at all: an unknown or
    /// inactive agency, or a referral while there is not exactly one active Idva.
    ///
    /// With `quarantining`, a rejected file's bytes are kept encrypted in quarantine in the
    /// same transaction (idempotently), so the caller may then remove it from the inbox.
    public func submit(_ submissions: [Submission], quarantining: Bool = false) throws -> [SubmissionOutcome] {
        try submit(validate(submissions), quarantining: quarantining)
    }

    /// Validates `submissions` for `submit(_:quarantining:)` with a `ValidatedBatch`.
    /// Validation needs nothing from the database: it runs before the transaction, on
    /// every core, so the vault is held only while forms are stored; and a caller may
    /// validate one batch while the previous one is stored.
    public func validate(_ submissions: [Submission]) -> ValidatedBatch {
        let received = CalendarDate(vault.currentTime)
        let validations = FormValidator.validate(submissions.map {
            ($0.bytes, ValidationContext(agency: $0.agency, received: received, thresholds: settings.thresholds,
                                         legalBases: settings.legalBases, maxBytes: settings.maxFormBytes))
        })
        return ValidatedBatch(submissions: submissions, received: received, validations: validations,
                              digests: submissions.map { SHA256.hash($0.bytes) })
    }

    /// As `submit(_:quarantining:)`, for a batch already validated (`validate(_:)`); its
    /// forms are received on the day they were validated.
    public func submit(_ validated: ValidatedBatch, quarantining: Bool = false) throws -> [SubmissionOutcome] {
        let received = validated.received
        return try vault.transaction { tx in
            let batch = BatchLookups(tx)
            return try validated.submissions.indices.map { i in
                let submission = validated.submissions[i]
                let outcome = try accept(submission, validated.validations[i], digest: validated.digests[i], received: received, batch)
                guard quarantining, case let .rejected(rejection, nil) = outcome else { return outcome }
                let record = try quarantine(submission.bytes, from: submission.agency, reason: "rejected",
                                            problems: rejection.problems, tx)
                return .rejected(rejection, record)
            }
        }
    }

    /// As `submit(_:quarantining:)` for one submission.
    public func submit(_ submission: Submission, quarantining: Bool = false) throws -> SubmissionOutcome {
        try submit([submission], quarantining: quarantining)[0]
    }

    /// What every form of a batch looks up once: its agency, and that there is an Idva.
    private final class BatchLookups {
        let tx: VaultTransaction
        private var agencies: [String: Agency] = [:]
        private var idvaConfirmed = false

        init(_ tx: VaultTransaction) { self.tx = tx }

        func agency(_ id: String) throws -> Agency {
            if let known = agencies[id] { return known }
            let agency = try AgencyRegistry.get(tx, id)
            agencies[id] = agency
            return agency
        }

        func requireIdva() throws {
            guard !idvaConfirmed else { return }
            _ = try AgencyRegistry.idva(tx)
            idvaConfirmed = true
        }
    }

    private func accept(_ submission: Submission, _ validation: Result<ValidatedForm, FormRejection>, digest: [UInt8],
                        received: CalendarDate, _ batch: BatchLookups) throws -> SubmissionOutcome {
        let tx = batch.tx
        let agency = try batch.agency(submission.agency)
        guard agency.active else { throw ExchangeError.agencyInactive(agency.id) }
        let keyed = try tx.contentDigest(submission.bytes)  // what is stored and logged: see x_submission
        if let earlier = try previouslyAccepted(tx, agency: agency.id, keyed: keyed, digest: digest) { return .accepted(earlier) }

        let validated: ValidatedForm
        switch validation {
        case let .failure(rejection): return .rejected(rejection, nil)
        case let .success(form): validated = form
        }
        // A rectification names the form it corrects: one of this agency's, of this kind,
        // live and not superseded already. Every other id gets the same report.
        var superseded: Supersession.Earlier?
        if let id = validated.form.supersedes {
            let caseNumber: CaseNumber?? = switch validated.form {
            case .referral: .none  // a corrected referral stays on the earlier one's case
            case let .research(form): .some(form.caseNumber)
            case let .iswc(form): .some(form.caseNumber)
            case .actionUpdate: .none
            }
            guard let earlier = try Supersession.earlier(tx, id, kind: validated.form.kind, agency: agency.id),
                  caseNumber.map({ $0 == earlier.caseNumber }) ?? true else {
                return .rejected(FormRejection(kind: validated.form.kind, problems: [
                    FormProblem(JSONPath.root.appending("supersedes"), .unknownDocument, Supersession.noSuchDocument),
                ]), nil)
            }
            superseded = earlier
        }
        let stored: StoredForm
        switch validated.form {
        case let .referral(referral):
            try batch.requireIdva()
            stored = try store(referral, score: validated.dashScore, submission, agency: agency, received: received,
                               correcting: superseded?.caseNumber, tx)
        case let .research(research):
            // Research is taken only from an agency invited to a meeting (not yet closed)
            // with the case on its agenda. Every other case, existing or not, gets the same
            // report, so no agency can probe case numbers.
            guard let record = try? CaseBook.get(tx, research.caseNumber), record.status == .open,
                  try MeetingBook.openMeetings(tx, with: research.caseNumber.description).contains(where: { $0.invited.contains(agency.id) }) else {
                return .rejected(FormRejection(kind: .research, problems: [
                    FormProblem(JSONPath.root.appending("caseNumber"), .unknownCase, Self.noSuchCaseForThisAgency),
                ]), nil)
            }
            stored = try attach(.research, submission, case: record.number, victim: research.victim, received: received,
                                bases: ["marac-isp"], tx)
        case let .iswc(iswc):
            // An iswc names a case only if the sender referred it or is invited to a meeting
            // (not yet closed) with it on the agenda; otherwise the same report as above.
            if let number = iswc.caseNumber {
                let record = try? CaseBook.get(tx, number)
                let invited = try MeetingBook.openMeetings(tx, with: number.description).contains { $0.invited.contains(agency.id) }
                guard let record, record.referringAgency == agency.id || invited else {
                    return .rejected(FormRejection(kind: .iswc, problems: [
                        FormProblem(JSONPath.root.appending("caseNumber"), .unknownCase, Self.noSuchCaseForThisAgency),
                    ]), nil)
                }
            }
            let protocolBasis = iswc.legalAuthority.protocol?.relevant == true ? ["marac-isp"] : []
            stored = try attach(.iswc, submission, case: iswc.caseNumber, victim: iswc.victim, received: received,
                                bases: protocolBasis + (iswc.legalAuthority.legalBases ?? []), tx)
        case let .actionUpdate(update):
            switch try Self.takeUpdate(tx, update, bytes: submission.bytes, from: agency.id) {
            case let .failure(rejection): return .rejected(rejection, nil)
            case let .success(taken): stored = StoredForm(document: taken.document, caseNumber: taken.caseNumber, repeatOf: nil, bases: ["marac-isp"])
            }
        }
        if let superseded { try Supersession.record(tx, superseded, by: stored.document, agency: agency.id) }
        try tx.execute("INSERT INTO x_submission (agency, digest, document, received_at) VALUES (?, ?, ?, ?)",
                       [.text(agency.id), .blob(keyed), .text(stored.document), .integer(Int64(tx.now.timeIntervalSince1970))])
        let entry = LogEntry.collection(of: stored.document, through: agency.id, case: stored.caseNumber?.description, bases: stored.bases,
                                        at: tx.now, justification: "\(validated.form.kind.rawValue) form received through the \(agency.id) inbox",
                                        details: ["kind": validated.form.kind.rawValue, "digest": Hex.encode(keyed)])
        let index = try tx.append(entry)
        return .accepted(AcceptedForm(document: stored.document, kind: validated.form.kind, caseNumber: stored.caseNumber,
                                      digest: digest, repeatOf: stored.repeatOf, dashYesCount: validated.dashScore?.yesCount,
                                      logIndex: index, duplicate: false, receivedAt: tx.now))
    }

    /// The one report for a case an agency may not send a form for, whether or not it exists.
    static let noSuchCaseForThisAgency = "no open case on a meeting this agency is invited to"

    private struct StoredForm {
        var document: String
        var caseNumber: CaseNumber?
        var repeatOf: CaseNumber?
        var bases: [String]
    }

    /// A referral opens a case: numbered, linked to the victim's last case if that was
    /// referred within 12 months, with its equality facts sealed for the statistics.
    private func store(_ referral: Referral, score: DashScore?, _ submission: Submission, agency: Agency,
                       received: CalendarDate, correcting: CaseNumber?, _ tx: VaultTransaction) throws -> StoredForm {
        let tokens = try RepeatDetection.tokens(tx, name: referral.victim.name, aliases: referral.victim.aliases ?? [],
                                                dob: referral.victim.dob)
        if let number = correcting { return try restore(referral, score: score, submission, agency: agency, tokens: tokens, case: number, tx) }
        let last = try RepeatDetection.lastCase(tx, tokens: tokens)
        let repeatOf = last.flatMap { RepeatDetection.isRepeat(last: $0.receivedOn, received: received) ? $0.number : nil }
        let number = try CaseBook.allocate(tx, prefix: settings.casePrefix, year: received.year)
        let bases = referral.consentGiven ? ["consent"] : referral.sharingWithoutConsent?.legalBases ?? []
        // The case and the bases it was referred under are bound to the document (the
        // access policy's facts: the Idva's copy is disclosed under these bases).
        let document = try tx.put(NewDocument(content: SecretBytes(copying: submission.bytes), agency: agency.id,
                                              kind: FormKind.referral.rawValue,
                                              metadata: ["case": number.description, "bases": bases.joined(separator: ",")],
                                              subjects: tokens))
        try tx.execute("""
            INSERT INTO x_case (number, prefix, year, sequence, status, received_on, referral, referring_agency, agency_kind,
                                repeat_of, repeat_ticked, repeat_checked, dash_yes, facts)
            VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(number.description), .text(number.prefix), .integer(Int64(number.year)), .integer(Int64(number.sequence)),
                  .text(received.description), .text(document), .text(agency.id), .text(agency.kind.rawValue),
                  repeatOf.map { .text($0.description) } ?? .null, .integer(referral.reasons.repeat ? 1 : 0),
                  .integer(tokens.isEmpty ? 0 : 1), score.map { .integer(Int64($0.yesCount)) } ?? .null,
                  .blob(try ReferralFacts(referral, received: received).sealed(tx, for: number))])
        return StoredForm(document: document, caseNumber: number, repeatOf: repeatOf, bases: bases)
    }

    /// A corrected referral takes the earlier one's place on its case (number, receipt
    /// date and repeat finding unchanged; its Dash count and equality facts from the
    /// correction).
    private func restore(_ referral: Referral, score: DashScore?, _ submission: Submission, agency: Agency, tokens: [BlindToken],
                         case number: CaseNumber, _ tx: VaultTransaction) throws -> StoredForm {
        let record = try CaseBook.get(tx, number)
        let bases = referral.consentGiven ? ["consent"] : referral.sharingWithoutConsent?.legalBases ?? []
        let document = try tx.put(NewDocument(content: SecretBytes(copying: submission.bytes), agency: agency.id,
                                              kind: FormKind.referral.rawValue,
                                              metadata: ["case": number.description, "bases": bases.joined(separator: ",")],
                                              subjects: tokens))
        try tx.execute("UPDATE x_case SET referral = ?, repeat_ticked = ?, dash_yes = ?, facts = ? WHERE number = ?",
                       [.text(document), .integer(referral.reasons.repeat ? 1 : 0), score.map { .integer(Int64($0.yesCount)) } ?? .null,
                        .blob(try ReferralFacts(referral, received: record.receivedOn).sealed(tx, for: number)), .text(number.description)])
        return StoredForm(document: document, caseNumber: number, repeatOf: record.repeatOf, bases: bases)
    }

    /// A research or iswc form is stored and attached to its case.
    private func attach(_ kind: FormKind, _ submission: Submission, case number: CaseNumber?, victim: PersonReference,
                        received: CalendarDate, bases: [String], _ tx: VaultTransaction) throws -> StoredForm {
        let tokens = try RepeatDetection.tokens(tx, name: victim.name, aliases: [], dob: victim.dob)
        let document = try tx.put(NewDocument(content: SecretBytes(copying: submission.bytes), agency: submission.agency,
                                              kind: kind.rawValue, metadata: number.map { ["case": $0.description] } ?? [:],
                                              subjects: tokens))
        try tx.execute("INSERT INTO x_attachment (document, case_number, kind, agency, received_on) VALUES (?, ?, ?, ?, ?)",
                       [.text(document), number.map { .text($0.description) } ?? .null, .text(kind.rawValue),
                        .text(submission.agency), .text(received.description)])
        return StoredForm(document: document, caseNumber: number, repeatOf: nil, bases: bases)
    }

    /// The earlier acceptance of the same bytes from the same agency, if any.
    private func previouslyAccepted(_ tx: VaultTransaction, agency: String, keyed: [UInt8], digest: [UInt8]) throws -> AcceptedForm? {
        guard let row = try tx.rows("SELECT document, received_at FROM x_submission WHERE agency = ? AND digest = ?",
                                    [.text(agency), .blob(keyed)]).first else { return nil }
        let record = try tx.record(try row.text(0, "x_submission"))
        guard let kind = FormKind(rawValue: record.kind) else { throw ExchangeError.corruptRow("x_submission/\(record.id)") }
        let number = record.metadata["case"].flatMap { CaseNumber($0) }
        var repeatOf: CaseNumber?, dashYes: Int?
        if kind == .referral, let number {
            let stored = try CaseBook.get(tx, number)
            repeatOf = stored.repeatOf
            dashYes = stored.dashYesCount
        }
        return AcceptedForm(document: record.id, kind: kind, caseNumber: number, digest: digest, repeatOf: repeatOf,
                            dashYesCount: dashYes, logIndex: nil, duplicate: true,
                            receivedAt: Date(timeIntervalSince1970: TimeInterval(try row.int(1, "x_submission"))))
    }
}
