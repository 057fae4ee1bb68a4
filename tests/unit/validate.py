#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""validate.py SCHEMA JSON... - validate JSON files against a JSON Schema.

Exits 0 if every file is valid; otherwise prints each error (file, path in
the document, message) to stderr and exits 1. Exit 2: usage, unreadable or
non-JSON input, or an invalid schema. Works with python3-jsonschema 4.x
(Debian 12) and later; the schema's "$schema" picks the draft.
"""
import json
import sys

try:
    import jsonschema
    from jsonschema.validators import validator_for
except ImportError:
    print("validate.py: python3-jsonschema is not installed", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print(f"validate.py: {path}: {e}", file=sys.stderr)
        sys.exit(2)


def where(err):
    return "/" + "/".join(str(p) for p in err.absolute_path)


def main(argv):
    if len(argv) < 3:
        print("usage: validate.py SCHEMA.json FILE.json...", file=sys.stderr)
        return 2
    schema = load(argv[1])
    cls = validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"validate.py: {argv[1]}: invalid schema: {e.message}",
              file=sys.stderr)
        return 2
    validator = cls(schema)
    bad = 0
    for path in argv[2:]:
        doc = load(path)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors:
            print(f"{path}: {where(e)}: {e.message}", file=sys.stderr)
        bad += bool(errors)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
