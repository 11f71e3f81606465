import Exchange
import Foundation
import Vault

// The agency verbs (`docs/control-protocol.md`, "Verbs"): the registry through the
// daemon, so a key custodian need not stop it to register an agency or replace a
// certificate. Exchange checks the role and logs the change in the same transaction.

extension ControlVerbs {
    /// `agency.list`, `agency.add`, `agency.set-cert`.
    func agency(_ principal: Principal, _ request: ControlRequest) throws -> JSONValue {
        let args = Arguments(request.args)
        switch request.verb {
        case "agency.list":
            return try marac.agencies.listing(includeInactive: try args.flag("all"))
        case "agency.add":
            guard let kind = AgencyKind(rawValue: try args.string("kind")) else { throw ControlError(.badArgument, "kind is not an agency kind") }
            guard let name = try args.optionalName("name") else { throw ControlError(.badArgument, "name is required (a string)") }
            let id = try args.label("agency")
            try marac.agencies.add(Agency(id: id, name: name, kind: kind, certificate: try args.optionalCertificate("certificate")),
                                   by: principal)
            return try marac.agencies.get(id).listing(at: vault.currentTime)
        case "agency.set-cert":
            let id = try args.label("agency")
            guard let certificate = try args.optionalCertificate("certificate") else {
                throw ControlError(.badArgument, "certificate is required (base64 DER)")
            }
            try marac.agencies.setCertificate(id, certificate, by: principal)
            return try marac.agencies.get(id).listing(at: vault.currentTime)
        default:
            throw Self.unknownVerb
        }
    }
}

extension Arguments {
    /// A certificate as base64 DER (at most 16 KiB decoded), if given; what it holds is
    /// the registry's to judge.
    func optionalCertificate(_ name: String) throws -> [UInt8]? {
        guard let value = object[name] else { return nil }
        guard let text = value.string, text.utf8.count <= 21_848, let der = Data(base64Encoded: text), !der.isEmpty else {
            throw ControlError(.badArgument, "\(name) must be base64 DER")
        }
        return [UInt8](der)
    }
}
