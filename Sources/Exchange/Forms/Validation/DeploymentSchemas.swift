import Foundation

/// The JSON Schemas a deployment publishes (`docs/forms.md`, "Schemas"): the generic ones
/// of `config/schemas/` with this deployment's legal basis codes as an enum, so an
/// agency's pre-send check with a standard validator refuses an unknown code too.
public enum DeploymentSchemas {
    /// The four schemas for `registry`: file name and bytes (pretty JSON, keys sorted).
    /// The action update names no legal basis: its schema is published as it is.
    public static func files(for registry: LegalBasisRegistry) throws -> [(name: String, bytes: [UInt8])] {
        try ordered(for: registry).map { kind, schema in
            let object = try JSONSerialization.jsonObject(with: Data(schema.canonicalBytes))
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            return ("\(kind).schema.json", [UInt8](data) + [0x0A])
        }
    }

    /// The four schemas as parsed values, each object's members in the order
    /// `config/schemas/` gives them (the order a form page shows the fields in), with
    /// `registry`'s codes as the legal bases' enum: what `files(for:)` publishes.
    public static func ordered(for registry: LegalBasisRegistry) throws -> [(kind: String, schema: JSONValue)] {
        try [("referral", PublishedSchemaTexts.referral), ("research", PublishedSchemaTexts.research), ("iswc", PublishedSchemaTexts.iswc),
             ("action-update", PublishedSchemaTexts.actionUpdate)]
            .map { kind, text in
                guard case var .object(schema) = try JSONParser().parse(Array(text.utf8)).value,
                      case var .object(definitions)? = schema["$defs"] else {
                    preconditionFailure("the embedded \(kind) schema has no $defs")
                }
                if case var .object(bases)? = definitions["legalBases"] {
                    bases.set("items", .object(JSONObject(["enum": .array(registry.codes.map(JSONValue.string))])))
                    bases.set("description", .string("Legal basis codes this deployment registers (config/legal-bases.json and its own)."))
                    definitions.set("legalBases", .object(bases))
                }
                schema.set("$defs", .object(definitions))
                return (kind, .object(schema))
            }
    }
}
