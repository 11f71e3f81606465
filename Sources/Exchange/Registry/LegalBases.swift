import Foundation

/// A legal basis for processing or disclosure (`legal-bases.md`).
public struct LegalBasis: Codable, Equatable, Sendable {
    /// The code forms and log entries carry, `[a-z0-9-]{1,64}`.
    public let code: String
    /// What it is, for people.
    public let basis: String
    /// Guidance.
    public let notes: String?
    /// What it may justify.
    public let uses: [Use]

    /// What a basis may justify.
    public enum Use: String, Codable, Sendable, CaseIterable {
        /// Sharing, consultation, agenda distribution, exports.
        case disclosure
        /// Erasure under the retention schedule.
        case erasure
        /// Information governance audit.
        case audit
    }

    /// A basis `code` described by `basis`, for `uses`.
    public init(code: String, basis: String, notes: String? = nil, uses: [Use] = [.disclosure]) {
        self.code = code
        self.basis = basis
        self.notes = notes
        self.uses = uses
    }
}

/// The legal basis codes this Marac accepts: the built-ins of `legal-bases.md`, plus any a
/// deployment adds in `config/legal-bases.json`. A code outside it is refused, never
/// logged as "unknown".
public struct LegalBasisRegistry: Sendable {
    /// Every basis, by code.
    public let bases: [String: LegalBasis]

    /// Why a registry file was refused (shared with the principals file).
    public typealias LoadError = RegistryFileError

