import Exchange
import Foundation
import Vault

// The IG officer's verbs (`docs/audit.md`): the audit log, filtered and scoped; a signed
// checkpoint; inclusion and consistency proofs. Reading the log is itself logged.

extension ControlVerbs {
    func audit(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        switch request.verb {
        case "audit.log": return try auditLog(principal, args)
        case "audit.checkpoint":
            let checkpoint = try vault.checkpoint(origin: checkpointOrigin)
            try logAudit(principal, what: "checkpoint", details: ["size": String(checkpoint.head.size)])
            return .object(Self.object(["checkpoint": .string(checkpoint.text), "size": .number(Double(checkpoint.head.size))]))
        case "audit.prove": return try prove(principal, args)
        case "audit.verify":
            // The daemon's own check, against every checkpoint it has published to the witness.
            let published = try Self.witnessCheckpoints(witnessPath)
            let (result, restores) = try marac.verifyLog(published: published)
            let links = try marac.verifyCaseLinks()
            let facts = try marac.verifyFacts()
            try logAudit(principal, what: "verify", details: ["size": String(result.head.size)])
            return .object(Self.object([
                "verified": .bool(true), "size": .number(Double(result.head.size)), "root": .string(Data(result.head.root).base64EncodedString()),
                "nodes": .number(Double(result.nodesChecked)), "storedCheckpoints": .number(Double(result.checkpointsChecked)),
                "publishedCheckpoints": .number(Double(result.publishedChecked)), "caseLinks": .number(Double(links.cases)),
                "attachmentLinks": .number(Double(links.attachments)), "facts": .number(Double(facts.rows)),
                "factChanges": .number(Double(facts.changes)), "packCertificates": .number(Double(facts.certificates)),
                "restores": Self.json(restores), "lostCheckpoints": .number(Double(result.lostInRestores)),
            ]))
        case "audit.report":
            let range = try Self.auditFilter(args, operation: false)
            let entries = try vault.logEntries(0..<vault.treeHead().size).compactMap { item -> (seq: Int, entry: JSONValue)? in
                let parsed = try? JSONParser().parse(Array(item.entry)).value
                guard AuditScope.admits(parsed, principal), let parsed else { return nil }
                return (item.seq, parsed)
            }
            let report = AuditReport.build(entries, since: range.since, until: range.until)
            // What the figures stand on: the log recomputed now and proved consistent with
            // every checkpoint published to the witness; the newest is the one named.
            let published = try Self.witnessCheckpoints(witnessPath)
            let (verified, _) = try marac.verifyLog(published: published)
            try logAudit(principal, what: "report", details: ["entries": String(report.entries)])
            guard case var .object(fields) = report.json else { preconditionFailure("a report is an object") }
            fields.set("marac", .string(maracName))
            fields.set("log", .object(Self.object(["size": .number(Double(verified.head.size)),
                                                    "root": .string(Data(verified.head.root).base64EncodedString())])))
            if let newest = published.max(by: { $0.head.size < $1.head.size }) {
                fields.set("checkpoint", .object(Self.object(["size": .number(Double(newest.head.size)),
                                                               "root": .string(Data(newest.head.root).base64EncodedString()),
                                                               "origin": .string(newest.origin), "consistent": .bool(true)])))
            } else {
                fields.set("checkpoint", .null)
            }
            var names = JSONObject()
            for agency in try marac.agencies.list(includeInactive: true) { names.set(agency.id, .string(agency.name)) }
            fields.set("agencies", .object(names))
            fields.set("bases", .array(report.basesCited.map { code in
                .object(Self.object(["code": .string(code), "basis": .string(marac.settings.legalBases.bases[code]?.basis ?? "not in this deployment's registry")]))
            }))
            return .object(fields)
        default: throw Self.unknownVerb
        }
    }

    /// Each restore as `{"entry", "restoredSize", "lostUpTo", "lostCheckpoints"}`.
    static func json(_ restores: [RestoreRecord]) -> JSONValue {
        .array(restores.map { record in
            .object(object(["entry": .number(Double(record.entry)), "restoredSize": .number(Double(record.restoredSize)),
                            "lostUpTo": .number(Double(record.lostUpTo)), "lostCheckpoints": .number(Double(record.lost.count))]))
        })
    }

