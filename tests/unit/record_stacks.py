#!/usr/bin/env python3
"""Record classifier fixtures from real guests.

Reads the JSON reports that tests/e2e/run.sh left in its console logs
(build/e2e/console-ARCH-KERNEL.log, sections fentry and kprobe) and writes
tests/unit/data/stacks/ARCH-KERNEL.json: every distinct (entry point, stack)
with the classification lockaudit gave it in that guest. test_classify.c
replays them through la_attribute().

Recorded with:  make vm-test && /usr/bin/python3 tests/unit/record_stacks.py build/e2e
Review the diff before committing: the expectations are the point.
"""
import glob
import json
import os
import re
import sys

logdir = sys.argv[1] if len(sys.argv) > 1 else "build/e2e"
outdir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "stacks")
os.makedirs(outdir, exist_ok=True)
for path in sorted(glob.glob(os.path.join(logdir, "console-*.log"))):
    cell = os.path.basename(path)[len("console-"):-len(".log")]
    if cell.endswith("-boot") or cell.endswith("-sample"):
        continue
    text = open(path, errors="replace").read()
    seen, cases = set(), []
    for sec in ("fentry", "kprobe"):
        m = re.search(r"^@@BEGIN %s\n(.*?)^@@END %s$" % (sec, sec), text, re.S | re.M)
        if not m:
            continue
        rep = json.loads(m.group(1))
        sites = [s for g in rep["drivers"] for s in g["sites"]] + \
                [s for g in rep["core"] for s in g["sites"]] + rep["unclassified"] + rep["held"]
        for s in sites:
            key = (s["entry_point"], tuple(s["stack"]))
            if key in seen:
                continue
            seen.add(key)
            exp = {"group": s["group"]}
            if s["group"] == "driver":
                exp.update(module=s["module"], function=s["function"])
            elif s["group"] == "core":
                exp["core_path"] = s["core_path"]
            cases.append({"attach": sec, "entry_point": s["entry_point"],
                          "lock_state": s["lock_state"], "stack": s["stack"], "expect": exp})
    if not cases:
        continue
    out = os.path.join(outdir, cell + ".json")
    with open(out, "w") as f:
        json.dump({"cell": cell, "kernel": rep["kernel"], "recorded_with":
                   "make vm-test && /usr/bin/python3 tests/unit/record_stacks.py build/e2e",
                   "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(cases)} stacks")
