import Foundation
import Vault

/// Who a case is about, as its current referral says: what the coordinator's case list
/// shows beside each case (docs/access.md, "The coordinator's case list").
public struct CaseSubject: Equatable, Sendable {
    /// The victim's name as referred.
    public let name: String
    /// Their date of birth, `YYYY-MM-DD`.
    public let dateOfBirth: String
}

extension Marac {
    /// The words the listing's reads are logged under.
    static let caseListReason = "the case list: who each case is about"

    /// The cases `principal` may see, as `visibleCases` gives them, and for the coordinator
    /// who each is about: the victim's name and date of birth from each case's current
    /// referral. Those referrals are read through the access policy like any read, under
    /// the first row that admits the coordinator (theirs, under `marac-isp`; the Idva's,
    /// under the referral's own bases, when the coordinator works for the Idva), and the
    /// reads it allows are logged as one entry for the listing, naming every referral
    /// read. Anyone else gets no subjects.
    public func caseListing(to principal: Principal, meeting: String? = nil, unscheduled: Bool = false) throws
        -> [(view: CaseView, subject: CaseSubject?)] {
        let views = try visibleCases(to: principal, meeting: meeting, unscheduled: unscheduled)
        guard principal.roles.contains(.coordinator) else { return views.map { ($0, nil) } }
        // Each case's current referral: the latest the coordinator may read (a corrected
        // one's earlier version is for its agency and IG officers only).
        let referrals = views.compactMap { $0.documents.last { $0.kind == "referral" }?.id }
        guard !referrals.isEmpty else { return views.map { ($0, nil) } }
        let request = AccessRequest(actor: principal.name, agency: principal.agency, bases: ["marac-isp"], reason: Self.caseListReason,
                                    context: principal.accessContext)
        let answers = try vault.readListing(referrals.map { ($0, request) }) { entries in
            try Self.listingEntry(entries.map { try LogEntry(decoding: $0) }).encoded()
        }
        var subjects: [String: CaseSubject] = [:]
        for (id, answer) in zip(referrals, answers) {
            guard let content = try? answer.get().content else { continue }
            subjects[id] = content.withUnsafeBytes { Self.subject(of: Array($0)) }
        }
        return views.map { view in (view, view.documents.last { $0.kind == "referral" }.flatMap { subjects[$0.id] }) }
    }

    /// The one entry of a listing: the policy's entries for each read, summed up: every
    /// record, recipient and basis they name, a disclosure if any was one.
    static func listingEntry(_ reads: [LogEntry]) -> LogEntry {
        let first = reads[0]
        let owners = Set(reads.compactMap { $0.details["owner"] }).sorted()
        var details = ["what": "case-list", "cases": String(reads.count), "rule": Set(reads.compactMap { $0.details["rule"] }).sorted().joined(separator: ","),
                       "kind": "referral"]
        if owners.count == 1 { details["owner"] = owners[0] } else { details["owners"] = owners.joined(separator: ",") }
        var bases: [String] = []
        for basis in reads.flatMap(\.bases) where !bases.contains(basis) { bases.append(basis) }
        return LogEntry(time: first.time, operation: reads.contains { $0.operation == .disclosure } ? .disclosure : .consultation,
                        actor: first.actor, records: reads.flatMap(\.records), case: nil, meeting: nil,
                        recipients: Set(reads.flatMap(\.recipients)).sorted(), bases: bases,
                        justification: first.justification, details: details)
    }

    /// The victim's name and date of birth from a referral's bytes, or nil if it holds
    /// none (every stored referral passed validation, so it does).
    static func subject(of referral: [UInt8]) -> CaseSubject? {
        guard let form = try? JSONParser().parse(referral).value, let victim = form["victim"],
              let name = victim["name"]?.string, let dob = victim["dob"]?.string else { return nil }
        return CaseSubject(name: name, dateOfBirth: dob)
    }
}
