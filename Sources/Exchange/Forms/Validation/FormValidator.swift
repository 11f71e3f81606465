import Foundation

/// What a form is checked against: the inbox it came from, when, and the Marac's rules.
public struct ValidationContext: Sendable {
    /// The submitting agency: the inbox the file arrived in.
    public var agency: String
    /// The date of receipt (UTC).
    public var received: CalendarDate
    /// The Marac's thresholds.
    public var thresholds: RiskThresholds
    /// The legal basis codes accepted.
    public var legalBases: LegalBasisRegistry
    /// The largest file accepted, in bytes (default 1 MiB).
    public var maxBytes: Int

    /// A context for a file from `agency` received on `received`.
    public init(agency: String, received: CalendarDate, thresholds: RiskThresholds = .standard,
                legalBases: LegalBasisRegistry = .builtIn, maxBytes: Int = 1 << 20) {
        self.agency = agency
        self.received = received
        self.thresholds = thresholds
        self.legalBases = legalBases
        self.maxBytes = maxBytes
    }
}

/// A form that passed every check.
public struct ValidatedForm: Sendable {
    /// The form.
    public let form: Form
    /// For a referral with a checklist: the daemon's own count.
    public let dashScore: DashScore?
}

/// Why a file was refused: every problem found, in document order where there is one.
public struct FormRejection: Error, Equatable, Sendable {
    /// The form's kind, when the file said which it is.
    public let kind: FormKind?
    /// Every problem.
    public let problems: [FormProblem]
}

/// Checks a submitted file against the interchange format (`docs/forms.md`): syntax,
/// shape, cross-field rules and the Marac's context, reporting every problem at once.
/// Never crashes or hangs on hostile input: size and depth are bounded before any work
/// proportional to them, and nothing is recursive beyond the depth limit.
public enum FormValidator {
    /// The most problems a report lists; a hostile file with a million wrong items gets
    /// a report of bounded size, ending with a count of the rest.
    public static let maxProblems = 100

    /// Validates `bytes` submitted in `context`.
    public static func validate(_ bytes: [UInt8], in context: ValidationContext) -> Result<ValidatedForm, FormRejection> {
        guard bytes.count <= context.maxBytes else {
            return .failure(FormRejection(kind: nil, problems: [
                FormProblem(.root, .tooLarge, "the file is \(bytes.count) bytes; the limit is \(context.maxBytes)"),
            ]))
        }
        if let kind = WrongFile.kind(of: bytes) {
            return .failure(FormRejection(kind: nil, problems: [FormProblem(.root, .syntax, WrongFile.message(kind))]))
        }
        let parsed: JSONParser.Result
        do {
            parsed = try JSONParser().parse(bytes)
        } catch {
            return .failure(FormRejection(kind: nil, problems: [FormProblem(.root, .syntax, "not valid JSON: \(error)")]))
        }
        var problems = parsed.duplicateKeys.map { FormProblem($0, .duplicateKey, "appears more than once in its object") }
        guard let object = parsed.value.object else {
            problems.append(FormProblem(.root, .wrongType, "must be an object"))
            return .failure(FormRejection(kind: nil, problems: capped(problems)))
        }
        guard let kindValue = object["form"] else {
            problems.append(FormProblem(JSONPath.root.appending("form"), .required, "required field is missing"))
            return .failure(FormRejection(kind: nil, problems: capped(problems)))
        }
        guard let kind = kindValue.string.flatMap(FormKind.init(rawValue:)) else {
            problems.append(FormProblem(JSONPath.root.appending("form"), .notAllowed, "must be one of: referral, research, iswc, action-update"))
            return .failure(FormRejection(kind: nil, problems: capped(problems)))
        }

        FormShapes.shape(of: kind).check(parsed.value, at: .root, into: &problems)
        switch kind {
        case .referral: FormRules.referral(object, context, &problems)
        case .research: FormRules.research(object, context, &problems)
        case .iswc: FormRules.iswc(object, context, &problems)
        case .actionUpdate: FormRules.actionUpdate(object, context, &problems)
        }
        guard problems.isEmpty else { return .failure(FormRejection(kind: kind, problems: capped(problems, shape: FormShapes.shape(of: kind)))) }

        do {
            // From the tree already parsed and checked: no second parse.
            switch kind {
            case .referral:
                let referral = try JSONValueDecoder.decode(Referral.self, from: parsed.value)
                return .success(ValidatedForm(form: .referral(referral),
                                              dashScore: referral.dash.map { DashScore($0, thresholds: context.thresholds) }))
            case .research:
                return .success(ValidatedForm(form: .research(try JSONValueDecoder.decode(Research.self, from: parsed.value)), dashScore: nil))
            case .iswc:
                return .success(ValidatedForm(form: .iswc(try JSONValueDecoder.decode(ISWC.self, from: parsed.value)), dashScore: nil))
            case .actionUpdate:
                return .success(ValidatedForm(form: .actionUpdate(try JSONValueDecoder.decode(ActionUpdateForm.self, from: parsed.value)), dashScore: nil))
            }
        } catch {
            // The checks above admit only what the models decode; reaching here is a bug
            // in this file, reported without the content rather than crashing the daemon.
            return .failure(FormRejection(kind: kind, problems: [FormProblem(.root, .wrongType, "could not be read as a \(kind.rawValue) form")]))
        }
    }
}

extension FormValidator {
    /// Validates each file in its context, spread over the machine's cores; the results
    /// are in the order given. (Validation is pure: no shared state, no I/O.) Each file
    /// goes to whichever thread is free next: a fixed share per thread left the caller
    /// idle whenever the other core was busy with something else (the daemon's receipt
    /// stage).
    public static func validate(_ files: [([UInt8], ValidationContext)]) -> [Result<ValidatedForm, FormRejection>] {
        let threads = ProcessInfo.processInfo.activeProcessorCount
        guard files.count > 1, threads > 1 else { return files.map { validate($0.0, in: $0.1) } }
        let results = UnsafeMutableBufferPointer<Result<ValidatedForm, FormRejection>>.allocate(capacity: files.count)
        defer { results.deinitialize().deallocate() }
        nonisolated(unsafe) let slots = results  // each index is written once, by one thread
        Parallel.forEach(files.count, threads: threads) { i in
            (slots.baseAddress! + i).initialize(to: validate(files[i].0, in: files[i].1))
        }
        return Array(results)
    }

    /// The first `maxProblems` problems, then one saying how many more there were.
    /// `problems`, each path as `shape` lets it be shown (`Shape.publicPath`: no member name
    /// the schema does not define), at most `maxProblems` and a count of the rest.
    static func capped(_ problems: [FormProblem], shape: Shape = FormShapes.beforeKind) -> [FormProblem] {
        let problems = problems.map { FormProblem(shape.publicPath($0.path), $0.rule, $0.message) }
        guard problems.count > maxProblems else { return problems }
        return Array(problems.prefix(maxProblems)) + [
            FormProblem(.root, .moreProblems, "\(problems.count - maxProblems) more problems not listed"),
        ]
    }
}

extension Form {
    /// The canonical JSON encoding: keys sorted, no insignificant white space, `/`
    /// unescaped. Equal forms encode to equal bytes.
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        switch self {
        case let .referral(f): return try encoder.encode(f)
        case let .research(f): return try encoder.encode(f)
        case let .iswc(f): return try encoder.encode(f)
        case let .actionUpdate(f): return try encoder.encode(f)
        }
    }
}
