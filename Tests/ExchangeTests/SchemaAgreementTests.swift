import Exchange
import Foundation
import TestSupport
import XCTest

/// The published JSON Schemas (`config/schemas/`) and the validator never drift: a
/// standard validator (Python's `jsonschema`) gives the same verdict as ours on the
/// fixtures and on a corpus of mutated forms, wherever a schema can express the rule.
final class SchemaAgreementTests: XCTestCase {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checker = repository.appendingPathComponent("scripts/check-forms-with-schema.py")

    /// How many mutated forms: 10,000 by default, `MARACD_MUTATIONS=N` for a longer run.
    static var mutationCount: Int { ProcessInfo.processInfo.environment["MARACD_MUTATIONS"].flatMap(Int.init) ?? 10_000 }

    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("maracd-corpus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs the schema checker over `directory`; verdicts by file name.
    func schemaVerdicts() throws -> [String: String] { try Self.schemaVerdicts(in: directory) }

    /// Python jsonschema's verdict on every file in `directory`, by name.
    static func schemaVerdicts(in directory: URL) throws -> [String: String] {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", checker.path, "--dir", directory.path])
        XCTAssertTrue(result.status == 0 || result.status == 1, "schema checker failed: \(result.stderr)")
        var verdicts: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            verdicts[String(parts[0])] = String(parts[1])
        }
        return verdicts
    }

    /// The valid fixtures pass both; each invalid fixture fails both exactly when our
    /// rejection names a rule a schema can express.
    func testSchemasAgreeWithTheValidatorOnEveryFixture() throws {
        var ours: [String: Result<ValidatedForm, FormRejection>] = [:]
        for name in try FormFixtures.files(in: "valid") + FormFixtures.files(in: "invalid") {
            let flat = name.replacingOccurrences(of: "/", with: "__")
            try Data(FormFixtures.bytes(name)).write(to: directory.appendingPathComponent(flat))
            ours[flat] = FormValidator.validate(try FormFixtures.bytes(name), in: FormFixtures.context(for: name))
        }
        let verdicts = try schemaVerdicts()
        XCTAssertEqual(verdicts.count, ours.count)
        for (name, result) in ours {
            XCTAssertEqual(verdicts[name], Self.expectedSchemaVerdict(result), name)
        }
        XCTAssertEqual(verdicts["valid__referral-police.json"], "accept")
        XCTAssertEqual(verdicts["invalid__referral-unknown-field.json"], "reject")
        XCTAssertEqual(verdicts["invalid__referral-future-dob.json"], "accept", "a schema cannot know today's date")
    }

    /// What the schema must say, given our result: `unparseable` only when we found a
    /// syntax error; otherwise `reject` exactly when one of our problems is expressible.
    static func expectedSchemaVerdict(_ result: Result<ValidatedForm, FormRejection>) -> String {
        guard case let .failure(rejection) = result else { return "accept" }
        if rejection.problems.contains(where: { $0.rule == .syntax }) { return "unparseable" }
        return rejection.problems.contains(where: { $0.rule.isSchemaExpressible }) ? "reject" : "accept"
    }

