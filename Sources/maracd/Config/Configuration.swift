import Exchange
import Foundation

/// The daemon's configuration (`docs/configuration.md`, `config/maracd.example.json`).
/// Every key has a default except `stateDirectory`; an unknown key is an error, so a typo
/// never silently leaves a default in force. Relative paths are relative to the file.
struct Configuration: Equatable {
    /// The state directory (vault, inboxes, outboxes): 0700, owned by the daemon user.
    var stateDirectory: String
    /// The root key file; nil means `$CREDENTIALS_DIRECTORY/master.key`, else `<state>/master.key`.
    var rootKeyPath: String?
    /// The legal basis registry file; nil means the built-ins only.
    var legalBasesFile: String?
    /// The uid-to-principal map; nil means no principals (every control caller refused).
    var principalsFile: String?

    /// This Marac's identity and rules.
    var marac = Marac()
    /// The watched inboxes.
    var inbox = Inbox()
    /// Ingest batching and quarantine.
    var ingest = Ingest()
    /// Logging.
    var log = Log()
    /// Signed log checkpoints and where they are published.
    var audit = Audit()
    /// The control socket.
    var control = Control()
    /// How long case documents are kept after the case's latest meeting, per kind.
    var retention = RetentionSchedule()

    struct Marac: Equatable {
        var name = "Marac"
        var casePrefix = "M"
        var visibleHighRiskThreshold = 14
        var escalationThreshold = 3
        var agendaLeadDays = 8
        /// The area's female population aged 16 and over, for the data return's rate.
        var adultFemalePopulation: Int?
        var minutesWorkingDays = 3
        var declarationStatement = Configuration.defaultStatement
    }

    /// The confidentiality statement a Marac's attendees agree to, unless configured.
    static let defaultStatement = """
        Information discussed at this Marac is shared in confidence to protect people at risk of serious harm. \
        I will use it only to make and carry out safety plans, record it only in my agency's secure systems, \
        share it with no one not entitled to it, and not use it for any other purpose.
        """

    struct Inbox: Equatable {
        var maxFileBytes = 1 << 20
        var quarantineHardCapBytes = 64 << 20
        var rescanIntervalSeconds = 10.0
        var settleSeconds = 2.0
        var agencyAccess = AgencyAccess.none
    }

    /// Who besides the daemon may use an agency's inbox and outbox.
    enum AgencyAccess: String, Equatable {
        /// The daemon user alone: directories 0700, files 0600.
        case none
        /// The agency's group, which the administrator sets (set-group-ID) on its
        /// directories for its SFTP chroot: inbox 0770, outbox 0750, outbox files 0640.
        case group
    }

    struct Ingest: Equatable {
        var maxBatchFiles = 256
        var quarantineRetentionDays = 30
        var outboxRetentionDays = 90
    }

    struct Log: Equatable {
        var level = "info"
        var format = "text"
    }

    struct Audit: Equatable {
        /// The checkpoint's origin line (no spaces).
        var checkpointOrigin = "maracd"
        /// At most one checkpoint per this many seconds while the log grows.
        var checkpointIntervalSeconds = 60.0
        /// Where every published checkpoint is kept; nil means `<state>/witness`.
        var witnessDirectory: String?
    }

    struct Control: Equatable {
        /// The socket; nil means `<state>/run/maracd.sock`.
        var socketPath: String?
        /// The socket's group (a gid, or a name resolved at start); nil means the daemon's own.
        var socketGroup: Int?
        var socketGroupName: String?
        var requestTimeoutSeconds = 5.0
        var maxConnections = 64
        var maxConnectionsPerUID = 8
    }

    /// The control socket's settings in force (a group name resolved now).
    var controlSettings: ControlServer.Settings {
        let named = control.socketGroupName.flatMap { name in getgrnam(name).map { UInt32($0.pointee.gr_gid) } }
        return ControlServer.Settings(path: control.socketPath ?? stateDirectory + "/run/maracd.sock",
                               group: named ?? control.socketGroup.map(UInt32.init),
                               timeout: control.requestTimeoutSeconds, maxConnections: control.maxConnections,
                               maxConnectionsPerUID: control.maxConnectionsPerUID)
    }

    /// The witness directory in force.
    var witnessPath: String { audit.witnessDirectory ?? stateDirectory + "/witness" }

    /// Why a configuration was refused: the file and each problem by JSON path.
    struct Invalid: Error, CustomStringConvertible {
        let path: String
        let problems: [String]
        var description: String { "\(path): " + problems.joined(separator: "; ") }
    }

    // MARK: - Loading

