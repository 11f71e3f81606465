#!/usr/bin/env python3
"""Check Marac form files against the published JSON Schemas (config/schemas/), as an
agency's system can before it sends them.

    scripts/check-forms-with-schema.py FILE...         one line per file: accept | reject | unparseable
    scripts/check-forms-with-schema.py --dir DIR        every *.json in DIR, one line each: NAME<TAB>VERDICT
    scripts/check-forms-with-schema.py --schemas SCHEMADIR ...
                                                        against a deployment's schemas (the outbox's
                                                        schemas/, or `maracctl schema export`), which
                                                        also know its legal basis codes

Exit status 0 when every file is accepted, 1 otherwise. The daemon checks more than a
schema can (calendar dates, dates in the future, the submitting agency, legal basis codes
against the registry, the Dash count against local thresholds, date order, case numbers),
so a file the schema accepts can still be rejected: the rejection report says why.
Needs the `jsonschema` package (Debian: python3-jsonschema).
"""
import json
import os
import sys

import jsonschema

SCHEMAS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "config", "schemas")


def load_validators(directory=SCHEMAS):
    validators = {}
    for kind in ("referral", "research", "iswc", "action-update"):
        with open(os.path.join(directory, kind + ".schema.json"), encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft202012Validator.check_schema(schema)
        validators[kind] = jsonschema.Draft202012Validator(schema)
    return validators


def reject_constant(name):
    raise ValueError("not JSON: " + name)


def verdict(validators, data):
    try:
        document = json.loads(data.decode("utf-8"), parse_constant=reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return "unparseable"
    if not isinstance(document, dict):
        return "reject"
    validator = validators.get(document.get("form")) if isinstance(document.get("form"), str) else None
    if validator is None:
        return "reject"
    try:
        return "accept" if validator.is_valid(document) else "reject"
    except RecursionError:
        return "reject"


def main(argv):
    # --schemas DIR first: a deployment's schemas (its outbox's schemas/, or
    # `maracctl schema export`), which know its legal basis codes.
    directory = SCHEMAS
    if len(argv) > 2 and argv[1] == "--schemas":
        directory = argv[2]
        argv = argv[:1] + argv[3:]
    validators = load_validators(directory)
    if len(argv) == 3 and argv[1] == "--dir":
        names = sorted(n for n in os.listdir(argv[2]) if n.endswith(".json"))
        paths = [(n, os.path.join(argv[2], n)) for n in names]
    elif len(argv) > 1:
        paths = [(p, p) for p in argv[1:]]
    else:
        print(__doc__, file=sys.stderr)
        return 64
    accepted = True
    for name, path in paths:
        with open(path, "rb") as f:
            result = verdict(validators, f.read())
        accepted = accepted and result == "accept"
        print(name + "\t" + result)
    return 0 if accepted else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
