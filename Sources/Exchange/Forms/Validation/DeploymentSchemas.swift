import Foundation

/// The JSON Schemas a deployment publishes (`docs/forms.md`, "Schemas"): the generic ones
/// of `config/schemas/` with this deployment's legal basis codes as an enum, so an
/// agency's pre-send check with a standard validator refuses an unknown code too.
public enum DeploymentSchemas {
    /// The four schemas for `registry`: file name and bytes (pretty JSON, keys sorted).
    /// The action update names no legal basis: its schema is published as it is.
    public static func files(for registry: LegalBasisRegistry) throws -> [(name: String, bytes: [UInt8])] {
        try [("referral", PublishedSchemaTexts.referral), ("research", PublishedSchemaTexts.research), ("iswc", PublishedSchemaTexts.iswc),
             ("action-update", PublishedSchemaTexts.actionUpdate)]
            .map { kind, text in
                guard var schema = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                      var definitions = schema["$defs"] as? [String: Any] else {
                    preconditionFailure("the embedded \(kind) schema has no $defs")
                }
                if var bases = definitions["legalBases"] as? [String: Any] {
                    bases["items"] = ["enum": registry.codes]
                    bases["description"] = "Legal basis codes this deployment registers (config/legal-bases.json and its own)."
                    definitions["legalBases"] = bases
                }
                schema["$defs"] = definitions
                let data = try JSONSerialization.data(withJSONObject: schema, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                return ("\(kind).schema.json", [UInt8](data) + [0x0A])
            }
    }

    /// The four schemas as parsed values, each object's members in the order
    /// `config/schemas/` gives them (the order a form page shows the fields in), with
    /// `registry`'s codes as the legal bases' enum, as `files(for:)` publishes them.
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
                    definitions.set("legalBases", .object(bases))
                }
                schema.set("$defs", .object(definitions))
                return (kind, .object(schema))
            }
    }
}

