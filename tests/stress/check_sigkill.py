#!/usr/bin/env python3
"""tests/stress/sigkill.sh: after kill -9 the --interval report exists, is
complete JSON, validates against docs/report.schema.json and holds la_test's
5 unlocked calls.  Usage: check_sigkill.py CONSOLE_LOG"""
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, STRESS, validate  # noqa: E402

c = Checks("sigkill", path=sys.argv[1], **STRESS)
c.check(c.value("EXIT") == "137", f"lockaudit killed by SIGKILL (status {c.value('EXIT')})")
c.check(c.value("EXISTS") == "1", "/tmp/k.json exists after kill -9")
text = c.section("sigkill")
if text is not None:
    try:
        rep, err = json.loads(text), ""
    except ValueError as e:
        rep, err = None, f" ({e})"
    c.check(isinstance(rep, dict) and "totals" in rep, "complete JSON" + err)
    rep = rep if isinstance(rep, dict) and "totals" in rep else None
    if rep is not None:
        ok, out, err = validate(text)
        msg = (out + err).strip()
        c.check(ok, "validates against docs/report.schema.json" + ("" if ok else f": {msg[:500]}"))
        n = sum(s["count"] for d in rep["drivers"] if d["module"] == "la_test"
                for s in d["sites"] if s.get("function") == "la_call_unlocked")
        c.check(n == 5, f"la_test's 5 unlocked calls in the last periodic report ({n})")
c.done()
