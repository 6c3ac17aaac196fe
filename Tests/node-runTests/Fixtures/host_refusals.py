"""Feeds the printed host module result tensors that name planted files: each must raise
IsolatedNodeError (bad-output) before anything is read or removed. argv: the directory holding
comfy_pipes_host.py, a JSON file of [{"id", "tmpdir", "record"}]. Prints "ok" at the end."""

import json
import os
import sys

sys.path.insert(0, sys.argv[1])
import comfy_pipes_host as host  # noqa: E402

with open(sys.argv[2]) as f:
    cases = json.load(f)
failures = []
for case in cases:
    os.environ["TMPDIR"] = case["tmpdir"]
    try:
        value = host._from_wire({"outputs": [case["record"]]}, False)
        failures.append("%s: accepted, read %r" % (case["id"], bytes(value["outputs"][0])))
    except host.IsolatedNodeError as error:
        if error.code != "bad-output":
            failures.append("%s: code %s" % (case["id"], error.code))
for failure in failures:
    print(failure)
print("failed" if failures else "ok")