    /// 10,000 mutations of valid forms: our validator returns a verdict for every one,
    /// and the schema agrees wherever it can express the rule broken.
    func testMutatedFormsGetTheSameVerdictFromSchemaAndValidator() throws {
        let bases = try Self.baseForms()
        var mutator = FormMutator(random: SeededGenerator(state: 0x6D61_7261_6364))
        var ours: [String: (result: Result<ValidatedForm, FormRejection>, agency: String)] = [:]
        var ruleCounts: [FormRule: Int] = [:]
        let personal = Self.personalStrings(in: bases.map(\.0))
        XCTAssertTrue(personal.isSuperset(of: ["Tamsin Quinn", "172 Mill Lane, Aylesbury", "Mark Øverland", "Tamsin\u{0}Quinn"].dropLast()))
        var echoes: [String] = []
        for i in 0..<Self.mutationCount {
            let (base, agency) = bases[i % bases.count]
            let bytes = mutator.mutate(base)
            let name = String(format: "%05d.json", i)
            try Data(bytes).write(to: directory.appendingPathComponent(name))
            let result = FormValidator.validate(bytes, in: ValidationContext(agency: agency, received: CalendarDate("2026-11-20")!))
            if case let .failure(rejection) = result {
                XCTAssertFalse(rejection.problems.isEmpty, "\(name): a rejection must say why")
                for rule in Set(rejection.problems.map(\.rule)) { ruleCounts[rule, default: 0] += 1 }
                for problem in rejection.problems where personal.contains(where: { problem.description.contains($0) }) {
                    echoes.append("\(name): \(problem.rule.rawValue) \(personal.filter { problem.description.contains($0) }.sorted())")
                }
            }
            ours[name] = (result, agency)
        }
        let verdicts = try schemaVerdicts()
        XCTAssertEqual(verdicts.count, ours.count)

        var disagreements: [String] = []
        var parsedOnlyByPython = 0
        var accepted = 0
        for (name, (result, _)) in ours.sorted(by: { $0.key < $1.key }) {
            let expected = Self.expectedSchemaVerdict(result)
            let schema = verdicts[name] ?? "missing"
            if case .success = result { accepted += 1 }
            if expected == "unparseable" && schema != "unparseable" {
                // Python's json takes lone surrogate escapes and deeper nesting; we refuse
                // them as syntax. Nothing a schema says applies then.
                parsedOnlyByPython += 1
                continue
            }
            if expected != schema {
                disagreements.append("\(name): schema \(schema), validator \(expected): \(result.lines.prefix(4))")
            }
        }
        XCTAssertEqual(disagreements, [], "\(disagreements.count) disagreements")
        XCTAssertEqual(echoes, [], "a report repeated a value from the form")
        XCTAssertLessThan(parsedOnlyByPython, Self.mutationCount / 100)

        // The corpus must exercise both verdicts and every rule, or agreement means little
        // (intake's rules, which need the vault's state, are tested in IntakeTests,
        // RectificationTests and ActionUpdateIntakeTests).
        XCTAssertGreaterThan(accepted, Self.mutationCount / 20, "too few mutated forms stay valid")
        let unexercised = FormRule.allCases.filter { (ruleCounts[$0] ?? 0) == 0 && ![.tooLarge, .unknownCase, .unknownDocument, .unknownAction, .moreProblems].contains($0) }
        XCTAssertEqual(unexercised, [], "rules no mutation broke")
        print("mutation corpus: \(Self.mutationCount) forms, \(accepted) accepted, \(parsedOnlyByPython) parsed only by Python, rules:",
              ruleCounts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: " "))
    }

    /// Every string value in the forms (and the mutator's) that could be personal data:
    /// not a date, an id or one of the format's fixed answers, at least five characters.
    static func personalStrings(in forms: [MutableJSON]) -> Set<String> {
        func couldBePersonal(_ s: String) -> Bool {
            s.count >= 5 && CaseNumber(s) == nil && !s.allSatisfy({ $0 == "x" || $0 == "y" })
                && !s.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7a) || $0 == 0x2d || $0 == 0x5f || ($0 >= 0x30 && $0 <= 0x39) })
        }
        var out = Set(FormMutator.awkwardStrings.filter(couldBePersonal))
        func walk(_ node: MutableJSON) {
            switch node {
            case let .string(s): if couldBePersonal(s) { out.insert(s) }
            case let .array(items): items.forEach(walk)
            case let .object(members): members.forEach { walk($0.1) }
            default: break
            }
        }
        forms.forEach(walk)
        return out
    }

    /// The valid fixtures plus variants that fill in every optional part of the format
    /// (sub-ticks, aliases, extensions, the other branch of each condition), each with
    /// the inbox it belongs in.
    static func baseForms() throws -> [(MutableJSON, String)] {
        func tree(_ object: Any) throws -> MutableJSON {
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return MutableJSON(try JSONParser().parse([UInt8](data)).value)
        }
        var forms: [(MutableJSON, String)] = []
        for name in try FormFixtures.files(in: "valid") {
            forms.append((MutableJSON(try JSONParser().parse(FormFixtures.bytes(name)).value), FormFixtures.agency(for: name)))
        }

        var referral = try FormFixtures.tree("valid/referral-police.json")
        var victim = referral["victim"] as! [String: Any]
        victim["aliases"] = ["T. Q."]
        victim["contactNotes"] = "Text first."
        referral["victim"] = victim
        referral["repeatOf"] = ["caseNumber": "M-2025-0107", "dateListed": "2025-12-01"]
        referral["policeIncidentsInPast12Months"] = 4
        referral["reasons"] = ["professionalJudgement": false, "visibleHighRisk": true, "potentialEscalation": true, "repeat": true]
        referral["victimAwareOfReferral"] = false
        referral["notAwareReason"] = "Not safe to tell yet."
        referral["extensions"] = ["localReference": "X-1", "nested": ["a": [1, 2]]]
        var dash = referral["dash"] as! [String: Any]
        dash["q14ThreatenedToKill"] = ["victim", "children"]
        dash["q18HurtOthers"] = ["family_member"]
        dash["q21Problems"] = ["alcohol", "drugs"]
        dash["q23Breaches"] = ["bail"]
        dash["q24CriminalHistory"] = ["domestic_abuse", "other"]
        referral["dash"] = dash
        forms.append((try tree(referral), "police"))

        var judgementOnly = try FormFixtures.tree("valid/referral-health-professional-judgement-no-consent.json")
        judgementOnly["reasons"] = ["professionalJudgement": true, "visibleHighRisk": false, "potentialEscalation": false, "repeat": false]
        judgementOnly.removeValue(forKey: "dash")
        forms.append((try tree(judgementOnly), "health"))

        var research = try FormFixtures.tree("valid/research-health-for-first-case.json")
        for field in ["lastContact", "recentBehaviour", "riskIndicatorInformation", "otherInformation"] { research.removeValue(forKey: field) }
        research["noInformationHeld"] = true
        research["accuracy"] = ["victim": ["accurate": false, "corrections": "Date of birth differs."],
                                "children": ["accurate": true], "perpetrator": ["accurate": true]]
        forms.append((try tree(research), "health"))

        var iswc = try FormFixtures.tree("valid/iswc-health.json")
        iswc.removeValue(forKey: "referralReference")
        iswc["caseNumber"] = "M-2026-0001"
        iswc["clientNotified"] = ["notified": true, "date": "2026-11-11"]
        iswc["legalAuthority"] = ["protocol": ["relevant": true, "detail": "Marac ISP"]]
        iswc["externalConsultations"] = [["name": "Legal adviser", "date": "2026-11-10"]]
        iswc["dashYesCount"] = 0
        forms.append((try tree(iswc), "health"))
        return forms
    }
}
