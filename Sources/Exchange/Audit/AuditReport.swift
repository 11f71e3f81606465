import Foundation

/// The IG report (`docs/audit.md`, "The report"): disclosures by agency pair and bases,
/// refusals by principal, and reads out of pattern, computed from log entries alone.
public struct AuditReport: Equatable, Sendable {
    /// Disclosures from the owning agency to the recipient under one set of bases, made
    /// by a person reading or by a pack sent. One disclosure is counted once, however many
    /// bases it cites: `basis` joins them (`marac-isp + consent`).
    public struct Flow: Equatable, Sendable {
        public let from: String, to: String, basis: String, via: Via, count: Int
        /// A flow of `count` disclosures.
        public init(from: String, to: String, basis: String, via: Via = .read, count: Int) {
            self.from = from; self.to = to; self.basis = basis; self.via = via; self.count = count
        }
    }
    /// How a disclosure was made.
    public enum Via: String, Equatable, Sendable {
        /// A person read the form (`maracctl doc read`, an export).
        case read
        /// The daemon put it in an agency's agenda, meeting or minutes pack, at a person's
        /// move (`details.pack`); not a read by anyone.
        case pack = "pack send"
    }
    /// The counts an IG officer checks first.
    public struct Totals: Equatable, Sendable {
        /// Disclosure entries (each once), of which pack sends.
        public let disclosures: Int, packSends: Int
        /// Consultations (an agency's own forms, IG officers' use of the log).
        public let consultations: Int
        public let refusals: Int
        public let flags: Int
        /// The counts as given.
        public init(disclosures: Int, packSends: Int, consultations: Int, refusals: Int, flags: Int) {
            self.disclosures = disclosures; self.packSends = packSends; self.consultations = consultations
            self.refusals = refusals; self.flags = flags
        }
    }
    /// Refusals of one principal for one rule.
    public struct Refusals: Equatable, Sendable {
        public let person: String, agency: String, rule: String, count: Int
        /// `count` refusals of one principal for one rule.
        public init(person: String, agency: String, rule: String, count: Int) {
            self.person = person; self.agency = agency; self.rule = rule; self.count = count
        }
    }
    /// A read that stands out, and why.
    public struct Flag: Equatable, Sendable {
        public let seq: Int, time: String, person: String, agency: String, caseNumber: String?, why: String
    }

    /// The period covered (RFC 3339, `until` exclusive), as asked.
    public let since: String?, until: String?
    /// Entries in the period.
    public let entries: Int
    /// Disclosures by agency pair and bases, most first.
    public let disclosures: [Flow]
    /// Every count in one place.
    public let totals: Totals
    /// Every basis code cited by a disclosure in the period, sorted (the report's key).
    public let basesCited: [String]
    /// Refusals by principal and rule, most first.
    public let refusals: [Refusals]
    /// Out-of-pattern reads: many cases outside meetings, at night, of cases on no agenda.
    public let flags: [Flag]

    /// Reads of at least this many distinct cases outside any meeting flag a principal.
    public static let manyCases = 5

    /// Whether `time` (RFC 3339 UTC) is at night: 20:00 to 07:00 UTC.
    static func isNight(_ time: String) -> Bool {
        guard time.count >= 13, let hour = Int(time.dropFirst(11).prefix(2)) else { return false }
        return hour >= 20 || hour < 7
    }

