"""Shared helpers of the tests/stress checkers (console-log sections, checks,
report site iteration).  Exact assertions, like tests/e2e/check.py."""
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checker:
    def __init__(self, name, log_path):
        self.name = name
        self.text = open(log_path, errors="replace").read()
        self.passed = self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
            print(f"  ok   {self.name}: {what}")
        else:
            self.failed += 1
            print(f"  FAIL {self.name}: {what}")
        return cond

    def note(self, what):
        print(f"  --   {self.name}: {what}")

    def section(self, name, required=True):
        m = re.search(r"^@@BEGIN %s\n(.*?)^@@END %s$" % (re.escape(name), re.escape(name)),
                      self.text, re.S | re.M)
        if not m:
            if required:
                self.check(False, f"section {name} in the console log")
            return None
        return m.group(1)

    def json_section(self, name):
        s = self.section(name)
        if s is None:
            return None
        try:
            return json.loads(s)
        except ValueError as e:
            self.check(False, f"section {name} is valid JSON ({e})")
            return None

    def value(self, key):
        """'@@KEY value' lines: the last one, or None."""
        v = re.findall(r"^@@%s (.*)$" % re.escape(key), self.text, re.M)
        return v[-1].strip() if v else None

    def finish(self):
        print(f"{self.name}: {self.passed} checks passed, {self.failed} failed")
        sys.exit(1 if self.failed or not self.passed else 0)


def validate(doc_text, schema="report.schema.json"):
    """(ok, message) from tests/unit/validate.py."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(doc_text)
        path = f.name
    try:
        p = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests/unit/validate.py"),
                            os.path.join(TOP, "docs", schema), path],
                           capture_output=True, text=True)
        return p.returncode == 0, (p.stdout + p.stderr).strip()
    finally:
        os.unlink(path)


def all_sites(rep):
    """(group name, site) for every site of the report (drivers, core,
    unclassified, held)."""
    for d in rep.get("drivers", []):
        for s in d["sites"]:
            yield "driver:" + d["module"], s
    for c in rep.get("core", []):
        for s in c["sites"]:
            yield "core:" + c["path"], s
    for s in rep.get("unclassified", []):
        yield "unclassified", s
    for s in rep.get("held", []):
        yield "held", s


def frames(site):
    """function names of the stack, without +off and [module]"""
    return [re.split(r"[+ ]", f, 1)[0] for f in site.get("stack", [])]


def describe(site):
    devs = ",".join(f"{d['name']}({d['driver']})" for d in site.get("devices", []))
    return (f"{site['entry_point']} {site['lock_state']} x{site['count']} "
            f"group={site['group']} devs={devs} "
            f"stack={'<'.join(frames(site)[:6])}")
