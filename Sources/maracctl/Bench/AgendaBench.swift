import Exchange
import Foundation
import Vault

/// The `agenda` area: `meeting send-agenda` through the real daemon for a meeting of
/// `cases` cases and `agencies` invited agencies (every referral read through the access
/// policy once per agency, one disclosure each, then a signed and encrypted pack per
/// agency, written and synced), and the meeting packs the same meeting's opening sends to
/// every agency (all declared); then `meeting send-minutes` for a closed meeting of
/// `minutesCases` cases with `actionsPerCase` actions and a plan's risks each, every agency
/// having attended. The baseline, in the same run: one agenda pack's CMS sign and encrypt,
/// in-process; the ratios compare each whole send with that cost times the number of packs.
struct AgendaBench {
    let cases: Int
    let agencies: Int
    var minutesCases = 20
    var actionsPerCase = 5

    func run() throws -> BenchReport {
        var report = BenchReport(area: .agenda)
        let scratch = try DaemonBenchScratch(area: "agenda")
        defer { scratch.remove() }
        let coordinator = Principal(uid: Int(geteuid()), name: "Bench coordinator", agency: "idva", roles: [.coordinator, .chair])
        let meeting: String, minutes: String
        var recipient: Certificate?
        do {
            let marac = try Marac(vault: try Vault.open(stateDirectory: scratch.state))
            let ids = (0..<agencies).map { "agency-\($0)" }
            for (index, id) in ids.enumerated() {
                // A third RSA (OAEP), the rest EC (ECDH): both key-management paths.
                let key = index % 3 == 0 ? try PrivateKey.generateRSA(bits: 2048) : try PrivateKey.generateP256()
                let certificate = try Certificate.selfSigned(commonName: id, key: key, notBefore: Date() - 3_600, usage: .recipient)
                if index == 1 { recipient = certificate }
                try marac.agencies.add(Agency(id: id, name: id, kind: .other, certificate: certificate.derRepresentation))
            }
            let numbers = try marac.submit((0..<cases).map { Submission(bytes: scratch.referral("Agenda", $0), agency: "police") }).compactMap { outcome -> CaseNumber? in
                if case let .accepted(form) = outcome { return form.caseNumber }
                return nil
            }
            guard numbers.count == cases else { throw CommandError(code: .software, message: "only \(numbers.count) of \(cases) referrals were accepted") }
            let date = CalendarDate(Date()).adding(days: 14)
            meeting = try marac.meetings.create(date: date, by: coordinator).id
            _ = try marac.meetings.invite(meeting, agencies: ids, by: coordinator)
            for number in numbers { _ = try marac.meetings.addCase(meeting, number, by: coordinator) }
            for id in ids { _ = try marac.meetings.declare(meeting, person: "Rep \(id)", agency: id, statement: [1], by: coordinator) }
            minutes = try minutesMeeting(marac, scratch, agencies: ids, on: CalendarDate(Date()), by: coordinator)
        }
        let principals = scratch.path + "/principals.json"
        try Data(#"{"version": 1, "principals": [{"uid": \#(geteuid()), "name": "Bench coordinator", "agency": "idva", "roles": ["coordinator", "chair"]}]}"#.utf8)
            .write(to: URL(fileURLWithPath: principals))
        let config = try scratch.writeConfig(#""principalsFile": "\#(principals)""#)
        let daemon = try DaemonProcess(config: config, log: scratch.path + "/maracd.log")
        defer { daemon.stop() }
        let client = ControlClient(path: scratch.state + "/run/maracd.sock")

        var started = ContinuousClock.now
        let sent = try client.call(ControlRequest(verb: "meeting.send-agenda", args: JSONObject(["meeting": .string(meeting)])))
        let agendaSeconds = (ContinuousClock.now - started).seconds
        guard sent["packs"]?.array?.count == agencies else { throw CommandError(code: .software, message: "send-agenda sent \(sent["packs"]?.array?.count ?? 0) packs") }
        let pack = try Data(contentsOf: URL(fileURLWithPath: scratch.state + "/outbox/agency-1/agenda/\(meeting)-v1.p7m"))
        started = ContinuousClock.now
        let opened = try client.call(ControlRequest(verb: "meeting.advance", args: JSONObject(["meeting": .string(meeting), "to": "in-session"])))
        let meetingSeconds = (ContinuousClock.now - started).seconds
        guard opened["packs"]?.array?.count == agencies else { throw CommandError(code: .software, message: "opening sent \(opened["packs"]?.array?.count ?? 0) packs") }
        started = ContinuousClock.now
        let minuted = try client.call(ControlRequest(verb: "meeting.send-minutes", args: JSONObject(["meeting": .string(minutes)])))
        let minutesSeconds = (ContinuousClock.now - started).seconds
        guard minuted["packs"]?.array?.count == agencies else { throw CommandError(code: .software, message: "send-minutes sent \(minuted["packs"]?.array?.count ?? 0) packs") }
        let minutesPack = try Data(contentsOf: URL(fileURLWithPath: scratch.state + "/outbox/agency-1/minutes/\(minutes)-minutes-v1.p7m"))
        daemon.stop()

        // Baseline: one agenda pack's content (the size the daemon wrote), signed and
        // encrypted to one EC agency, in this process.
        let vault = try Vault.open(stateDirectory: scratch.state)
        let signer = try vault.cmsSigner()
        let content = [UInt8](repeating: 0x61, count: max(1, pack.count - 1_200))
        let one = 1 / (try measureRate(seconds: 1) { _ = try CMS.encrypt(try signer.sign(content), to: [recipient!]) })
        report.figures += [
            ("cases", Double(cases)), ("agencies", Double(agencies)), ("agenda_pack_bytes", Double(pack.count)),
            ("send_agenda_s", agendaSeconds), ("meeting_packs_s", meetingSeconds), ("one_pack_sign_encrypt_ms", one * 1000),
            ("disclosures_logged", Double(cases * agencies * 2)),
            ("minutes_cases", Double(minutesCases)), ("minutes_actions", Double(minutesCases * actionsPerCase)),
            ("minutes_pack_bytes", Double(minutesPack.count)), ("send_minutes_s", minutesSeconds),
            ("minutes_disclosures_logged", Double(minutesCases * (actionsPerCase + 1) * agencies)),
        ]
        report.ratios.append(("send_agenda_vs_packs_crypto", agendaSeconds / (one * Double(agencies))))
        report.ratios.append(("send_minutes_vs_packs_crypto", minutesSeconds / (one * Double(agencies))))
        report.notes.append("send_agenda: the control verb end to end, target < 2 s for 100 cases x 30 agencies")
        report.notes.append("meeting_packs: opening the meeting, a pack of every referral to each declared agency")
        report.notes.append("send_minutes: the control verb end to end, \(minutesCases) cases x \(agencies) agencies x \(actionsPerCase) actions, target < 1 s")
        report.notes.append("baseline: CMS SignedData + AuthEnvelopedData of one pack's size, in-process, EC recipient")
        return report
    }

    /// A meeting on `date`, every agency invited and declared, `minutesCases` new cases
    /// heard with the risks and `actionsPerCase` actions each recorded in session, closed:
    /// what `send-minutes` sends. Its id.
    private func minutesMeeting(_ marac: Marac, _ scratch: DaemonBenchScratch, agencies ids: [String], on date: CalendarDate,
                                by coordinator: Principal) throws -> String {
        let numbers = try marac.submit((0..<minutesCases).map { Submission(bytes: scratch.referral("Minutes", $0), agency: "police") })
            .compactMap { outcome -> CaseNumber? in
                if case let .accepted(form) = outcome { return form.caseNumber }
                return nil
            }
        guard numbers.count == minutesCases else { throw CommandError(code: .software, message: "only \(numbers.count) minutes referrals were accepted") }
        let id = try marac.meetings.create(date: date, by: coordinator).id
        _ = try marac.meetings.invite(id, agencies: ids, by: coordinator)
        for number in numbers { _ = try marac.meetings.addCase(id, number, by: coordinator) }
        for agency in ids { _ = try marac.meetings.declare(id, person: "Rep \(agency)", agency: agency, statement: [1], by: coordinator) }
        _ = try marac.meetings.advance(id, to: .agendaIssued, by: coordinator)
        _ = try marac.meetings.advance(id, to: .inSession, by: coordinator)
        for (index, number) in numbers.enumerated() {
            try marac.recordPlan(id, case: number, .risks([.victim: "Bench risk to the victim \(index)", .children: "Bench risk to the children"]), by: coordinator)
            for action in 0..<actionsPerCase {
                _ = try marac.addAction(NewAction(meeting: id, caseNumber: number, owner: ids[(index * actionsPerCase + action) % ids.count],
                                                  due: date.adding(days: 14), risk: .victim, text: "Bench action \(action) for case \(index)"),
                                        by: coordinator)
            }
        }
        _ = try marac.meetings.advance(id, to: .closed, by: coordinator)
        return id
    }
}
