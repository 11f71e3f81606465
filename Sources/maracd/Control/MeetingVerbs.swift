import Exchange
import Foundation
import Vault

// The meeting, case and document verbs (`docs/control-protocol.md`, "Verbs"). Each
// checks its arguments, then calls Exchange, which checks the principal's roles and logs.

extension ControlVerbs {
    /// The verbs beyond `status`, by name.
    func dispatch(_ principal: Principal, _ request: ControlRequest) -> ControlResponse {
        do {
            // Who may call the verb: Exchange's table, asked once here (docs/access.md).
            guard ControlPolicy.row(for: request.verb) != nil else { throw Self.unknownVerb }
            try ControlPolicy.require(request.verb, principal)
            if !RestoreGate.allowed.contains(request.verb), restore.isHolding { throw RestoreGate.refusal }
            let args = Arguments(request.args)
            let result: JSONValue
            switch request.verb {
            case "audit.log", "audit.checkpoint", "audit.prove", "audit.report", "audit.verify": result = try audit(principal, request)
            case "agency.list", "agency.add", "agency.set-cert": result = try agency(principal, request)
            case "export.case", "export.approve", "export.audit", "export.list", "export.show": result = try export(principal, request)
            case "key.status", "key.rotate", "key.acknowledge-restore": result = try key(principal, request)
            case "subject.search", "subject.export": result = try subject(principal, request)
            case "action.add", "action.update", "action.list", "plan.record", "meeting.attendance": result = try actions(principal, request)
            case "data.return":
                guard let quarter = Quarter(try args.string("quarter")) else { throw ControlError(.badArgument, "quarter must be YYYYQn, as 2026Q4") }
                result = DataReturnJSON.json(try marac.dataReturn(quarter, adultFemalePopulation: adultFemalePopulation, by: principal))
            case "retention.run":
                let dryRun = try args.flag("dryRun")
                let items = dryRun ? try marac.retentionDue(retention) : try marac.applyRetention(retention)
                result = .object(JSONObject(["dryRun": .bool(dryRun), "documents": .array(items.map { item in
                    .object(JSONObject(["case": item.caseNumber.map(JSONValue.string) ?? .null, "kind": .string(item.documentKind),
                                        "document": .string(item.document), "agency": .string(item.agency), "due": .string(item.due.description)]))
                })]))
            case "case.close":
                try marac.cases.close(try args.caseNumber("case"), reason: try args.reason(), by: principal)
                result = .object(JSONObject(["case": .string(try args.string("case")), "status": "closed"]))
            case "case.hold":
                try marac.hold(try args.caseNumber("case"), reason: try args.reason(), by: principal)
                result = .object(JSONObject(["case": .string(try args.string("case")), "held": true]))
            case "case.release":
                try marac.release(try args.caseNumber("case"), by: principal)
                result = .object(JSONObject(["case": .string(try args.string("case")), "held": false]))
            case "meeting.list": result = .array(try marac.meetings.list().map(Self.json))
            case "meeting.show": result = try meetingJSON(try marac.meetings.get(try args.label("meeting")))
            case "meeting.create":
                let date = try args.date("date")
                guard case var .object(created) = Self.json(try marac.meetings.create(date: date, by: principal)) else { preconditionFailure("a meeting is an object") }
                if date > CalendarDate(vault.currentTime).adding(months: 12) {
                    created.set("warning", .string("meeting \(date) is more than a year ahead: check the date"))
                }
                result = .object(created)
            case "meeting.invite":
                result = Self.json(try marac.meetings.invite(try args.label("meeting"), agencies: try args.labels("agencies"), by: principal))
            case "meeting.add-case":
                result = Self.json(try marac.meetings.addCase(try args.label("meeting"), try args.caseNumber("case"), by: principal))
            case "meeting.uninvite":
                result = Self.json(try marac.meetings.uninvite(try args.label("meeting"), agency: try args.label("agency"), by: principal))
            case "meeting.remove-case":
                result = Self.json(try marac.meetings.removeCase(try args.label("meeting"), try args.caseNumber("case"), by: principal))
            case "meeting.cancel":
                let cancelled = try marac.meetings.cancel(try args.label("meeting"), reason: try args.reason(), by: principal)
                result = .object(Self.object(["cancelled": .string(cancelled.meeting), "date": .string(cancelled.date.description),
                                              "reason": .string(cancelled.reason)]))
            case "meeting.reschedule":
                let meeting = try args.label("meeting")
                guard case var .object(moved) = Self.json(try marac.meetings.reschedule(meeting, to: try args.date("date"), by: principal)) else {
                    preconditionFailure("a meeting is an object")
                }
                moved.set("rescheduledFrom", .string(meeting))
                result = .object(moved)
            case "meeting.advance":
                guard let state = MeetingState(rawValue: try args.string("to")) else { throw ControlError(.badArgument, "to must be a meeting state") }
                result = try advance(try args.label("meeting"), to: state, by: principal)
            case "meeting.send-agenda": result = try sendAgenda(try args.label("meeting"), by: principal)
            case "meeting.send-packs": result = try sendMeetingPacks(try args.label("meeting"), by: principal)
            case "meeting.send-minutes": result = try sendMinutes(try args.label("meeting"), by: principal)
            case "meeting.statement":
                result = .object(Self.object(["text": .string(statement), "sha256": .string(Hex.encode(SHA256.hash(Array(statement.utf8))))]))
            case "meeting.declare":
                guard try args.string("statementSHA256") == Hex.encode(SHA256.hash(Array(statement.utf8))) else {
                    throw ControlError(.conflict, "the confidentiality statement changed since it was shown; show it again")
                }
                let person = try args.optionalName("for") ?? principal.name
                let agency = try args.optionalLabel("agency") ?? principal.agency
                result = try declare(try args.label("meeting"), person: person, agency: agency, by: principal)
            case "case.list":
                // The coordinator's list says who each case is about: one logged read of the referrals.
                result = .array(try marac.caseListing(to: principal, meeting: try args.optionalLabel("meeting"),
                                                      unscheduled: try args.flag("unscheduled")).map { view, subject in
                    guard case var .object(fields) = Self.json(view) else { preconditionFailure("a case view is an object") }
                    if let subject { fields.set("victim", .object(Self.object(["name": .string(subject.name), "dob": .string(subject.dateOfBirth)]))) }
                    return .object(fields)
                })
            case "case.show": result = Self.json(try marac.caseView(try args.caseNumber("case"), to: principal))
            case "doc.read":
                guard let answer = try marac.read([try Self.readRequest(principal, request)]).first else { preconditionFailure("one read, one result") }
                result = Self.json(try answer.get())
            default:
                throw Self.unknownVerb
            }
            return .success(result)
        } catch {
            return failure(error, verb: request.verb)
        }
    }

