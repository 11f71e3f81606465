import Exchange
import Foundation
import Vault

// Signed exports (`docs/packs.md`, "Signed export"; `docs/control-protocol.md`): the
// content is built and logged by Exchange (a case) or here (the audit log), signed with
// the daemon's signing key as CMS SignedData, and returned to the caller, whose maracctl
// writes it where they asked. Nothing is written on the daemon's side.

extension ControlVerbs {
    func export(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        switch request.verb {
        case "export.case":
            let outcome = try marac.exportCase(try args.caseNumber("case"), by: principal, bases: try args.labels("bases", allowEmpty: true),
                                               reason: try args.reason(allowEmpty: true))
            switch outcome {
            case let .ready(content, documents):
                return try signed(content, ["documents": .number(Double(documents))])
            case let .needsApproval(request, agencies):
                return .object(JSONObject(["request": .string(request), "waitingFor": .array(agencies.map(JSONValue.string))]))
            }
        case "export.approve":
            let waiting = try marac.approveExport(try args.label("request", pattern: "exp_"), by: principal)
            return .object(JSONObject(["request": .string(try args.string("request")), "waitingFor": .array(waiting.map(JSONValue.string))]))
        case "export.audit":
            return try exportAudit(principal, args)
        case "export.list":
            return .array(try marac.exportRequests(for: principal).map(Self.json))
        case "export.show":
            return Self.json(try marac.exportRequest(try args.label("request", pattern: "exp_"), for: principal))
        default:
            throw Self.unknownVerb
        }
    }

    /// `export.audit`: the entries the IG officer may see (their scope, `since` to
    /// `until`), each with its inclusion proof in the tree a new checkpoint signs.
    private func exportAudit(_ principal: Principal, _ args: Arguments) throws -> JSONValue {
        let range = try Self.auditFilter(args, operation: false)
        let reason = try args.reason(allowEmpty: true)
        let checkpoint = try vault.checkpoint(origin: checkpointOrigin)
        let entries = try vault.logEntries(0..<checkpoint.head.size).filter { _, data in
            let parsed = try? JSONParser().parse(Array(data)).value
            return AuditScope.admits(parsed, principal) && parsed.map(range.admits) ?? true
        }
        let files = try AuditExport.files(entries, checkpoint: checkpoint) { try vault.inclusionProof(index: $0, size: checkpoint.head.size) }
        var fields = JSONObject(["type": "export-audit", "createdAt": .string(LogEntry.timestamp(vault.currentTime)),
                                 "by": .object(JSONObject(["person": .string(principal.name), "agency": .string(principal.agency)])),
                                 "bases": .array([.string("audit")]), "reason": .string(reason),
                                 "scope": .string(principal.isMaracWide ? "marac" : principal.agency)])
        if let since = range.since { fields.set("since", .string(since)) }
        if let until = range.until { fields.set("until", .string(until)) }
        let content = ExportDocument.content(fields, files: files)
        let entry = LogEntry.audit("export", by: principal, at: vault.currentTime, justification: AccessLog.justification(reason, rule: nil),
                                   details: ["entries": String(entries.count), "size": String(checkpoint.head.size),
                                             "sha256": Hex.encode(SHA256.hash(content))])
        try vault.appendLog([entry.encoded()])
        return try signed(content, ["entries": .number(Double(entries.count)), "size": .number(Double(checkpoint.head.size))])
    }

    /// `content` signed (attached SignedData), base64, with `extra` members.
    private func signed(_ content: [UInt8], _ extra: KeyValuePairs<String, JSONValue>) throws -> JSONValue {
        var result = JSONObject(extra)
        result.set("sha256", .string(Hex.encode(SHA256.hash(content))))
        result.set("export", .string(Data(try vault.cmsSigner().sign(content)).base64EncodedString()))
        return .object(result)
    }
}

extension ControlVerbs {
    /// An export request: its case, documents (ids, kinds, owners), requester, bases,
    /// reason and approvals; never a document's content.
    static func json(_ request: ExportRequestView) -> JSONValue {
        var fields = object([
            "request": .string(request.id), "case": .string(request.caseNumber), "requester": .string(request.requester),
            "requesterAgency": .string(request.requesterAgency), "createdAt": .string(LogEntry.timestamp(request.createdAt)),
            "bases": .array(request.bases.map(JSONValue.string)), "reason": .string(request.reason),
            "documents": .array(request.documents.map { .object(object(["document": .string($0.id), "kind": .string($0.kind),
                                                                         "agency": .string($0.agency), "erased": .bool($0.erasedAt != nil)])) }),
            "approvals": .array(request.approvals.map { approval in
                var fields = object(["agency": .string(approval.agency)])
                if let by = approval.approvedBy { fields.set("approvedBy", .string(by)) }
                if let at = approval.approvedAt { fields.set("approvedAt", .string(LogEntry.timestamp(at))) }
                return .object(fields)
            }),
            "waitingFor": .array(request.waitingFor.map(JSONValue.string)),
        ])
        if let used = request.usedAt { fields.set("usedAt", .string(LogEntry.timestamp(used))) }
        return .object(fields)
    }
}
