"""Shared by the e2e checkers: one assertion counter, console-log sections,
schema validation (Debian's python3-jsonschema through tests/unit/validate.py)."""
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checks:
    def __init__(self, label, text):
        self.label, self.text = label, text
        self.passed = self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
        print(f"  {'ok  ' if cond else 'FAIL'} {self.label}: {what}")

    def section(self, name):
        """The text a guest printed between @@BEGIN name and @@END name."""
        m = re.search(r"^@@BEGIN %s\n(.*?)^@@END %s$" % (name, name), self.text, re.S | re.M)
        if not m:
            raise SystemExit(f"{self.label}: section {name} missing from the console log")
        return m.group(1)

    def exits(self, name, code):
        self.check(re.search(rf"^{name} exit {code}$", self.text, re.M) is not None,
                   f"{name} exits {code}")

    def validate(self, doc, schema="report.schema.json", what="report"):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(doc, f)
            f.flush()
            r = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests/unit/validate.py"),
                                os.path.join(TOP, "docs", schema), f.name],
                               text=True, capture_output=True)
        self.check(r.returncode == 0, f"{what} validates against {schema} {r.stderr.strip()}")

    def done(self, title=""):
        print(f"{self.label}{title}: {self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