    /// Reads and checks the file at `path`.
    static func load(_ path: String) throws -> Configuration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Invalid(path: path, problems: ["cannot be read"])
        }
        let base = (path as NSString).deletingLastPathComponent
        return try parse(Array(data), path: path, base: base.isEmpty ? "." : base)
    }

    static func parse(_ bytes: [UInt8], path: String, base: String) throws -> Configuration {
        let value: JSONValue
        do {
            let parsed = try JSONParser(maxDepth: 8).parse(bytes)
            guard parsed.duplicateKeys.isEmpty else {
                throw Invalid(path: path, problems: parsed.duplicateKeys.map { "\($0): appears more than once" })
            }
            value = parsed.value
        } catch let error as JSONParser.Failure {
            throw Invalid(path: path, problems: ["not valid JSON: \(error)"])
        }
        var reader = Reader(base: base)
        let config = reader.configuration(value)
        guard reader.problems.isEmpty, let config else { throw Invalid(path: path, problems: reader.problems) }
        return config
    }

    /// The Exchange settings this configuration describes.
    func maracSettings(legalBases: LegalBasisRegistry) -> MaracSettings {
        MaracSettings(casePrefix: marac.casePrefix,
                      thresholds: RiskThresholds(visibleHighRisk: marac.visibleHighRiskThreshold, escalation: marac.escalationThreshold)!,
                      legalBases: legalBases, maxFormBytes: inbox.maxFileBytes)
    }
}

/// Walks the parsed file, collecting every problem with its path.
private struct Reader {
    let base: String
    var problems: [String] = []

