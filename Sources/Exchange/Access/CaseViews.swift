import Foundation
import Vault

/// What a principal may see of a case: its record, the meetings that heard it, and the
/// documents some access rule admits them to now (ids, kinds and owners; no content).
public struct CaseView: Equatable, Sendable {
    /// The case.
    public let record: CaseRecord
    /// The meetings with it on their agenda.
    public let meetings: [String]
    /// The documents the principal may ask to read now.
    public let documents: [DocumentRecord]
    /// Whether repeat findings are shown (to the coordinator only: they link referrals).
    public let showsRepeats: Bool
}

extension Marac {
    /// The cases `principal` may see, as `CaseVisibility`'s table decides (`docs/access.md`,
    /// "Who sees which case"). Filtered to `meeting`'s agenda, or to cases on no meeting (`unscheduled`).
    public func visibleCases(to principal: Principal, meeting: String? = nil, unscheduled: Bool = false) throws -> [CaseView] {
        try vault.reading { tx in
            var numbers: [String]
            if let meeting {
                _ = try MeetingBook.get(tx, meeting)
                numbers = try tx.rows("SELECT case_number FROM x_agenda WHERE meeting = ? ORDER BY case_number", [.text(meeting)])
                    .map { try $0.text(0, "x_agenda") }
            } else {
                numbers = try tx.rows("SELECT number FROM x_case ORDER BY number").map { try $0.text(0, "x_case") }
            }
            var views: [CaseView] = []
            for number in numbers {
                guard let parsed = CaseNumber(number), let view = try caseView(tx, parsed, to: principal) else { continue }
                if unscheduled && !view.meetings.isEmpty { continue }
                views.append(view)
            }
            return views
        }
    }

    /// Case `number` as `principal` may see it; `unknownCase` if they may not see it at
    /// all (the same answer as for a case that does not exist). A tampered link is
    /// reported as such, never hidden behind `unknownCase`.
    public func caseView(_ number: CaseNumber, to principal: Principal) throws -> CaseView {
        try vault.reading { tx in
            guard let view = try caseView(tx, number, to: principal) else { throw ExchangeError.unknownCase(number.description) }
            return view
        }
    }

    private func caseView(_ tx: VaultTransaction, _ number: CaseNumber, to principal: Principal) throws -> CaseView? {
        let record = try CaseBook.get(tx, number)
        let meetings = try MeetingBook.meetings(tx, with: number.description)
        let facts = CaseVisibility.Facts(referringAgency: record.referringAgency, invitedAgencies: Set(meetings.flatMap(\.invited)))
        guard let visibility = CaseVisibility.decide(principal, facts) else { return nil }
        let reader = try AccessPolicy.Reader.load(tx, principal)
        let meetingFacts = AccessPolicy.Meeting.facts(meetings, for: principal)
        var documents: [DocumentRecord] = []
        // Readers see the latest version of a corrected form (the earlier: doc.read by its
        // agency or an IG officer, for the audit trail).
        let ids = [record.referral] + (try tx.rows("""
            SELECT document, case_number, kind, agency FROM x_attachment WHERE case_number = ?
            AND document NOT IN (SELECT old FROM x_supersession) ORDER BY document
            """,
                                                   [.text(number.description)]).map { row -> String in
            try CaseBook.checkAttachment(row, tx)
            return try row.text(0, "x_attachment")
        }) + (try Self.minuteDocuments(tx, number.description))
        for id in ids {
            let document = try tx.record(id)
            guard document.erasedAt == nil else { continue }
            if AccessPolicy.admits(reader, AccessPolicy.Document(record: document), meetings: meetingFacts) { documents.append(document) }
        }
        return CaseView(record: record, meetings: meetings.map(\.id), documents: documents,
                        showsRepeats: visibility.showsRepeats)
    }

    /// The meeting's record of case `number` (`docs/actions.md`): its actions, plan parts
    /// and action updates, by document id. They go with the case: into its view, its
    /// exports, subject access and retention.
    static func minuteDocuments(_ tx: VaultTransaction, _ number: String) throws -> [String] {
        try tx.rows("SELECT document FROM x_minute WHERE case_number = ? ORDER BY document", [.text(number)]).map { try $0.text(0, "x_minute") }
    }
}
