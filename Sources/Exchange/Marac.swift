import Foundation
import Vault

/// A Marac's settings (per-Marac configuration).
public struct MaracSettings: Sendable {
    /// The case-number prefix, 1 to 8 of `A-Z0-9` (default `M`).
    public var casePrefix: String
    /// The risk thresholds.
    public var thresholds: RiskThresholds
    /// The legal basis codes accepted.
    public var legalBases: LegalBasisRegistry
    /// The largest form file accepted, in bytes (default 1 MiB).
    public var maxFormBytes: Int

    /// Settings; the defaults are the SafeLives guidance's.
    public init(casePrefix: String = "M", thresholds: RiskThresholds = .standard,
                legalBases: LegalBasisRegistry = .builtIn, maxFormBytes: Int = 1 << 20) {
        self.casePrefix = casePrefix
        self.thresholds = thresholds
        self.legalBases = legalBases
        self.maxFormBytes = maxFormBytes
    }
}

/// One Marac's exchange: its agencies, its cases, and the intake of forms into the vault.
public final class Marac: Sendable {
    /// The vault everything is stored in.
    public let vault: Vault
    /// The settings in force.
    public let settings: MaracSettings
    /// The registered agencies.
    public let agencies: AgencyRegistry
    /// The cases.
    public let cases: CaseBook
    /// The meetings.
    public let meetings: MeetingBook

    /// Opens the Marac's exchange on `vault`, creating or migrating its tables.
    public init(vault: Vault, settings: MaracSettings = MaracSettings()) throws {
        guard CaseNumber.isPrefix(settings.casePrefix) else { throw ExchangeError.invalidCasePrefix }
        let applied = try vault.migrate(namespace: ExchangeSchema.namespace, ExchangeSchema.migrations)
        // The open that added the facts' MACs certifies the rows already there, in one
        // logged entry (trust on first use, once); every open then checks them all.
        try vault.authenticateFacts(ExchangeSchema.facts, certifying: applied.contains("fact-macs") ? { changes in
            var entry = LogEntry.alteration(by: .localOperator, case: nil, at: vault.currentTime,
                                            justification: "facts certified on upgrade to authenticated facts", details: ["action": "certify-facts"])
            entry.facts = changes.map(LogEntry.Fact.init)
            return entry.encoded()
        } : nil)
        self.vault = vault
        self.settings = settings
        self.agencies = AgencyRegistry(vault: vault)
        self.cases = CaseBook(vault: vault)
        self.meetings = MeetingBook(vault: vault)
    }
}
