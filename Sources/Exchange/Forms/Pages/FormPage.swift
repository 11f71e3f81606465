import Foundation
import Vault

/// The fillable form pages (`docs/forms.md`, "Forms agencies fill in"): one self-contained
/// HTML file per form kind, made from this deployment's schemas (`DeploymentSchemas`), its
/// legal bases and its Dash thresholds. A page works offline in a current browser and
/// loads nothing: its content security policy allows no source but its own script, by
/// hash, and inline style. It checks what is entered as the daemon does, shows every
/// problem by field, and saves a JSON file named by a random id for the agency's inbox.
/// Nothing is kept in the browser: no storage, no cookie.
public struct FormPage: Sendable {
    /// Each kind's configuration for its page, all but the agency (the same for every
    /// agency: made once per configuration, then a page per outbox).
    private let configs: [(kind: String, config: JSONObject)]

    /// The pages' common part for this deployment's `registry` and `thresholds`.
    public init(registry: LegalBasisRegistry, thresholds: RiskThresholds) throws {
        let bases = JSONValue.array(registry.codes.compactMap { code in registry.basis(code).map {
            .object(JSONObject(["code": .string(code), "basis": .string($0.basis), "disclosure": .bool(registry.allows(code, for: .disclosure))]))
        } })
        configs = try DeploymentSchemas.ordered(for: registry).map { kind, schema in
            var config = JSONObject([
                "kind": .string(kind), "schema": schema,
                "thresholds": .object(JSONObject(["visibleHighRisk": .number(Double(thresholds.visibleHighRisk)),
                                                  "escalation": .number(Double(thresholds.escalation))])),
                "bases": bases,
            ])
            if kind == "referral" { config.set("dashQuestions", .array(Dash.questions.map(JSONValue.string))) }
            return (kind, config)
        }
    }

    /// The four pages, `referral.html`, `research.html`, `iswc.html` and
    /// `action-update.html`, for `agency` (its inbox's id, fixed in the form) or, with nil,
    /// for any agency (the page asks for the id).
    public func files(for agency: String?) -> [(name: String, bytes: [UInt8])] {
        configs.map { kind, config in (kind + ".html", Array(Self.page(kind: kind, config: config, agency: agency).utf8)) }
    }

    /// As `FormPage(registry:thresholds:).files(for: agency)`.
    public static func files(for registry: LegalBasisRegistry, thresholds: RiskThresholds, agency: String?) throws
        -> [(name: String, bytes: [UInt8])] {
        try FormPage(registry: registry, thresholds: thresholds).files(for: agency)
    }

    /// The SHA-256 of the page's one script, which its content security policy allows.
    static let scriptHash = Data(SHA256.hash(Array(script.utf8))).base64EncodedString()

    /// The page for one kind.
    static func page(kind: String, config: JSONObject, agency: String?) -> String {
        var config = config
        if let agency { config.set("agency", .string(agency)) }
        // Inside a script element "</" would end it: written "<\/", which JSON reads the same.
        let json = String(decoding: JSONValue.object(config).orderedBytes, as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        let heading = headings[kind] ?? kind
        let forWhom = agency.map { " for \(escape($0))" } ?? ""
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'sha256-\(scriptHash)'; style-src 'unsafe-inline'; form-action 'none'; base-uri 'none'">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(heading))\(forWhom)</title>
            <style>\(style)</style></head><body>
            <h1>\(escape(heading))\(forWhom)</h1>
            <p>Fill this form in, then save it and put the saved file in your agency's inbox (SFTP). This page works offline:
            it sends nothing anywhere and keeps nothing in the browser. It checks the form as the Marac's daemon will, so a form
            it lets you save is one the daemon accepts (unless its facts have changed, such as the case number). Fields marked
            * are required. The file is named by a random id, never by anyone's name.</p>
            <form id="form" autocomplete="off"></form>
            \(kind == "referral" ? "<p id=\"dash-count\" class=\"dash\"></p>" : "")
            <h2>Problems</h2>
            <p id="status" role="status"></p>
            <ul id="problems" aria-live="polite"></ul>
            <p><button id="save" type="button" disabled>Save the form</button> <span id="saved" role="status"></span></p>
            <details><summary>The JSON this page will save</summary><pre id="json"></pre></details>
            <script id="config" type="application/json">\(json)</script>
            <script>\(script)</script>
            </body></html>

            """
    }

    static let headings = [
        "referral": "Marac referral, with the Dash risk checklist",
        "research": "Marac research form",
        "iswc": "Information sharing without consent",
        "action-update": "Marac action update",
    ]

    static let style = """
        body{font-family:sans-serif;margin:2em;max-width:60em;line-height:1.4}fieldset{border:1px solid #bbb;margin:.6em 0;padding:.4em .8em}\
        legend{font-weight:bold}.field{margin:.3em 0}.field label{display:inline-block;min-width:16em;vertical-align:top}\
        input[type=text],textarea,select{font:inherit;min-width:20em}label.choice{display:block;font-weight:normal}\
        [aria-invalid=true]{outline:2px solid #b00020}span.problem{color:#b00020;margin-left:.5em}#problems li{color:#b00020}\
        .dash{font-weight:bold}button{font:inherit;margin:.3em .3em .3em 0}
        """

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
