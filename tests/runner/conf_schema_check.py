#!/usr/bin/env python3
"""Checks docs/conf.schema.json with an independent validator (python3-jsonschema).

The schema must be a valid draft-07 schema (so editors can use it), the example
configs must match it, and for each config below the runner and the reference
validator must agree: both accept it, or both refuse it and the runner's one-line
error names a JSON path the reference validator also reports.

usage: conf_schema_check.py SCHEMA EXAMPLES_DIR RUNNER
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema

HEX = "ab" * 32
BASE = {"migrations": "migrations", "store": {"plugin": "sqlite", "options": {"database": "t.db"}}}


def with_(**changes):
    config = json.loads(json.dumps(BASE))
    config.update(changes)
    return config


CASES = [
    BASE,
    with_(params={"any": [1, {"x": None}]}, changelog_dir="logs", lock_timeout_ms=-1, step_timeout_ms=1,
          transaction="group", plugin_path=[], migrations=["migrations"]),
    with_(trust={"check_permissions": True, "bundles_only": False, "allowed_sha256": ["sha256:" + HEX, HEX.upper()],
                 "bundle_keys": [HEX]}),
    with_(**{"$schema": "conf.schema.json"}),
    {"store": BASE["store"]},
    {"migrations": "migrations"},
    with_(migrationz=1),
    with_(migrations=[]),
    with_(migrations=""),
    with_(migrations=["migrations", 3]),
    with_(migrations={"a": 1}),
    with_(store={"options": {}}),
    with_(store={"plugin": ""}),
    with_(store={"plugin": "sqlite", "option": {}}),
    with_(store={"plugin": "sqlite", "options": []}),
    with_(store="sqlite"),
    with_(plugin_path=[""]),
    with_(params=[]),
    with_(changelog_dir=""),
    with_(lock_timeout_ms=-2),
    with_(lock_timeout_ms="5"),
    with_(lock_timeout_ms=1.5),
    with_(step_timeout_ms=0),
    with_(transaction="all"),
    with_(trust=[]),
    with_(trust={"check_permission": False}),
    with_(trust={"allowed_sha256": ["a" * 63]}),
    with_(trust={"allowed_sha256": "a"}),
    with_(trust={"bundle_keys": ["sha256:" + HEX]}),
    with_(trust={"bundles_only": "yes"}),
    [],
]


def json_path(parts):
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def main():
    schema_file, examples, runner = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
    schema = json.loads(pathlib.Path(schema_file).read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    failures = []
    for example in sorted(pathlib.Path(examples).glob("*.json")):
        for error in validator.iter_errors(json.loads(example.read_text())):
            failures.append(f"{example}: {error.message}")
    with tempfile.TemporaryDirectory() as folder:
        os.mkdir(os.path.join(folder, "migrations"))
        conf = os.path.join(folder, "conf.json")
        for config in CASES:
            pathlib.Path(conf).write_text(json.dumps(config))
            expected = {json_path(error.absolute_path) for error in validator.iter_errors(config)}
            # An unknown or missing key is reported by the reference at the
            # object; the runner names the unknown key itself.
            for error in validator.iter_errors(config):
                if error.validator == "additionalProperties":
                    expected |= {json_path(list(error.absolute_path) + [key])
                                 for key in error.instance if key not in error.schema.get("properties", {})}
            run = subprocess.run([runner, "-c", conf, "status"], capture_output=True, text=True, cwd=folder)
            line = run.stderr.strip()
            if not expected:
                if run.returncode != 0:
                    failures.append(f"{json.dumps(config)}: the reference accepts it, the runner says: {line}")
                continue
            if run.returncode != 3:
                failures.append(f"{json.dumps(config)}: the reference refuses it at {sorted(expected)}, "
                                f"the runner exits {run.returncode}: {line}")
                continue
            # "link-migration: error: <conf>: <path>: <what>"
            after = line.partition(conf + ": ")[2]
            named = after.split(": ")[0] if after else ""
            if named not in expected:
                failures.append(f"{json.dumps(config)}: the runner names {named!r} ({line}); "
                                f"the reference {sorted(expected)}")
    for failure in failures:
        print(failure)
    print(f"{len(CASES)} configs compared, {len(failures)} disagreements")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
