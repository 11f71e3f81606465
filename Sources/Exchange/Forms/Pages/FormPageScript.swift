// The form page's script (docs/forms.md, "Forms agencies fill in"): it renders the
// deployment's JSON Schema as fields, checks what is entered as the daemon does (the same
// JSON paths: the shapes of `Shape.check` and the rules of `FormRules`, ported), counts
// the Dash, and saves the JSON under a random name. It loads nothing, stores nothing in
// the browser and sends nothing anywhere; the page's content security policy allows this
// script alone, by its hash.

extension FormPage {
    static let script = #"""
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const schema = config.schema;
  const formEl = document.getElementById("form");
  const problemList = document.getElementById("problems");
  const saveButton = document.getElementById("save");
  const preview = document.getElementById("json");

  // ---- Paths, as the daemon writes them (JSONPath.description) ----
  function key(path, name) {
    const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
    return path + (identifier ? "." + name : "[\"" + name + "\"]");
  }
  function index(path, i) { return path + "[" + i + "]"; }

  function resolve(s) {
    let def = null;
    while (s && s.$ref) { def = s.$ref.split("/").pop(); s = schema.$defs[def]; }
    return { s: s || {}, def: def };
  }
  function human(name) {
    if (/^[0-9]+$/.test(name)) return "Question " + name;
    const words = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]/g, " ").toLowerCase();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }
  function el(tag, attributes, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  let serial = 0;
  function labelled(path, title, control, required) {
    const id = "f" + (++serial);
    control.id = id;
    control.setAttribute("data-path", path);
    const row = el("div", { class: "field" });
    const label = el("label", { for: id }, title + (required ? " *" : ""));
    row.append(label, control, el("span", { class: "problem", "data-for": path }));
    return row;
  }

  // ---- Rendering: each node knows how to give its value (undefined: left empty) ----
  function render(raw, path, name, required, parent) {
    const { s, def } = resolve(raw);
    if (def === "extensions") return null;
    if ("const" in s) return { get: () => s.const };  // form, formVersion: set, not asked
    if ((name === "agency" || name === "referringAgency") && path.split(".").length === 2 && config.agency) {
      parent.append(labelled(path, human(name), el("input", { type: "text", value: config.agency, readonly: "readonly" }), true));
      return { get: () => config.agency };
    }
    if (s.enum) {
      const select = el("select");
      select.append(el("option", { value: "" }, "(not given)"));
      for (const option of s.enum) select.append(el("option", { value: option }, option.replace(/_/g, " ")));
      parent.append(labelled(path, title(name), select, required));
      return { get: () => select.value === "" ? undefined : select.value };
    }
    switch (s.type) {
    case "boolean": {
      const select = el("select");
      select.append(el("option", { value: "" }, "(not answered)"), el("option", { value: "true" }, "yes"), el("option", { value: "false" }, "no"));
      parent.append(labelled(path, title(name), select, required));
      return { get: () => select.value === "" ? undefined : select.value === "true" };
    }
    case "integer": {
      const input = el("input", { type: "text", inputmode: "numeric" });
      parent.append(labelled(path, title(name), input, required));
      return { get: () => input.value === "" ? undefined : (/^-?[0-9]+$/.test(input.value) ? Number(input.value) : input.value) };
    }
    case "string": {
      const long = (s.maxLength || 0) > 1000;
      const hint = { date: "YYYY-MM-DD", caseNumber: "M-2026-0001", actionId: "M-2026-0001-A1", documentId: "doc_ and 32 hex digits" }[def];
      const input = long ? el("textarea", { rows: "3" }) : el("input", { type: "text" });
      if (hint) input.setAttribute("placeholder", hint);
      parent.append(labelled(path, title(name), input, required));
      return { get: () => input.value === "" ? undefined : input.value };
    }
    case "array": return renderArray(s, path, name, required, parent);
    case "object": return renderObject(s, path, name, required, parent);
    default: return null;
    }
  }
  function title(name) {
    const match = /^[0-9]+$/.test(name) && config.dashQuestions ? config.dashQuestions[Number(name) - 1] : null;
    return match ? name + ". " + match : human(name);
  }

  // An object gives its value when something in it was given, or when `force`d (the form
  // itself, or a list's item); then its required lists are given, empty if need be. Leaves
  // and objects left empty give undefined, so what is missing is named where it is.
  function renderObject(s, path, name, required, parent, inline) {
    const box = inline ? parent : el("fieldset", { "data-path": path });
    if (!inline) {
      box.append(el("legend", {}, title(name) + (required ? " *" : "")), el("span", { class: "problem", "data-for": path }));
      parent.append(box);
    }
    const requiredNames = s.required || [];
    const children = [];
    for (const [child, childSchema] of Object.entries(s.properties || {})) {
      const node = render(childSchema, key(path, child), child, requiredNames.includes(child), box);
      if (node) children.push([child, node, "const" in resolve(childSchema).s]);
    }
    return {
      get: (force) => {
        const value = {};
        let given = false;
        for (const [child, node, constant] of children) {
          const v = node.get(false);
          if (v === undefined) continue;
          value[child] = v;
          if (!constant) given = true;
        }
        if (!given && !force) return undefined;
        // A required list left empty is an empty list (a referral with no children says
        // so); a required object left empty is missing, as the daemon names it.
        for (const [child, node] of children) {
          if (value[child] === undefined && requiredNames.includes(child) && node.list) {
            const v = node.get(true);
            if (v !== undefined) value[child] = v;
          }
        }
        return value;
      },
    };
  }

  function renderArray(s, path, name, required, parent) {
    const item = resolve(s.items || {});
    const box = el("fieldset", { "data-path": path });
    box.append(el("legend", {}, title(name) + (required ? " *" : "")), el("span", { class: "problem", "data-for": path }));
    parent.append(box);
    if (item.s.enum) {  // a set of codes: a box each
      const boxes = [];
      for (const option of item.s.enum) {
        const basis = (config.bases || []).find((b) => b.code === option);
        if (basis && !basis.disclosure) continue;  // a code that cannot justify sharing is not offered
        const check = el("input", { type: "checkbox", value: option, "data-path": path });
        const label = el("label", { class: "choice" });
        label.append(check, document.createTextNode(" " + option + (basis ? ": " + basis.basis : "")));
        box.append(label);
        boxes.push(check);
      }
      return { list: true, get: (force) => { const v = boxes.filter((b) => b.checked).map((b) => b.value); return v.length || force ? v : undefined; } };
    }
    if (item.s.type === "string") {  // free strings: one a line
      const area = el("textarea", { rows: "2", "data-path": path, placeholder: "one a line" });
      box.append(area);
      return { list: true, get: (force) => { const v = area.value.split("\n").filter((line) => line !== ""); return v.length || force ? v : undefined; } };
    }
    // Items are added at the end and removed from the end, so a field's path never shifts.
    const items = [];
    const list = el("div", { class: "items" });
    const noun = human(name).toLowerCase().replace(/ies$/, "y").replace(/ren$/, "").replace(/s$/, "");
    const add = el("button", { type: "button", "data-add": path }, "Add " + noun);
    const remove = el("button", { type: "button", "data-remove": path }, "Remove the last");
    box.append(list, add, remove);
    add.addEventListener("click", () => {
      const i = items.length;
      const holder = el("fieldset", { class: "item", "data-path": index(path, i) });
      holder.append(el("legend", {}, human(name) + ": " + (i + 1)), el("span", { class: "problem", "data-for": index(path, i) }));
      list.append(holder);
      const node = item.s.type === "object" ? renderObject(item.s, index(path, i), "", true, holder, true)
                                            : render(s.items, index(path, i), String(i + 1), true, holder);
      items.push({ node: node, holder: holder });
      update();
    });
    remove.addEventListener("click", () => {
      const last = items.pop();
      if (last) { last.holder.remove(); update(); }
    });
    return { list: true, get: (force) => { const v = items.map((i) => i.node.get(true)); return v.length || force ? v : undefined; } };
  }

  // ---- Checking: the daemon's shapes (Shape.check) ----
  const blank = /^[\t\n\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/;
  function problem(path, message) { return { path: path, message: message }; }
  function isCalendarDate(text) {
    const [y, m, d] = text.split("-").map(Number);
    const days = [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    return m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1];
  }
  function checkShape(v, raw, path, out) {
    const { s, def } = resolve(raw);
    if (def === "extensions") { if (typeof v !== "object" || v === null || Array.isArray(v)) out.push(problem(path, "must be an object")); return; }
    if ("const" in s) {
      if (v !== s.const) out.push(problem(path, typeof s.const === "number" ? "must be " + s.const : "must be \"" + s.const + "\""));
      return;
    }
    if (s.enum) {
      if (typeof v !== "string") out.push(problem(path, "must be a string"));
      else if (!s.enum.includes(v) && def !== "label") out.push(problem(path, "must be one of: " + s.enum.join(", ")));
      return;
    }
    switch (s.type) {
    case "boolean": if (typeof v !== "boolean") out.push(problem(path, "must be true or false")); return;
    case "integer":
      if (!Number.isInteger(v)) { out.push(problem(path, "must be an integer")); return; }
      if ((s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum)) {
        out.push(problem(path, "must be from " + s.minimum + " to " + s.maximum));
      }
      return;
    case "string": {
      if (typeof v !== "string") { out.push(problem(path, "must be a string")); return; }
      const formats = {
        label: [/^[a-z0-9-]{1,64}$/, "must be an id of 1 to 64 lower-case letters, digits and hyphens"],
        caseNumber: [new RegExp(s.pattern || "^$"), "must be a case number such as M-2026-0001"],
        actionId: [new RegExp(s.pattern || "^$"), "must be an action id such as M-2026-0001-A1"],
        documentId: [/^doc_[0-9a-f]{32}$/, "must be a document id such as doc_0123456789abcdef0123456789abcdef"],
        date: [/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/, "must be a date YYYY-MM-DD"],
      };
      if (formats[def]) {
        if (!formats[def][0].test(v)) out.push(problem(path, formats[def][1]));
        else if (def === "date" && !isCalendarDate(v)) out.push(problem(path, "is not a calendar date"));
        return;
      }
      if ((s.minLength || 0) >= 1 && blank.test(v)) out.push(problem(path, "must not be empty or only white space"));
      if (s.maxLength !== undefined && Array.from(v).length > s.maxLength) out.push(problem(path, "is longer than " + s.maxLength + " characters"));
      if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(v)) out.push(problem(path, "contains a control character"));
      return;
    }
    case "array":
      if (!Array.isArray(v)) { out.push(problem(path, "must be an array")); return; }
      if (s.minItems && v.length < s.minItems) out.push(problem(path, "must have at least " + s.minItems + " item" + (s.minItems === 1 ? "" : "s")));
      v.forEach((item, i) => checkShape(item, s.items || {}, index(path, i), out));
      if (s.uniqueItems) {
        const seen = new Set();
        v.forEach((item, i) => { if (typeof item === "string") { if (seen.has(item)) out.push(problem(index(path, i), "repeats an earlier item")); seen.add(item); } });
      }
      return;
    case "object": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) { out.push(problem(path, "must be an object")); return; }
      for (const [child, childValue] of Object.entries(v)) {
        if (s.properties && s.properties[child]) checkShape(childValue, s.properties[child], key(path, child), out);
      }
      const numbered = (s.required || []).length > 0 && (s.required || []).every((r) => /^[0-9]+$/.test(r));
      for (const r of s.required || []) {
        if (v[r] !== undefined) continue;
        if (numbered) out.push(problem(path, "question " + r + " is not answered (all " + s.required.length + " are required)"));
        else out.push(problem(key(path, r), "required field is missing"));
      }
      return;
    }
    }
  }

  // ---- Checking: the rules that span fields (FormRules) ----
  function today() { const d = new Date(); return new Date(Date.UTC(d.getFullYear(), d.getMonth(), d.getDate())); }
  function isTrue(v) { return v === true; }
  function isFalse(v) { return v === false; }
  function notFuture(v, path, what, out) {
    if (typeof v !== "string" || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(v) || !isCalendarDate(v)) return;
    const grace = new Date(today().getTime() + 86400000);
    if (new Date(v + "T00:00:00Z") > grace) out.push(problem(path, what + " is in the future"));
  }
  function datesOfBirth(people, path, out) {
    (Array.isArray(people) ? people : []).forEach((p, i) => notFuture(p && p.dob, key(index(path, i), "dob"), "date of birth", out));
  }
  function requiredWhen(object, field, path, because, out) {
    if (object && typeof object === "object" && object[field] === undefined) out.push(problem(key(path, field), "required when " + because));
  }
  function legalBases(value, path, out) {
    (Array.isArray(value) ? value : []).forEach((code, i) => {
      const basis = (config.bases || []).find((b) => b.code === code);
      if (!basis) out.push(problem(path, "unknown legal basis code (item " + (i + 1) + ")"));
      else if (!basis.disclosure) out.push(problem(path, "legal basis \"" + code + "\" does not justify sharing (item " + (i + 1) + ")"));
    });
  }
  function get(v, ...keys) { for (const k of keys) { if (v === undefined || v === null || typeof v !== "object") return undefined; v = v[k]; } return v; }
  const rules = {
    "referral": (f, out) => {
      notFuture(f.date, "$.date", "the referral date", out);
      notFuture(get(f, "victim", "dob"), "$.victim.dob", "date of birth", out);
      datesOfBirth(f.perpetrators, "$.perpetrators", out);
      datesOfBirth(f.children, "$.children", out);
      const reasons = f.reasons;
      if (reasons && typeof reasons === "object") {
        const ticked = ["professionalJudgement", "visibleHighRisk", "potentialEscalation", "repeat"].filter((r) => isTrue(reasons[r]));
        if (ticked.length === 0) out.push(problem("$.reasons", "at least one reason for referral must be true"));
        if (isTrue(reasons.professionalJudgement)) requiredWhen(f, "professionalJudgementRationale", "$", "reasons.professionalJudgement is true", out);
        if (!(ticked.length === 1 && ticked[0] === "professionalJudgement")) requiredWhen(f, "dash", "$", "any reason other than professional judgement is given", out);
      }
      if (isFalse(f.victimAwareOfReferral)) requiredWhen(f, "notAwareReason", "$", "victimAwareOfReferral is false", out);
      if (isFalse(f.consentGiven)) requiredWhen(f, "sharingWithoutConsent", "$", "consentGiven is false", out);
      legalBases(get(f, "sharingWithoutConsent", "legalBases"), "$.sharingWithoutConsent.legalBases", out);
      notFuture(get(f, "dash", "signedDate"), "$.dash.signedDate", "the checklist's date", out);
      const answers = get(f, "dash", "answers");
      if (isTrue(get(reasons, "visibleHighRisk")) && answers && typeof answers === "object") {
        const yes = dashYes(answers);
        if (yes < config.thresholds.visibleHighRisk) {
          out.push(problem("$.reasons.visibleHighRisk", "claimed, but the Dash has " + yes + " \"yes\" answers and the threshold is " + config.thresholds.visibleHighRisk));
        }
      }
      const incidents = f.policeIncidentsInPast12Months;
      if (isTrue(get(reasons, "potentialEscalation")) && Number.isInteger(incidents) && incidents >= 0 && incidents < config.thresholds.escalation) {
        out.push(problem("$.reasons.potentialEscalation", "claimed, but policeIncidentsInPast12Months is " + incidents + " and the threshold is " + config.thresholds.escalation));
      }
    },
    "research": (f, out) => {
      notFuture(f.date, "$.date", "the research date", out);
      notFuture(get(f, "victim", "dob"), "$.victim.dob", "date of birth", out);
      for (const subject of ["victim", "children", "perpetrator"]) {
        const check = get(f, "accuracy", subject);
        if (check && typeof check === "object" && isFalse(check.accurate)) requiredWhen(check, "corrections", "$.accuracy." + subject, "accurate is false", out);
      }
      const fields = ["lastContact", "recentBehaviour", "riskIndicatorInformation", "otherInformation"];
      if (isFalse(f.noInformationHeld) && !fields.some((x) => typeof f[x] === "string" && f[x] !== "")) {
        out.push(problem("$.noInformationHeld", "is false, but none of " + fields.join(", ") + " has content"));
      }
    },
    "action-update": (f, out) => { notFuture(f.date, "$.date", "the update's date", out); },
    "iswc": (f, out) => {
      notFuture(get(f, "victim", "dob"), "$.victim.dob", "date of birth", out);
      datesOfBirth(f.children, "$.children", out);
      if (f.caseNumber === undefined && f.referralReference === undefined) out.push(problem("$.caseNumber", "caseNumber or referralReference is required"));
      const authority = f.legalAuthority;
      if (authority && typeof authority === "object" && !Array.isArray(authority)) {
        const protocol = authority.protocol;
        if (isTrue(get(protocol, "relevant"))) requiredWhen(protocol, "detail", "$.legalAuthority.protocol", "relevant is true", out);
        const byProtocol = isTrue(get(protocol, "relevant")) && typeof get(protocol, "detail") === "string" && protocol.detail !== "";
        const byBasis = Array.isArray(authority.legalBases) && authority.legalBases.length > 0;
        if (!byProtocol && !byBasis) out.push(problem("$.legalAuthority", "needs a relevant protocol with its detail, or at least one legal basis"));
        legalBases(authority.legalBases, "$.legalAuthority.legalBases", out);
      }
      const balancing = f.balancing;
      const considerations = ["pressingNeed", "riskOfNotDisclosing", "respectiveRisks", "recipientInterest", "publicInterest", "humanRights", "dutyOfConfidentiality", "other"];
      if (balancing && typeof balancing === "object" && !considerations.some((c) => isTrue(balancing[c]))) {
        out.push(problem("$.balancing", "at least one consideration must be true"));
      }
      const notified = f.clientNotified;
      if (notified && typeof notified === "object") {
        if (isTrue(notified.notified)) requiredWhen(notified, "date", "$.clientNotified", "notified is true", out);
        else if (isFalse(notified.notified)) requiredWhen(notified, "reason", "$.clientNotified", "notified is false", out);
      }
      (Array.isArray(f.sharingRecord) ? f.sharingRecord : []).forEach((r, i) => legalBases(get(r, "legalBases"), "$.sharingRecord[" + i + "].legalBases", out));
      for (const signer of ["caseworker", "manager"]) notFuture(get(f, "signatures", signer, "date"), "$.signatures." + signer + ".date", "the signature date", out);
      const review = get(f, "review", "date"), decided = get(f, "signatures", "manager", "date");
      if (typeof review === "string" && typeof decided === "string" && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(review) && /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(decided)
          && isCalendarDate(review) && isCalendarDate(decided) && review < decided) {
        out.push(problem("$.review.date", "is before the manager's decision (signatures.manager.date)"));
      }
    },
  };
  function dashYes(answers) {
    let yes = 0;
    for (let n = 1; n <= 24; n++) if (get(answers, String(n), "answer") === "yes") yes++;
    return yes;
  }

  // ---- The page: every problem by field, as the form is filled; save when there are none ----
  const root = renderObject(schema, "$", "", true, formEl, true);
  let current = null;
  function update() {
    const value = root.get(true);
    const out = [];
    checkShape(value, schema, "$", out);
    rules[config.kind](value, out);
    current = out.length === 0 ? value : null;
    document.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    document.querySelectorAll("span.problem").forEach((e) => { e.textContent = ""; });
    problemList.replaceChildren(...out.map((p) => {
      const item = el("li", { "data-problem-path": p.path }, p.path + ": " + p.message);
      const field = document.querySelector("[data-path='" + p.path.replace(/'/g, "\\'") + "']");
      if (field) field.setAttribute("aria-invalid", "true");
      const note = document.querySelector("span.problem[data-for='" + p.path.replace(/'/g, "\\'") + "']");
      if (note) note.textContent = (note.textContent ? note.textContent + "; " : "") + p.message;
      return item;
    }));
    document.getElementById("status").textContent = out.length === 0
      ? "No problems: the form is ready to save."
      : out.length + " problem" + (out.length === 1 ? "" : "s") + " to fix before it can be saved.";
    saveButton.disabled = out.length !== 0;
    preview.textContent = JSON.stringify(value, null, 2);
    const dash = document.getElementById("dash-count");
    if (dash) {
      const answers = get(value, "dash", "answers");
      const yes = answers ? dashYes(answers) : 0;
      dash.textContent = "Dash: " + yes + " \"yes\" answer" + (yes === 1 ? "" : "s") + " of 24; visible high risk is "
        + config.thresholds.visibleHighRisk + " or more" + (yes >= config.thresholds.visibleHighRisk ? " (reached)." : " (not reached).");
    }
  }
  formEl.addEventListener("submit", (event) => event.preventDefault());  // nothing is ever sent
  formEl.addEventListener("input", update);
  formEl.addEventListener("change", update);
  saveButton.addEventListener("click", () => {
    if (current === null) return;
    // A random name, never the person's: the file travels by SFTP and sits in folders.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    const name = config.kind + "-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") + ".json";
    const url = URL.createObjectURL(new Blob([JSON.stringify(current, null, 2) + "\n"], { type: "application/json" }));
    const link = el("a", { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
    document.getElementById("saved").textContent = "Saved as " + name + ": put it in your agency's inbox (SFTP).";
  });
  update();
})();
"""#
}
