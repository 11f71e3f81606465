/// The SafeLives Dash risk identification checklist: 24 questions, each answered yes, no
/// or don't know, with sub-ticks on five of them and a professional section.
public struct Dash: Codable, Equatable, Sendable {
    /// Answers by question number, "1" to "24" (all present).
    public var answers: [String: Answer]
    /// Question 14: who was threatened.
    public var q14ThreatenedToKill: [String]?
    /// Question 18: who else was hurt.
    public var q18HurtOthers: [String]?
    /// Question 21: which problems.
    public var q21Problems: [String]?
    /// Question 23: what was breached.
    public var q23Breaches: [String]?
    /// Question 24: what history.
    public var q24CriminalHistory: [String]?
    /// Other relevant information.
    public var otherRelevantInformation: String?
    /// Whether the victim is willing to engage.
    public var willingToEngage: String?
    /// The abuser's occupation and access to weapons.
    public var abuserOccupationAccessToWeapons: String?
    /// The victim's priorities.
    public var victimPriorities: String?
    /// Reasonable grounds for referral.
    public var reasonableGroundsForReferral: Bool?
    /// Whether a referral was made.
    public var referralMade: Bool?
    /// Risks to children.
    public var risksToChildren: Bool?
    /// Whether children's services were referred to.
    public var childrenReferralMade: Bool?
    /// When.
    public var childrenReferralDate: CalendarDate?
    /// Who completed the checklist.
    public var signedBy: String?
    /// When.
    public var signedDate: CalendarDate?

    /// One answer.
    public struct Answer: Codable, Equatable, Sendable {
        /// Yes, no or don't know.
        public var answer: Response
        /// A comment.
        public var comment: String?
        /// Where the information came from.
        public var source: String?
    }

    /// The three answers a question allows.
    public enum Response: String, Codable, Sendable {
        /// Yes.
        case yes
        /// No.
        case no
        /// Don't know.
        case dontKnow = "dont_know"
    }

    /// The questions' short labels, for output (question n is `questions[n - 1]`).
    public static let questions = [
        "current incident resulted in injury", "very frightened", "afraid of further injury or violence",
        "isolated from family/friends", "depressed or suicidal thoughts", "separated or tried to separate in past year",
        "conflict over child contact", "constantly texts/calls/stalks/harasses", "pregnant or baby in last 18 months",
        "abuse happening more often", "abuse getting worse", "controlling or excessively jealous",
        "used weapons or objects to hurt", "threatened to kill", "attempted to strangle/choke/suffocate/drown",
        "sexual abuse", "another person threatening", "hurt anyone else", "mistreated an animal", "financial issues",
        "drugs/alcohol/mental health problems", "threatened or attempted suicide", "broken bail/injunction/agreement",
        "criminal history",
    ]

    /// The number of `yes` answers: counted by the daemon, never taken from the file.
    public var yesCount: Int { answers.values.filter { $0.answer == .yes }.count }
}

/// The Marac's risk thresholds (per-Marac configuration).
public struct RiskThresholds: Equatable, Sendable {
    /// The Dash `yes` count at or above which a case is visible high risk (default 14 of 24).
    public let visibleHighRisk: Int
    /// The number of police call-outs in 12 months at or above which potential escalation
    /// applies (default 3, the SafeLives guidance's example).
    public var escalation: Int

    /// The defaults: 14 and 3.
    public static let standard = RiskThresholds(visibleHighRisk: 14, escalation: 3)!

    /// Thresholds; nil unless `visibleHighRisk` is in 1...24 and `escalation` in 1...1000
    /// (configuration is checked, not trusted).
    public init?(visibleHighRisk: Int, escalation: Int) {
        guard (1...24).contains(visibleHighRisk), (1...1_000).contains(escalation) else { return nil }
        self.visibleHighRisk = visibleHighRisk
        self.escalation = escalation
    }
}

/// The daemon's own reading of a Dash checklist.
public struct DashScore: Equatable, Sendable {
    /// `yes` answers, out of 24.
    public let yesCount: Int
    /// The threshold it was compared with.
    public let threshold: Int
    /// Whether the count meets the threshold.
    public var meetsVisibleHighRisk: Bool { yesCount >= threshold }

    /// Scores `dash` against `thresholds`.
    public init(_ dash: Dash, thresholds: RiskThresholds) {
        yesCount = dash.yesCount
        threshold = thresholds.visibleHighRisk
    }
}

// MARK: - Decoding a validated form

extension Dash {
    /// As the synthesized conformance, except that a form's tree (`JSONValueDecoder`)
    /// gives its 24 answers straight from the parsed object: through the generic
    /// dictionary and keyed-container path they were a third of validating a referral.
    /// `DecoderAgreementTests` checks that both paths give equal models.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let tree = decoder as? TreeDecoder, let answers = tree.value.object?["answers"].flatMap(Answer.dictionary) {
            self.answers = answers
        } else {
            answers = try c.decode([String: Answer].self, forKey: .answers)
        }
        q14ThreatenedToKill = try c.decodeIfPresent([String].self, forKey: .q14ThreatenedToKill)
        q18HurtOthers = try c.decodeIfPresent([String].self, forKey: .q18HurtOthers)
        q21Problems = try c.decodeIfPresent([String].self, forKey: .q21Problems)
        q23Breaches = try c.decodeIfPresent([String].self, forKey: .q23Breaches)
        q24CriminalHistory = try c.decodeIfPresent([String].self, forKey: .q24CriminalHistory)
        otherRelevantInformation = try c.decodeIfPresent(String.self, forKey: .otherRelevantInformation)
        willingToEngage = try c.decodeIfPresent(String.self, forKey: .willingToEngage)
        abuserOccupationAccessToWeapons = try c.decodeIfPresent(String.self, forKey: .abuserOccupationAccessToWeapons)
        victimPriorities = try c.decodeIfPresent(String.self, forKey: .victimPriorities)
        reasonableGroundsForReferral = try c.decodeIfPresent(Bool.self, forKey: .reasonableGroundsForReferral)
        referralMade = try c.decodeIfPresent(Bool.self, forKey: .referralMade)
        risksToChildren = try c.decodeIfPresent(Bool.self, forKey: .risksToChildren)
        childrenReferralMade = try c.decodeIfPresent(Bool.self, forKey: .childrenReferralMade)
        childrenReferralDate = try c.decodeIfPresent(CalendarDate.self, forKey: .childrenReferralDate)
        signedBy = try c.decodeIfPresent(String.self, forKey: .signedBy)
        signedDate = try c.decodeIfPresent(CalendarDate.self, forKey: .signedDate)
    }
}

extension Dash.Answer {
    /// The answers object read directly, or nil if any member is not what the synthesized
    /// decoding would accept without error (the caller then takes that path, errors and all).
    static func dictionary(_ value: JSONValue) -> [String: Dash.Answer]? {
        guard let object = value.object else { return nil }
        var answers: [String: Dash.Answer] = [:]
        answers.reserveCapacity(object.members.count)
        for (key, member) in object.members {
            guard let fields = member.object, let answer = fields["answer"]?.string.flatMap(Dash.Response.init(rawValue:)),
                  let comment = optionalString(fields["comment"]), let source = optionalString(fields["source"]) else { return nil }
            answers[key] = Dash.Answer(answer: answer, comment: comment, source: source)
        }
        return answers
    }

    /// `.some(nil)` for absent or null, `.some(text)` for a string, nil for anything else.
    private static func optionalString(_ value: JSONValue?) -> String?? {
        switch value {
        case nil, .null?: return .some(nil)
        case let .string(text)?: return .some(text)
        default: return nil
        }
    }
}
