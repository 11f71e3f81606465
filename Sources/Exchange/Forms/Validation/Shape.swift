/// The structure of a form, as data: what the JSON Schemas in `config/schemas/` say,
/// checked here without a schema engine. Rules that span fields live in `FormRules`.
indirect enum Shape: Sendable {
    /// A string of at most `max` characters (Unicode scalars); if `nonEmpty`, it must hold
    /// something other than white space (a required field that is blank is missing).
    case text(max: Int, nonEmpty: Bool)
    /// An identifier: `[a-z0-9-]{1,64}` (agency ids, legal basis codes).
    case label
    /// A Marac case number: `PREFIX-YYYY-NNNN`.
    case caseNumber
    /// An action id: a case number, `-A`, and the action's number (`docs/actions.md`).
    case actionID
    /// A vault document id: `doc_` and 32 lower-case hex digits.
    case documentID
    /// A `YYYY-MM-DD` date.
    case date
    /// `true` or `false`.
    case boolean
    /// An integer in a range.
    case integer(ClosedRange<Int>)
    /// One of a set of strings.
    case choice([String])
    /// Exactly this string.
    case constant(String)
    /// Exactly this integer.
    case constantInteger(Int)
    /// An array of `element`, with at least `min` items, optionally all distinct.
    case list(Shape, min: Int, unique: Bool)
    /// An object with these fields.
    case object(Fields)
    /// An object with any members (`extensions`: kept as written).
    case anyObject

    static let name = Shape.text(max: 200, nonEmpty: true)
    static let short = Shape.text(max: 1_000, nonEmpty: false)
    static let long = Shape.text(max: 20_000, nonEmpty: false)
    static let required = Shape.text(max: 20_000, nonEmpty: true)
    static let requiredShort = Shape.text(max: 1_000, nonEmpty: true)
}

/// The fields of an object shape.
final class Fields: Sendable {
    struct Field: Sendable {
        let name: String
        let shape: Shape
        let required: Bool
    }

    let fields: [Field]
    private let byName: [String: Field]
    /// For objects whose members are numbered answers: report a missing member on the
    /// object itself with this message (`$.dash.answers: question 7 is not answered`).
    let missingMessage: (@Sendable (String) -> String)?

    init(_ fields: [Field], missingMessage: (@Sendable (String) -> String)? = nil) {
        self.fields = fields
        self.byName = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })
        self.missingMessage = missingMessage
    }

    /// The field called `name`: a scan of a short list (cheaper than hashing the key), a
    /// lookup in a long one.
    func field(_ name: String) -> Field? {
        fields.count <= JSONObject.indexThreshold ? fields.first { $0.name == name } : byName[name]
    }
}

/// `"name": shape` for a required field.
func required(_ name: String, _ shape: Shape) -> Fields.Field { .init(name: name, shape: shape, required: true) }
/// `"name": shape` for an optional field.
func optional(_ name: String, _ shape: Shape) -> Fields.Field { .init(name: name, shape: shape, required: false) }

// MARK: - Checking

extension Shape {
    /// `path` as a report, the vault and the daemon's log may show it: the schema's field
    /// names and array indexes only. A member the schema does not name (an unknown field,
    /// anything under `extensions`, anything below those) is `*`, never its text: a form's
    /// key can be a person's name (`docs/forms.md`, "Rejection reports").
    func publicPath(_ path: JSONPath) -> JSONPath {
        var shape: Shape? = self
        var out = JSONPath.root
        for component in path.components {
            switch component {
            case let .index(i):
                out.push(index: i)
                if case let .list(element, _, _)? = shape { shape = element } else { shape = nil }
            case let .key(key):
                if case let .object(fields)? = shape, let field = fields.field(key) {
                    out.push(key)
                    shape = field.shape
                } else {
                    out.pushWithheld()
                    shape = nil
                }
            case .withheld:
                out.pushWithheld()
                shape = nil
            }
        }
        return out
    }

    /// Appends every way `value` at `path` departs from this shape to `problems`.
    func check(_ value: JSONValue, at path: JSONPath, into problems: inout [FormProblem]) {
        var walk = path
        check(value, at: &walk, into: &problems)
    }