    /// The report over `entries` (sequence number and parsed entry, the whole log), those
    /// in [since, until) that `include` admits (the IG officer's scope).
    public static func build(_ entries: [(seq: Int, entry: JSONValue)], since: String?, until: String?,
                             include: (JSONValue) -> Bool = { _ in true }) -> AuditReport {
        // Cases ever put on an agenda, from the meeting entries of the whole log.
        let scheduled = Set(entries.compactMap { $0.entry["details"]?["action"]?.string == "add-case" ? $0.entry["case"]?.string : nil })
        let inPeriod = entries.filter { item in
            let time = item.entry["time"]?.string ?? ""
            return (since.map { time >= $0 } ?? true) && (until.map { time < $0 } ?? true) && include(item.entry)
        }
        var flows: [String: (Flow, Int)] = [:]
        var refusals: [String: (Refusals, Int)] = [:]
        var flags: [Flag] = []
        var outsideCases: [String: (person: String, agency: String, cases: Set<String>, last: (Int, String))] = [:]
        var disclosures = 0, packSends = 0, consultations = 0, refused = 0
        var cited: Set<String> = []
        for (seq, entry) in inPeriod {
            let operation = entry["operation"]?.string
            let person = entry["actor"]?["person"]?.string ?? "-"
            let agency = entry["actor"]?["agency"]?.string ?? "-"
            let time = entry["time"]?.string ?? ""
            let caseNumber = entry["case"]?.string
            let isPack = entry["details"]?["pack"]?.string != nil
            let isRead = (operation == "disclosure" || operation == "consultation") && !(entry["records"]?.array ?? []).isEmpty && !isPack
            if operation == "consultation" { consultations += 1 }
            if operation == "disclosure" {
                disclosures += 1
                if isPack { packSends += 1 }
                let from = entry["details"]?["owner"]?.string ?? entry["details"]?["owners"]?.string ?? "-"
                let bases = (entry["bases"]?.array ?? []).compactMap(\.string)
                cited.formUnion(bases)
                let basis = bases.isEmpty ? "-" : bases.joined(separator: " + ")
                for to in (entry["recipients"]?.array ?? []).compactMap(\.string) {
                    let via: Via = isPack ? .pack : .read
                    let key = "\(from)\u{0}\(to)\u{0}\(basis)\u{0}\(via.rawValue)"
                    flows[key, default: (Flow(from: from, to: to, basis: basis, via: via, count: 0), 0)].1 += 1
                }
            }
            if operation == "refusal" {
                refused += 1
                let rule = entry["details"]?["rule"]?.string ?? "unrecorded"
                let key = "\(person)\u{0}\(agency)\u{0}\(rule)"
                refusals[key, default: (Refusals(person: person, agency: agency, rule: rule, count: 0), 0)].1 += 1
            }
            // A pack send is the daemon's, at a person's move in the meeting's course:
            // never a read out of pattern, whatever the hour.
            guard isRead, person != "-" else { continue }
            if isNight(time) { flags.append(Flag(seq: seq, time: time, person: person, agency: agency, caseNumber: caseNumber, why: "read at night")) }
            // The Idva's copy of a referral comes on receipt, before any agenda: in pattern.
            if let caseNumber, !scheduled.contains(caseNumber), entry["details"]?["owner"]?.string != agency,
               entry["details"]?["rule"]?.string != "idva-referral" {
                flags.append(Flag(seq: seq, time: time, person: person, agency: agency, caseNumber: caseNumber, why: "read of a case on no agenda"))
            }
            if entry["meeting"] == nil, let caseNumber {
                let key = "\(person)\u{0}\(agency)"
                var item = outsideCases[key] ?? (person, agency, [], (seq, time))
                item.cases.insert(caseNumber)
                item.last = (seq, time)
                outsideCases[key] = item
            }
        }
        for item in outsideCases.values where item.cases.count >= manyCases {
            flags.append(Flag(seq: item.last.0, time: item.last.1, person: item.person, agency: item.agency, caseNumber: nil,
                              why: "read \(item.cases.count) cases outside any meeting"))
        }
        return AuditReport(
            since: since, until: until, entries: inPeriod.count,
            disclosures: flows.values.map { Flow(from: $0.0.from, to: $0.0.to, basis: $0.0.basis, via: $0.0.via, count: $0.1) }
                .sorted { ($1.count, $0.from, $0.to, $0.basis, $0.via.rawValue) < ($0.count, $1.from, $1.to, $1.basis, $1.via.rawValue) },
            totals: Totals(disclosures: disclosures, packSends: packSends, consultations: consultations, refusals: refused, flags: flags.count),
            basesCited: cited.sorted(),
            refusals: refusals.values.map { Refusals(person: $0.0.person, agency: $0.0.agency, rule: $0.0.rule, count: $0.1) }
                .sorted { ($1.count, $0.person, $0.rule) < ($0.count, $1.person, $1.rule) },
            flags: flags.sorted { ($0.seq, $0.why) < ($1.seq, $1.why) })
    }

    /// As JSON (the `audit.report` result and `--json`).
    public var json: JSONValue {
        func string(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return JSONValue.object([
            "since": string(since), "until": string(until), "entries": .number(Double(entries)),
            "disclosures": .array(disclosures.map { JSONValue.object(["from": .string($0.from), "to": .string($0.to), "basis": .string($0.basis),
                                                                      "via": .string($0.via.rawValue), "count": .number(Double($0.count))]) }),
            "totals": .object(["disclosures": .number(Double(totals.disclosures)), "packSends": .number(Double(totals.packSends)),
                               "consultations": .number(Double(totals.consultations)), "refusals": .number(Double(totals.refusals)),
                               "flags": .number(Double(totals.flags))]),
            "basesCited": .array(basesCited.map(JSONValue.string)),
            "refusals": .array(refusals.map { JSONValue.object(["person": .string($0.person), "agency": .string($0.agency), "rule": .string($0.rule),
                                                                "count": .number(Double($0.count))]) }),
            "flags": .array(flags.map { JSONValue.object(["seq": .number(Double($0.seq)), "time": .string($0.time), "person": .string($0.person),
                                                          "agency": .string($0.agency), "case": string($0.caseNumber), "why": .string($0.why)]) }),
        ])
    }
}