    /// Every checkpoint file in the witness directory; with `sizes`, only those whose size
    /// (from the file's name, `checkpoint-<size>[-<root>].txt`) it admits, the rest unread.
    static func witnessCheckpoints(_ path: String, sizes: ((Int) -> Bool)? = nil) throws -> [Checkpoint] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return try names.sorted().filter { name in
            guard name.hasPrefix("checkpoint-"), name.hasSuffix(".txt") else { return false }
            guard let sizes else { return true }
            return Int(name.dropFirst("checkpoint-".count).prefix { $0.isNumber }).map(sizes) ?? true
        }.map { name in
            guard let data = FileManager.default.contents(atPath: path + "/" + name), let checkpoint = try? Checkpoint.parse(String(decoding: data, as: UTF8.self)) else {
                throw ControlError(.unavailable, "witness file \(name) is not a checkpoint")
            }
            return checkpoint
        }
    }

    private func auditLog(_ principal: Principal, _ args: Arguments) throws -> JSONValue {
        let filters = (case: try args.optionalCase("case"), agency: try args.optionalLabel("agency"),
                       person: try args.optionalName("principal"))
        let range = try Self.auditFilter(args, operation: true)
        let head = try vault.treeHead()
        let all = try vault.logEntries(0..<head.size)
        var leaves: [JSONValue] = []
        var entries: [JSONValue] = []
        for (seq, data) in all {
            leaves.append(.string(Hex.encode(MerkleTree.leafHash(data))))
            let parsed = try? JSONParser().parse(Array(data)).value
            guard AuditScope.admits(parsed, principal), let parsed, range.admits(parsed) else { continue }
            if let value = filters.case, parsed["case"]?.string != value { continue }
            if let value = filters.agency, !AuditScope.involves(parsed, value) { continue }
            if let value = filters.person, parsed["actor"]?["person"]?.string != value { continue }
            entries.append(.object(Self.object(["seq": .number(Double(seq)), "entry": parsed, "raw": .string(data.base64EncodedString())])))
        }
        try logAudit(principal, what: "log", details: ["entries": String(entries.count)])
        return .object(Self.object(["size": .number(Double(head.size)), "root": .string(Data(head.root).base64EncodedString()),
                                    "leaves": .array(leaves), "entries": .array(entries)]))
    }

    private func prove(_ principal: Principal, _ args: Arguments) throws -> JSONValue {
        guard let seq = args.object["entry"]?.integer, seq >= 0 else { throw ControlError(.badArgument, "entry must be a sequence number") }
        let head = try vault.treeHead()
        guard seq < head.size else { throw ControlError(.notFound, "no log entry \(seq)") }
        let data = try vault.logEntry(seq)
        if !AuditScope.admits(data, principal) {
            throw ControlError(.notFound, "no log entry \(seq) involving agency \(principal.agency)")
        }
        var result = Self.object([
            "entry": .number(Double(seq)), "raw": .string(data.base64EncodedString()), "size": .number(Double(head.size)),
            "root": .string(Data(head.root).base64EncodedString()), "leafHash": .string(Hex.encode(MerkleTree.leafHash(data))),
            "inclusion": .array(try vault.inclusionProof(index: seq, size: head.size).map { .string(Hex.encode($0)) }),
        ])
        if let text = try args.optionalString("checkpoint") {
            let checkpoint: Checkpoint
            do { checkpoint = try Checkpoint.parse(text) } catch { throw ControlError(.badArgument, "checkpoint is not a checkpoint note") }
            guard checkpoint.head.size <= head.size else { throw ControlError(.conflict, "the checkpoint is beyond the log (\(head.size) entries)") }
            result.set("checkpointSize", .number(Double(checkpoint.head.size)))
            result.set("consistency", .array(try vault.consistencyProof(from: checkpoint.head.size, to: head.size).map { .string(Hex.encode($0)) }))
        }
        try logAudit(principal, what: "prove", details: ["entry": String(seq)])
        return .object(result)
    }

    /// The request's `since`, `until` (and, with `operation`, `operation`) filters, parsed
    /// strictly (`AuditFilter`); `bad-argument` with the forms accepted.
    static func auditFilter(_ args: Arguments, operation: Bool) throws -> AuditFilter {
        do {
            return try AuditFilter(since: try args.optionalString("since"), until: try args.optionalString("until"),
                                   operation: operation ? try args.optionalString("operation") : nil)
        } catch let invalid as AuditFilter.Invalid {
            throw ControlError(.badArgument, invalid.message)
        }
    }

    /// The IG officer's own reading of the log, as a consultation under `audit`.
    private func logAudit(_ principal: Principal, what: String, details: [String: String]) throws {
        try vault.appendLog([LogEntry.audit(what, by: principal, at: vault.currentTime, details: details).encoded()])
    }
}

extension Arguments {
    func optionalString(_ name: String) throws -> String? { object[name] == nil ? nil : try string(name) }
    func optionalCase(_ name: String) throws -> String? { object[name] == nil ? nil : try caseNumber(name).description }
}
