import Exchange
import Foundation

/// `maracctl schema export --out DIR [--legal-bases FILE]`: the form schemas an agency's
/// pre-send check uses, with the deployment's legal basis codes (the built-ins, or those of
/// the registry file the daemon is configured with) as an enum.
struct SchemaCommand {
    let arguments: [String]

    func run() throws {
        guard arguments.first == "export" else { throw CommandError.usage("schema takes export") }
        let options = try Options(Array(arguments.dropFirst()), valued: ["--out", "--legal-bases"], switches: [])
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
        print("referral, research, iswc and action-update schemas with \(counted(registry.codes.count, "legal basis code")) written to \(out)")
    }
}
