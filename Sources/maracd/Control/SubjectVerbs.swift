import Exchange
import Foundation
import Vault

// Subject access (`docs/subject-access.md`): an IG officer's search for, and export of,
// the documents about a person. The names arrive in the request (never on a command
// line) and are neither logged nor echoed.

extension ControlVerbs {
    func subject(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        let items = args.object["names"]?.array ?? []
        let names = items.compactMap(\.string)
        guard !names.isEmpty, names.count == items.count, names.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 200 }) else {
            throw ControlError(.badArgument, "names must be a list of names")
        }
        guard let dob = CalendarDate(try args.string("dob")), dob.isValid else { throw ControlError(.badArgument, "dob must be YYYY-MM-DD") }
        let bases = try args.labels("bases", allowEmpty: true), reason = try args.reason(allowEmpty: true)
        switch request.verb {
        case "subject.search":
            let hits = try marac.subjectSearch(names: names, dob: dob, by: principal, bases: bases, reason: reason)
            return .array(hits.map { hit in
                .object(JSONObject(["document": .string(hit.document), "kind": .string(hit.kind), "agency": .string(hit.agency),
                                    "case": hit.caseNumber.map(JSONValue.string) ?? .null]))
            })
        case "subject.export":
            let (content, documents) = try marac.subjectExport(names: names, dob: dob, by: principal, bases: bases, reason: reason)
            return .object(JSONObject(["export": .string(Data(try vault.cmsSigner().sign(content)).base64EncodedString()),
                                       "sha256": .string(Hex.encode(SHA256.hash(content))), "documents": .number(Double(documents))]))
        default:
            throw Self.unknownVerb
        }
    }
}