    /// The walk itself: `path` is extended and restored in place, once per member, rather
    /// than copied for every field of every form.
    private func check(_ value: JSONValue, at path: inout JSONPath, into problems: inout [FormProblem]) {
        switch self {
        case let .text(max, nonEmpty):
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            Self.checkText(s, max: max, nonEmpty: nonEmpty, at: path, into: &problems)
        case .label:
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            if !Self.isLabel(s) {
                problems.append(.init(path, .format, "must be an id of 1 to 64 lower-case letters, digits and hyphens"))
            }
        case .caseNumber:
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            if CaseNumber(s) == nil { problems.append(.init(path, .format, "must be a case number such as M-2026-0001")) }
        case .actionID:
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            if !ActionsOrder.isActionID(s) { problems.append(.init(path, .format, "must be an action id such as M-2026-0001-A1")) }
        case .documentID:
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            let hex = s.utf8.dropFirst(4)
            if !s.hasPrefix("doc_") || hex.count != 32 || !hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) {
                problems.append(.init(path, .format, "must be a document id such as doc_0123456789abcdef0123456789abcdef"))
            }
        case .date:
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            guard let date = CalendarDate(pattern: s) else {
                return problems.append(.init(path, .format, "must be a date YYYY-MM-DD"))
            }
            if !date.isValid { problems.append(.init(path, .notACalendarDate, "is not a calendar date")) }
        case .boolean:
            if value.bool == nil { problems.append(.init(path, .wrongType, "must be true or false")) }
        case let .integer(range):
            guard case .number = value else { return problems.append(.init(path, .wrongType, "must be an integer")) }
            guard let i = value.integer else { return problems.append(.init(path, .wrongType, "must be an integer")) }
            if !range.contains(i) {
                problems.append(.init(path, .notAllowed, "must be from \(range.lowerBound) to \(range.upperBound)"))
            }
        case let .choice(options):
            guard case let .string(s) = value else { return problems.append(.init(path, .wrongType, "must be a string")) }
            if !options.contains(s) { problems.append(.init(path, .notAllowed, "must be one of: " + options.joined(separator: ", "))) }
        case let .constant(expected):
            if value.string != expected { problems.append(.init(path, .notAllowed, "must be \"\(expected)\"")) }
        case let .constantInteger(expected):
            if value.integer != expected || value.bool != nil { problems.append(.init(path, .notAllowed, "must be \(expected)")) }
        case let .list(element, min, unique):
            guard case let .array(items) = value else { return problems.append(.init(path, .wrongType, "must be an array")) }
            if items.count < min { problems.append(.init(path, .tooFewItems, "must have at least \(min) item\(min == 1 ? "" : "s")")) }
            for (i, item) in items.enumerated() {
                path.push(index: i)
                element.check(item, at: &path, into: &problems)
                path.pop()
            }
            if unique {
                // Only strings are ever required to be distinct here; a set keeps a
                // hostile array of a million items linear.
                var seen = Set<String>()
                for (i, item) in items.enumerated() {
                    if let s = item.string, !seen.insert(s).inserted {
                        problems.append(.init(path.appending(index: i), .repeatedItem, "repeats an earlier item"))
                    }
                }
            }
        case let .object(fields):
            guard case let .object(object) = value else { return problems.append(.init(path, .wrongType, "must be an object")) }
            for (position, (key, member)) in object.members.enumerated() {
                if let field = fields.field(key) {
                    path.push(key)
                    field.shape.check(member, at: &path, into: &problems)
                    path.pop()
                } else {
                    // Its position, not its name (`publicPath`): a key can be personal data.
                    problems.append(.init(path.appending(key), .unknownField, "unknown field: member \(position + 1) of this object"))
                }
            }
            for field in fields.fields where field.required && object[field.name] == nil {
                if let message = fields.missingMessage {
                    problems.append(.init(path, .required, message(field.name)))
                } else {
                    problems.append(.init(path.appending(field.name), .required, "required field is missing"))
                }
            }
        case .anyObject:
            if value.object == nil { problems.append(.init(path, .wrongType, "must be an object")) }
        }
    }

    /// Length in Unicode scalars (as JSON Schema counts), emptiness, and control characters.
    static func checkText(_ s: String, max: Int, nonEmpty: Bool, at path: JSONPath, into problems: inout [FormProblem]) {
        func scan(_ bytes: some Sequence<UInt8>) -> (scalars: Int, control: Bool) {
            var scalars = 0
            var control = false
            for byte in bytes {
                if byte & 0xC0 != 0x80 { scalars += 1 }
                if byte < 0x20 && byte != 0x09 && byte != 0x0A && byte != 0x0D { control = true }
            }
            return (scalars, control)
        }
        // Parsed strings are native and contiguous: scan the buffer, not the view.
        let (scalars, control) = s.utf8.withContiguousStorageIfAvailable { scan($0) } ?? scan(s.utf8)
        if nonEmpty && s.unicodeScalars.allSatisfy(isBlank) { problems.append(.init(path, .empty, "must not be empty or only white space")) }
        if scalars > max { problems.append(.init(path, .tooLong, "is longer than \(max) characters")) }
        if control { problems.append(.init(path, .controlCharacter, "contains a control character")) }
    }

    /// White space as the published schemas spell it (`blank` in `docs/forms.md`): tab,
    /// line feed, carriage return, space, NEL, NBSP and the Unicode space separators.
    /// (Other control characters are refused on their own.)
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `[a-z0-9-]{1,64}`.
    static func isLabel(_ s: String) -> Bool {
        let utf8 = s.utf8
        return !utf8.isEmpty && utf8.count <= 64 && utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d }
    }
}
