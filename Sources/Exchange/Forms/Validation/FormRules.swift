/// The rules that span fields or need the Marac's context, run over the parsed tree
/// whatever its shape problems, so one pass reports every problem. Each reads values
/// tolerantly: a field of the wrong type is the shape check's problem, not these.
enum FormRules {
    // MARK: - Shared

    static func checkAgency(_ form: JSONObject, field: String, _ context: ValidationContext, _ out: inout [FormProblem]) {
        guard let agency = form[field]?.string, Shape.isLabel(agency), agency != context.agency else { return }
        out.append(.init(JSONPath.root.appending(field), .wrongAgency,
                         "names another agency than the \(context.agency) inbox it arrived in"))
    }

    /// A date that must not be after the date of receipt (one day's grace for clocks and
    /// time zones).
    static func checkNotFuture(_ value: JSONValue?, at path: JSONPath, what: String, _ context: ValidationContext,
                               _ out: inout [FormProblem]) {
        guard let text = value?.string, let date = CalendarDate(text), date > context.received.adding(days: 1) else { return }
        out.append(.init(path, .inTheFuture, "\(what) is in the future"))
    }

    static func checkDatesOfBirth(_ people: JSONValue?, at path: JSONPath, _ context: ValidationContext, _ out: inout [FormProblem]) {
        for (i, person) in (people?.array ?? []).enumerated() {
            checkNotFuture(person["dob"], at: path.appending(index: i).appending("dob"), what: "date of birth", context, &out)
        }
    }

    /// Every code in the array at `path` must be registered for disclosure. Reported on
    /// the array, naming the item.
    static func checkLegalBases(_ value: JSONValue?, at path: JSONPath, _ context: ValidationContext, _ out: inout [FormProblem]) {
        for (i, item) in (value?.array ?? []).enumerated() {
            guard let code = item.string, Shape.isLabel(code) else { continue }
            if context.legalBases.basis(code) == nil {
                out.append(.init(path, .unknownLegalBasis, "unknown legal basis code (item \(i + 1))"))
            } else if !context.legalBases.allows(code, for: .disclosure) {
                out.append(.init(path, .unknownLegalBasis, "legal basis \"\(code)\" does not justify sharing (item \(i + 1))"))
            }
        }
    }

    static func requiredWhen(_ object: JSONObject?, _ field: String, at path: JSONPath, because: String, _ out: inout [FormProblem]) {
        guard let object, object[field] == nil else { return }
        out.append(.init(path.appending(field), .requiredWhen, "required when \(because)"))
    }

    static func isTrue(_ value: JSONValue?) -> Bool { value?.bool == true }
    static func isFalse(_ value: JSONValue?) -> Bool { value?.bool == false }

    // MARK: - Referral

    static func referral(_ form: JSONObject, _ context: ValidationContext, _ out: inout [FormProblem]) {
        let root = JSONPath.root
        checkAgency(form, field: "referringAgency", context, &out)
        checkNotFuture(form["date"], at: root.appending("date"), what: "the referral date", context, &out)
        checkNotFuture(form["victim"]?["dob"], at: root.appending("victim").appending("dob"), what: "date of birth", context, &out)
        checkDatesOfBirth(form["perpetrators"], at: root.appending("perpetrators"), context, &out)
        checkDatesOfBirth(form["children"], at: root.appending("children"), context, &out)

        let reasons = form["reasons"]?.object
        if let reasons {
            let ticked = ["professionalJudgement", "visibleHighRisk", "potentialEscalation", "repeat"].filter { isTrue(reasons[$0]) }
            if ticked.isEmpty {
                out.append(.init(root.appending("reasons"), .noneOfAlternatives, "at least one reason for referral must be true"))
            }
            if isTrue(reasons["professionalJudgement"]) {
                requiredWhen(form, "professionalJudgementRationale", at: root, because: "reasons.professionalJudgement is true", &out)
            }
            if ticked != ["professionalJudgement"] {
                requiredWhen(form, "dash", at: root, because: "any reason other than professional judgement is given", &out)
            }
        }
        if isFalse(form["victimAwareOfReferral"]) {
            requiredWhen(form, "notAwareReason", at: root, because: "victimAwareOfReferral is false", &out)
        }
        if isFalse(form["consentGiven"]) {
            requiredWhen(form, "sharingWithoutConsent", at: root, because: "consentGiven is false", &out)
        }
        checkLegalBases(form["sharingWithoutConsent"]?["legalBases"],
                        at: root.appending("sharingWithoutConsent").appending("legalBases"), context, &out)
        checkNotFuture(form["dash"]?["signedDate"], at: root.appending("dash").appending("signedDate"),
                       what: "the checklist's date", context, &out)

        // The daemon's own count, never the referrer's claim.
        if isTrue(reasons?["visibleHighRisk"]), let answers = form["dash"]?["answers"]?.object {
            let yes = (1...24).filter { answers[String($0)]?["answer"]?.string == "yes" }.count
            if yes < context.thresholds.visibleHighRisk {
                out.append(.init(root.appending("reasons").appending("visibleHighRisk"), .inconsistent,
                                 "claimed, but the Dash has \(yes) \"yes\" answers and the threshold is \(context.thresholds.visibleHighRisk)"))
            }
        }
        if isTrue(reasons?["potentialEscalation"]), let incidents = form["policeIncidentsInPast12Months"]?.integer,
           incidents >= 0, incidents < context.thresholds.escalation {
            out.append(.init(root.appending("reasons").appending("potentialEscalation"), .inconsistent,
                             "claimed, but policeIncidentsInPast12Months is \(incidents) and the threshold is \(context.thresholds.escalation)"))
        }
    }