    /// The response for a verb that failed with `error`.
    func failure(_ error: any Error, verb: String) -> ControlResponse {
        switch error {
        case let error as ControlError: return .failure(error)
        case let error as ExchangeError: return .failure(Self.map(error))
        case let error as VaultError: return .failure(Self.map(error))
        default:
            logger.error("control.failed", ["verb": Self.name(verb), "error": "\(type(of: error))"])
            return .failure(ControlError(.internal, "the request failed; nothing was disclosed"))
        }
    }

    // MARK: - Reads, together

    /// Answers the `doc.read` requests among `requests` together (one log commit for all,
    /// before anything is decrypted) and every other request one by one, in order.
    func handle(_ requests: [(uid: UInt32, request: ControlRequest)]) -> [ControlResponse] {
        var responses = [ControlResponse?](repeating: nil, count: requests.count)
        var reads: [(slot: Int, read: ReadRequest)] = []
        for (slot, (uid, request)) in requests.enumerated() {
            guard request.verb == "doc.read", let principal = principals.principal(uid: Int(uid)) else {
                responses[slot] = handle(uid: uid, request)
                continue
            }
            do { reads.append((slot, try Self.readRequest(principal, request))) } catch { responses[slot] = failure(error, verb: request.verb) }
        }
        if !reads.isEmpty {
            do {
                for ((slot, _), answer) in zip(reads, try marac.read(reads.map(\.read))) {
                    switch answer {
                    case let .success(read): responses[slot] = .success(Self.json(read))
                    case let .failure(error): responses[slot] = failure(error, verb: "doc.read")
                    }
                }
            } catch {
                // The log could not be written: nobody in the group gets anything.
                for (slot, _) in reads { responses[slot] = failure(error, verb: "doc.read") }
            }
        }
        return responses.map { $0! }
    }

    static func readRequest(_ principal: Principal, _ request: ControlRequest) throws -> ReadRequest {
        let args = Arguments(request.args)
        return ReadRequest(document: try args.label("document", pattern: "doc_"), principal: principal,
                           bases: try args.labels("bases", allowEmpty: true), reason: try args.reason(allowEmpty: true))
    }

    static func json(_ read: DocumentRead) -> JSONValue {
        .object(object(["content": .string(String(decoding: read.content.withUnsafeBytes { Array($0) }, as: UTF8.self)),
                        "operation": .string(read.entry.operation.rawValue),
                        "bases": .array(read.entry.bases.map(JSONValue.string))]))
    }