    mutating func configuration(_ root: JSONValue) -> Configuration? {
        guard let object = members(root, "$", allowed: ["stateDirectory", "rootKeyPath", "legalBasesFile", "principalsFile",
                                                         "marac", "inbox", "ingest", "log", "audit", "control", "retention"]) else { return nil }
        guard let state = path(object["stateDirectory"], "$.stateDirectory", required: true) else { return nil }
        var config = Configuration(stateDirectory: state)
        config.rootKeyPath = path(object["rootKeyPath"], "$.rootKeyPath")
        config.legalBasesFile = path(object["legalBasesFile"], "$.legalBasesFile")
        config.principalsFile = path(object["principalsFile"], "$.principalsFile")

        if let marac = members(object["marac"], "$.marac", allowed: ["name", "casePrefix", "visibleHighRiskThreshold",
                                                                       "escalationThreshold", "agendaLeadDays", "adultFemalePopulation", "minutesWorkingDays",
                                                                       "declarationStatement"]) {
            config.marac.name = string(marac["name"], "$.marac.name", default: config.marac.name) { !$0.isEmpty && $0.count <= 200 }
            config.marac.casePrefix = string(marac["casePrefix"], "$.marac.casePrefix", default: "M", rule: "1 to 8 of A-Z, 0-9") {
                CaseNumber.isPrefix($0)
            }
            config.marac.visibleHighRiskThreshold = integer(marac["visibleHighRiskThreshold"], "$.marac.visibleHighRiskThreshold", 14, 1...24)
            config.marac.escalationThreshold = integer(marac["escalationThreshold"], "$.marac.escalationThreshold", 3, 1...1_000)
            config.marac.agendaLeadDays = integer(marac["agendaLeadDays"], "$.marac.agendaLeadDays", 8, 1...60)
            config.marac.minutesWorkingDays = integer(marac["minutesWorkingDays"], "$.marac.minutesWorkingDays", 3, 0...60)
            if let population = marac["adultFemalePopulation"], population != .null {
                config.marac.adultFemalePopulation = integer(population, "$.marac.adultFemalePopulation", 1, 1...100_000_000)
            }
            config.marac.declarationStatement = string(marac["declarationStatement"], "$.marac.declarationStatement",
                                                       default: Configuration.defaultStatement, rule: "1 to 5000 characters") {
                $0.contains(where: { !$0.isWhitespace }) && $0.count <= 5_000
            }
        }
        if let inbox = members(object["inbox"], "$.inbox", allowed: ["maxFileBytes", "quarantineHardCapBytes", "rescanIntervalSeconds",
                                                                       "settleSeconds", "agencyAccess"]) {
            config.inbox.maxFileBytes = integer(inbox["maxFileBytes"], "$.inbox.maxFileBytes", 1 << 20, 1_024...(16 << 20))
            config.inbox.quarantineHardCapBytes = integer(inbox["quarantineHardCapBytes"], "$.inbox.quarantineHardCapBytes",
                                                          64 << 20, 0...(1 << 30))
            config.inbox.rescanIntervalSeconds = number(inbox["rescanIntervalSeconds"], "$.inbox.rescanIntervalSeconds", 10, 0.1...3_600)
            config.inbox.settleSeconds = number(inbox["settleSeconds"], "$.inbox.settleSeconds", 2, 0...600)
            let access = string(inbox["agencyAccess"], "$.inbox.agencyAccess", default: "none", rule: "none or group") {
                Configuration.AgencyAccess(rawValue: $0) != nil
            }
            config.inbox.agencyAccess = Configuration.AgencyAccess(rawValue: access) ?? .none
        }
        if let ingest = members(object["ingest"], "$.ingest", allowed: ["maxBatchFiles", "quarantineRetentionDays", "outboxRetentionDays"]) {
            config.ingest.maxBatchFiles = integer(ingest["maxBatchFiles"], "$.ingest.maxBatchFiles", 256, 1...10_000)
            config.ingest.quarantineRetentionDays = integer(ingest["quarantineRetentionDays"], "$.ingest.quarantineRetentionDays", 30, 1...3_650)
            config.ingest.outboxRetentionDays = integer(ingest["outboxRetentionDays"], "$.ingest.outboxRetentionDays", 90, 1...3_650)
        }
        if let retention = members(object["retention"], "$.retention", allowed: ["caseDocumentDays"]),
           let days = members(retention["caseDocumentDays"], "$.retention.caseDocumentDays", allowed: Set(FormKind.caseForms.map(\.rawValue))) {
            var schedule: [FormKind: Int] = [:]
            for kind in FormKind.caseForms {
                schedule[kind] = integer(days[kind.rawValue], "$.retention.caseDocumentDays.\(kind.rawValue)", RetentionSchedule.defaultDays, 1...36_500)
            }
            config.retention = RetentionSchedule(days: schedule)
        }
        if let log = members(object["log"], "$.log", allowed: ["level", "format"]) {
            config.log.level = string(log["level"], "$.log.level", default: "info", rule: "debug, info, warning or error") {
                LogLevel(name: $0) != nil
            }
            config.log.format = string(log["format"], "$.log.format", default: "text", rule: "text or json") { LogFormat(rawValue: $0) != nil }
        }
        if let audit = members(object["audit"], "$.audit", allowed: ["checkpointOrigin", "checkpointIntervalSeconds", "witnessDirectory"]) {
            config.audit.checkpointOrigin = string(audit["checkpointOrigin"], "$.audit.checkpointOrigin", default: "maracd",
                                                   rule: "1 to 200 printable ASCII characters without spaces") {
                !$0.isEmpty && $0.utf8.count <= 200 && $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f }
            }
            config.audit.checkpointIntervalSeconds = number(audit["checkpointIntervalSeconds"], "$.audit.checkpointIntervalSeconds",
                                                            60, 1...86_400)
            config.audit.witnessDirectory = path(audit["witnessDirectory"], "$.audit.witnessDirectory")
        }
        if let control = members(object["control"], "$.control", allowed: ["socketPath", "socketGroup", "requestTimeoutSeconds", "maxConnections",
                                                                                "maxConnectionsPerUID"]) {
            config.control.socketPath = path(control["socketPath"], "$.control.socketPath")
            if let group = control["socketGroup"], group != .null {
                if group.string != nil {
                    config.control.socketGroupName = string(group, "$.control.socketGroup", default: "", rule: "a group name or gid") {
                        !$0.isEmpty && $0.utf8.count <= 32 && !$0.contains(":")
                    }
                } else {
                    config.control.socketGroup = integer(group, "$.control.socketGroup", 0, 0...4_294_967_294)
                }
            }
            config.control.requestTimeoutSeconds = number(control["requestTimeoutSeconds"], "$.control.requestTimeoutSeconds", 5, 0.1...300)
            config.control.maxConnections = integer(control["maxConnections"], "$.control.maxConnections", 64, 1...1_024)
            config.control.maxConnectionsPerUID = integer(control["maxConnectionsPerUID"], "$.control.maxConnectionsPerUID", 8, 1...1_024)
        }
        if config.inbox.quarantineHardCapBytes < config.inbox.maxFileBytes {
            problems.append("$.inbox.quarantineHardCapBytes: must not be below maxFileBytes")
        }
        return config
    }

    mutating func members(_ value: JSONValue?, _ path: String, allowed: Set<String>) -> JSONObject? {
        guard let value else { return nil }
        guard let object = value.object else { problems.append("\(path): must be an object"); return nil }
        for key in object.keys where !allowed.contains(key) {
            problems.append("\(path)\(JSONPath.root.appending(key).description.dropFirst()): unknown key")
        }
        return object
    }

    mutating func path(_ value: JSONValue?, _ where_: String, required: Bool = false) -> String? {
        guard let value, value != .null else {
            if required { problems.append("\(where_): required") }
            return nil
        }
        guard let text = value.string, !text.isEmpty, !text.utf8.contains(0) else {
            problems.append("\(where_): must be a non-empty path")
            return nil
        }
        return text.hasPrefix("/") ? text : base + "/" + text
    }

    mutating func string(_ value: JSONValue?, _ path: String, default fallback: String, rule: String = "a string",
                         _ valid: (String) -> Bool) -> String {
        guard let value else { return fallback }
        guard let text = value.string, valid(text) else { problems.append("\(path): must be \(rule)"); return fallback }
        return text
    }

    mutating func integer(_ value: JSONValue?, _ path: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
        guard let value else { return fallback }
        guard let n = value.integer, range.contains(n) else {
            problems.append("\(path): must be an integer from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return n
    }

    mutating func number(_ value: JSONValue?, _ path: String, _ fallback: Double, _ range: ClosedRange<Double>) -> Double {
        guard let value else { return fallback }
        guard case let .number(n) = value, range.contains(n) else {
            problems.append("\(path): must be a number from \(range.lowerBound) to \(range.upperBound)")
            return fallback
        }
        return n
    }
}