    // MARK: - Research

    static func research(_ form: JSONObject, _ context: ValidationContext, _ out: inout [FormProblem]) {
        let root = JSONPath.root
        checkAgency(form, field: "agency", context, &out)
        checkNotFuture(form["date"], at: root.appending("date"), what: "the research date", context, &out)
        checkNotFuture(form["victim"]?["dob"], at: root.appending("victim").appending("dob"), what: "date of birth", context, &out)
        for subject in ["victim", "children", "perpetrator"] {
            let check = form["accuracy"]?[subject]?.object
            if isFalse(check?["accurate"]) {
                requiredWhen(check, "corrections", at: root.appending("accuracy").appending(subject), because: "accurate is false", &out)
            }
        }
        if isFalse(form["noInformationHeld"]) {
            let given = Research.informationFields.contains { !(form[$0]?.string ?? "").isEmpty }
            if !given {
                out.append(.init(root.appending("noInformationHeld"), .noneOfAlternatives,
                                 "is false, but none of " + Research.informationFields.joined(separator: ", ") + " has content"))
            }
        }
    }

    // MARK: - Action update

    static func actionUpdate(_ form: JSONObject, _ context: ValidationContext, _ out: inout [FormProblem]) {
        checkAgency(form, field: "agency", context, &out)
        checkNotFuture(form["date"], at: JSONPath.root.appending("date"), what: "the update's date", context, &out)
    }

    // MARK: - Information sharing without consent

    static func iswc(_ form: JSONObject, _ context: ValidationContext, _ out: inout [FormProblem]) {
        let root = JSONPath.root
        checkAgency(form, field: "agency", context, &out)
        checkNotFuture(form["victim"]?["dob"], at: root.appending("victim").appending("dob"), what: "date of birth", context, &out)
        checkDatesOfBirth(form["children"], at: root.appending("children"), context, &out)
        if form["caseNumber"] == nil && form["referralReference"] == nil {
            out.append(.init(root.appending("caseNumber"), .noneOfAlternatives, "caseNumber or referralReference is required"))
        }

        let authorityPath = root.appending("legalAuthority")
        if let authority = form["legalAuthority"]?.object {
            let protocolObject = authority["protocol"]?.object
            if isTrue(protocolObject?["relevant"]) {
                requiredWhen(protocolObject, "detail", at: authorityPath.appending("protocol"), because: "relevant is true", &out)
            }
            let byProtocol = isTrue(protocolObject?["relevant"]) && !(protocolObject?["detail"]?.string ?? "").isEmpty
            let byBasis = !(authority["legalBases"]?.array ?? []).isEmpty
            if !byProtocol && !byBasis {
                out.append(.init(authorityPath, .noneOfAlternatives,
                                 "needs a relevant protocol with its detail, or at least one legal basis"))
            }
            checkLegalBases(authority["legalBases"], at: authorityPath.appending("legalBases"), context, &out)
        }
        if let balancing = form["balancing"]?.object, !ISWC.balancingFields.contains(where: { isTrue(balancing[$0]) }) {
            out.append(.init(root.appending("balancing"), .noneOfAlternatives, "at least one consideration must be true"))
        }
        if let notified = form["clientNotified"]?.object {
            if isTrue(notified["notified"]) {
                requiredWhen(notified, "date", at: root.appending("clientNotified"), because: "notified is true", &out)
            } else if isFalse(notified["notified"]) {
                requiredWhen(notified, "reason", at: root.appending("clientNotified"), because: "notified is false", &out)
            }
        }
        for (i, record) in (form["sharingRecord"]?.array ?? []).enumerated() {
            checkLegalBases(record["legalBases"], at: root.appending("sharingRecord").appending(index: i).appending("legalBases"), context, &out)
        }
        let signatures = root.appending("signatures")
        for signer in ["caseworker", "manager"] {
            checkNotFuture(form["signatures"]?[signer]?["date"], at: signatures.appending(signer).appending("date"),
                           what: "the signature date", context, &out)
        }
        // The review cannot precede the decision it reviews (the manager's signature).
        if let review = form["review"]?["date"]?.string.flatMap({ CalendarDate($0) }),
           let decided = form["signatures"]?["manager"]?["date"]?.string.flatMap({ CalendarDate($0) }), review < decided {
            out.append(.init(root.appending("review").appending("date"), .dateOrder,
                             "is before the manager's decision (signatures.manager.date)"))
        }
    }
}
