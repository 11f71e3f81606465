import Exchange
import Foundation

/// `maracctl schema export --out DIR [--legal-bases FILE] [--agency ID]`: the form schemas
/// an agency's pre-send check uses, with the deployment's legal basis codes (the built-ins,
/// or those of the registry file the daemon is configured with) as an enum; and in
/// `DIR/forms/` the page for each form an agency fills in a browser (for agency ID, or
/// asking for it), with the default Dash thresholds.
struct SchemaCommand {
    let arguments: [String]

    func run() throws {
        guard arguments.first == "export" else { throw CommandError.usage("schema takes export") }
        let options = try Options(Array(arguments.dropFirst()), valued: ["--out", "--legal-bases", "--agency"], switches: [])
        let out = try options.required("--out")
        let registry: LegalBasisRegistry
        do {
            registry = try options["--legal-bases"].map { try LegalBasisRegistry.load(contentsOf: $0) } ?? .builtIn
        } catch {
            throw CommandError(code: .dataError, message: "\(options["--legal-bases"] ?? ""): \(error)")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        for (name, bytes) in try DeploymentSchemas.files(for: registry) {
            guard FileManager.default.createFile(atPath: out + "/" + name, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
                throw CommandError(code: .unavailable, message: "cannot write \(out)/\(name)")
            }
        }
        // The fillable pages beside them (docs/forms.md, "Forms agencies fill in").
        if let agency = options["--agency"], !Identifier.isLabel(agency) {
            throw CommandError.usage("--agency takes an agency id (1 to 64 lower-case letters, digits and hyphens)")
        }
        try FileManager.default.createDirectory(atPath: out + "/forms", withIntermediateDirectories: true)
        for (name, bytes) in try FormPage.files(for: registry, thresholds: .standard, agency: options["--agency"]) {
            guard FileManager.default.createFile(atPath: out + "/forms/" + name, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
                throw CommandError(code: .unavailable, message: "cannot write \(out)/forms/\(name)")
            }
        }
        print("referral, research, iswc and action-update schemas with \(counted(registry.codes.count, "legal basis code")) written to \(out), "
              + "and a form page for each in \(out)/forms/")
    }
}
