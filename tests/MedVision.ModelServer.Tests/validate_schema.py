"""Independent oracle for contracts/inference.schema.json: Debian's python3-jsonschema (Draft 2020-12).

usage: validate_schema.py SCHEMA check-schema
           checks the schema against the 2020-12 metaschema; prints "ok" or the errors, exit 0 / 1
       validate_schema.py SCHEMA validate < [{"def": "ModelResponse", "doc": {...}}, ...]
           validates each document against #/$defs/<def> (or the whole schema when def is null) and prints a
           JSON array with one list of error messages per document (empty = valid). Batched: one python start for
           many documents.
"""
import json
import sys

import jsonschema
from jsonschema import Draft202012Validator


def main():
    schema_path, mode = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    if mode == "check-schema":
        errors = [e.message for e in Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)]
        print(json.dumps({"ok": not errors, "errors": errors, "jsonschema": jsonschema_version()}))
        return 0 if not errors else 1
    items = json.load(sys.stdin)
    validators = {}
    results = []
    for item in items:
        name = item.get("def")
        if name not in validators:
            root = dict(schema)
            if name is not None:
                # Same $id and $defs, so every "#/$defs/..." reference inside resolves exactly as in the file.
                root.pop("anyOf", None)
                root["$ref"] = "#/$defs/" + name
            validators[name] = Draft202012Validator(root)
        errors = sorted(validators[name].iter_errors(item["doc"]), key=lambda e: list(e.absolute_path))
        results.append([shorten(f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}") for e in errors])
    json.dump(results, sys.stdout)
    return 0


def shorten(message):
    # Messages quote the failing instance, which can be a whole image; keep the start (path) and the end (the rule).
    return message if len(message) <= 300 else message[:140] + " ... " + message[-140:]


def jsonschema_version():
    try:
        from importlib.metadata import version
        return version("jsonschema")
    except Exception:  # noqa: BLE001 - the version is informational only
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