    static func map(_ error: ExchangeError) -> ControlError {
        switch error {
        case .notPermitted: return ControlError(.notPermitted, error.description)
        case .factMismatch: return ControlError(.unavailable, error.description)
        case .conflict, .agencyInactive, .idvaRequired, .secondIdva, .noRecipientCertificate: return ControlError(.conflict, error.description)
        case .unknownMeeting, .unknownCase, .unknownAction: return ControlError(.notFound, error.description)
        case .unknownAgency, .invalidAgency, .invalidCasePrefix, .duplicateAgency, .invalidRequest: return ControlError(.badArgument, error.description)
        case .tampered, .corruptRow, .caseNumbersExhausted: return ControlError(.unavailable, error.description)
        }
    }

    static func map(_ error: VaultError) -> ControlError {
        switch error {
        case let .accessDenied(document, reason): return ControlError(.notPermitted, "reading \(document) refused (\(reason)); the refusal is logged")
        case .notFound, .erased: return ControlError(.notFound, error.description)
        default: return ControlError(.unavailable, error.description)
        }
    }

    // MARK: - Results as JSON

    static func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONObject {
        var object = JSONObject()
        for (key, value) in pairs { object.set(key, value) }
        return object
    }

    static func json(_ meeting: Meeting) -> JSONValue {
        .object(object([
            "id": .string(meeting.id), "date": .string(meeting.date.description), "state": .string(meeting.state.rawValue),
            "invited": .array(meeting.invited.map(JSONValue.string)), "agenda": .array(meeting.agenda.map { .string($0.description) }),
            "declarations": .array(meeting.declarations.map { .object(object([
                "agency": .string($0.agency), "person": .string($0.person), "recordedBy": .string($0.recordedBy),
                "statementSHA256": .string($0.statementSHA256), "declaredAt": .string(LogEntry.timestamp($0.declaredAt)),
            ])) }),
        ]))
    }

    static func json(_ view: CaseView) -> JSONValue {
        var fields = object([
            "case": .string(view.record.number.description), "status": .string(view.record.status.rawValue),
            "receivedOn": .string(view.record.receivedOn.description), "referringAgency": .string(view.record.referringAgency),
            "meetings": .array(view.meetings.map(JSONValue.string)),
            "documents": .array(view.documents.map { .object(object(["document": .string($0.id), "kind": .string($0.kind), "agency": .string($0.agency)])) }),
        ])
        if view.showsRepeats {
            fields.set("repeatOf", view.record.repeatOf.map { .string($0.description) } ?? .null)
            fields.set("repeatMismatch", .bool(view.record.repeatMismatch))
        }
        return .object(fields)
    }
}

/// A request's arguments, read with the protocol's `bad-argument` errors.
struct Arguments {
    let object: JSONObject
    init(_ object: JSONObject) { self.object = object }

    func string(_ name: String, allowEmpty: Bool = false) throws -> String {
        guard let value = object[name]?.string, allowEmpty || !value.isEmpty, value.utf8.count <= 2_000 else {
            throw ControlError(.badArgument, "\(name) is required (a string)")
        }
        return value
    }

    /// A reason a principal gives (for a read, an export, a hold, a cancellation): it is
    /// kept in the log and shown to other principals, so it holds no control character.
    func reason(_ name: String = "reason", allowEmpty: Bool = false) throws -> String {
        let value = try string(name, allowEmpty: allowEmpty)
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            throw ControlError(.badArgument, "\(name) must be text without control characters")
        }
        return value
    }

    func label(_ name: String, pattern: String = "") throws -> String {
        let value = try string(name)
        guard value.hasPrefix(pattern), value.utf8.count <= 64,
              value.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f }) else {
            throw ControlError(.badArgument, "\(name) is not an id")
        }
        return value
    }

    func optionalLabel(_ name: String) throws -> String? { object[name] == nil ? nil : try label(name) }

    func optionalName(_ name: String) throws -> String? {
        guard object[name] != nil else { return nil }
        let value = try string(name)
        guard value.count <= 200, value.contains(where: { !$0.isWhitespace }), !value.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw ControlError(.badArgument, "\(name) must be a name")
        }
        return value
    }

    func labels(_ name: String, allowEmpty: Bool = false) throws -> [String] {
        guard let items = object[name]?.array, allowEmpty || !items.isEmpty else { throw ControlError(.badArgument, "\(name) is required (a list)") }
        return try items.map { item in
            guard let value = item.string, Identifier.isLabel(value) else { throw ControlError(.badArgument, "\(name) holds a malformed id") }
            return value
        }
    }

    func caseNumber(_ name: String) throws -> CaseNumber {
        guard let number = CaseNumber(try string(name)) else { throw ControlError(.badArgument, "\(name) must be a case number") }
        return number
    }

    func flag(_ name: String) throws -> Bool {
        guard let value = object[name] else { return false }
        guard let flag = value.bool else { throw ControlError(.badArgument, "\(name) must be true or false") }
        return flag
    }
}