    init(_ list: [LegalBasis]) {
        bases = Dictionary(list.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The built-in codes only.
    public static let builtIn = LegalBasisRegistry(builtInBases)

    /// The built-ins plus the entries of the registry file at `path`. An entry with a
    /// built-in code must repeat it exactly; unknown fields, bad codes and duplicates are refused.
    public static func load(contentsOf path: String) throws -> LegalBasisRegistry {
        try load(RegistryFileError.read(path), path: path)
    }

    /// As `load(contentsOf:)`, from bytes; `path` names them in errors.
    public static func load(_ bytes: [UInt8], path: String) throws -> LegalBasisRegistry {
        let file = try RegistryFileError.decode(File.self, from: bytes, shape: fileShape, path: path)
        var all = builtInBases
        var seen = Set<String>()
        for entry in file.bases {
            guard seen.insert(entry.code).inserted else { throw LoadError.duplicate(path: path, code: entry.code) }
            if let builtIn = builtIn.bases[entry.code] {
                guard builtIn == entry else { throw LoadError.redefinesBuiltIn(path: path, code: entry.code) }
            } else {
                all.append(entry)
            }
        }
        return LegalBasisRegistry(all)
    }

    /// The basis `code`, if registered.
    public func basis(_ code: String) -> LegalBasis? { bases[code] }

    /// Whether `code` is registered for `use`.
    public func allows(_ code: String, for use: LegalBasis.Use) -> Bool {
        bases[code]?.uses.contains(use) ?? false
    }

    /// Every registered code, sorted.
    public var codes: [String] { bases.keys.sorted() }

    struct File: Codable {
        var version: Int
        var bases: [LegalBasis]
    }

    static let fileShape = Shape.object(Fields([
        required("version", .constantInteger(1)),
        required("bases", .list(.object(Fields([
            required("code", .label), required("basis", .required), optional("notes", .long),
            required("uses", .list(.choice(LegalBasis.Use.allCases.map(\.rawValue)), min: 1, unique: true)),
        ])), min: 0, unique: false)),
    ]))

    /// The table of `legal-bases.md`.
    static let builtInBases: [LegalBasis] = [
        LegalBasis(code: "consent", basis: "UK GDPR Art 6(1)(a) / explicit consent of the victim", notes: "from the referral's consentGiven"),
        LegalBasis(code: "marac-isp", basis: "the local Marac information sharing protocol, signed by all agencies", notes: "the usual basis for in-meeting sharing; a deployment names its protocol in config"),
        LegalBasis(code: "ukgdpr-6-1-c", basis: "Art 6(1)(c) legal obligation"),
        LegalBasis(code: "ukgdpr-6-1-d", basis: "Art 6(1)(d) vital interests", notes: "vital interests of the data subject; serious harm or matter of life or death"),
        LegalBasis(code: "ukgdpr-6-1-e", basis: "Art 6(1)(e) public task / functions conferred by enactment", notes: "exercise of functions conferred by or under any enactment"),
        LegalBasis(code: "ukgdpr-9-2-c", basis: "Art 9(2)(c) vital interests, subject cannot consent", notes: "special category"),
        LegalBasis(code: "ukgdpr-9-2-g", basis: "Art 9(2)(g) substantial public interest", notes: "pair with a Schedule 1 condition"),
        LegalBasis(code: "dpa-s1-p6", basis: "DPA 2018 Sch 1 para 6, statutory and government purposes"),
        LegalBasis(code: "dpa-s1-p10", basis: "DPA 2018 Sch 1 para 10, preventing or detecting unlawful acts", notes: "prevention/detection of crime, apprehension or prosecution of offenders"),
        LegalBasis(code: "dpa-s1-p18", basis: "DPA 2018 Sch 1 para 18, safeguarding of children and individuals at risk", notes: "the core Marac condition"),
        LegalBasis(code: "dpa-part3-s35", basis: "DPA 2018 Part 3 law-enforcement processing (police, probation)"),
        LegalBasis(code: "dpa-s8-p4", basis: "DPA 2018 Sch 8 para 4, safeguarding (Part 3 sensitive processing)"),
        LegalBasis(code: "cda-1998-s115", basis: "Crime and Disorder Act 1998 s.115 power to disclose"),
        LegalBasis(code: "ca-2004-s11", basis: "Children Act 2004 s.11 / Children Act 1989 s.47, child protection", notes: "child protection - disclosure to social services or police"),
        LegalBasis(code: "care-2014-s45", basis: "Care Act 2014 s.45, Safeguarding Adults Board request"),
        LegalBasis(code: "court-order", basis: "in accordance with a court order"),
        LegalBasis(code: "administration-of-justice", basis: "administration of justice (usually bringing perpetrators to justice)"),
        LegalBasis(code: "common-law-public-interest", basis: "overriding public interest in breaching the duty of confidence"),
        LegalBasis(code: "hra-art2", basis: "Human Rights Act 1998 Art 2, right to life"),
        LegalBasis(code: "hra-art3", basis: "Human Rights Act 1998 Art 3, freedom from torture, inhuman or degrading treatment"),
        LegalBasis(code: "retention-policy", basis: "erasure under the deployment's retention schedule", notes: "for erasure entries only", uses: [.erasure]),
        LegalBasis(code: "audit", basis: "information governance audit, DPA s.62(4) purposes", notes: "for IG consultation of the log and of records", uses: [.audit]),
    ]
}

/// Why a registry file (legal bases, principals) was refused.
public enum RegistryFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file is not valid (each problem names a JSON path).
    case invalid(path: String, problems: [String])
    /// The file gives a built-in code a different meaning.
    case redefinesBuiltIn(path: String, code: String)
    /// The file lists a code twice.
    case duplicate(path: String, code: String)
    /// The file could not be read.
    case unreadable(path: String, errno: Int32)

    /// For operators: the file and what is wrong.
    public var description: String {
        switch self {
        case let .invalid(path, problems): return "\(path): " + problems.joined(separator: "; ")
        case let .redefinesBuiltIn(path, code): return "\(path): built-in legal basis \(code) cannot be redefined"
        case let .duplicate(path, code): return "\(path): legal basis \(code) is listed twice"
        case let .unreadable(path, code): return "\(path): \(String(cString: strerror(code)))"
        }
    }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryFileError.unreadable(path: path, errno: errno == 0 ? ENOENT : errno)
        }
        return Array(data)
    }

    /// Decodes a registry file strictly, naming `path` in the error.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], shape: Shape, path: String) throws -> T {
        do {
            return try StrictJSON.decode(type, from: bytes, shape: shape)
        } catch let error as StrictJSON.Invalid {
            throw RegistryFileError.invalid(path: path, problems: error.problems.map(\.description))
        }
    }
}
