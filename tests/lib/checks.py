# SPDX-License-Identifier: GPL-2.0
"""checks.py - what the guest-log checkers share (tests/e2e/check*.py,
tests/stress/check_*.py, tests/boot/check.py): one assertion counter with
its "ok"/"FAIL" lines and summary, the console log and its @@BEGIN/@@END
sections and @@KEY lines, schema validation through tests/unit/validate.py
(Debian's python3-jsonschema), and walking a report's sites.

The checkers differ in a few conventions, kept per caller by the Checks
constructor: whether lines carry a label, how a section ends, what a
missing section does, the summary's wording and whether no check passed
fails the run. A checker imports it with:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
"""
import json
import os
import re
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Checks:
    """Counts checks over one console log (text, or read from path).

    label: put before each line and the summary ("  ok   LABEL: what"); None:
      no label (tests/boot).
    missing: what section() does when the section is not in the log:
      "exit" stops the checker (SystemExit naming it, status 1: tests/e2e),
      "fail" counts a failed check and returns None (tests/stress),
      "none" returns None (tests/boot).
    end_named: sections end with "@@END NAME" (else a bare "@@END": boot).
    checks_word: the summary says "N checks passed" (else "N passed").
    need_pass: done() fails when no check passed at all (tests/stress).
    """

    def __init__(self, label=None, text=None, path=None, missing="exit", end_named=True,
                 checks_word=False, need_pass=False):
        self.label = label
        self.text = text if path is None else self.read(path)
        self.missing, self.end_named = missing, end_named
        self.checks_word, self.need_pass = checks_word, need_pass
        self.passed = self.failed = 0

    @staticmethod
    def read(path):
        """A console log, undecodable bytes replaced."""
        return open(path, errors="replace").read()

    def _line(self, mark, what):
        print(f"  {mark} {self.label}: {what}" if self.label is not None else f"  {mark} {what}")

    def check(self, cond, what, detail=""):
        """One assertion; detail is printed under a failure."""
        if cond:
            self.passed += 1
        else:
            self.failed += 1
        self._line("ok  " if cond else "FAIL", what + (f"\n       {detail}" if detail and not cond else ""))
        return cond

    def note(self, what):
        """Information, not a check."""
        self._line("--  ", what)

    def section(self, name, required=True):
        """The text a guest printed between @@BEGIN name and its @@END."""
        end = "@@END %s" % re.escape(name) if self.end_named else "@@END"
        m = re.search(r"^@@BEGIN %s\n(.*?)^%s$" % (re.escape(name), end), self.text, re.S | re.M)
        if m:
            return m.group(1)
        if self.missing == "exit":
            raise SystemExit(f"{self.label}: section {name} missing from the console log")
        if self.missing == "fail" and required:
            self.check(False, f"section {name} in the console log")
        return None

    def json_section(self, name):
        """A section parsed as JSON; None (and a failed check) if it is not."""
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

    def exits(self, name, code):
        """The guest's "NAME exit CODE" line."""
        self.check(re.search(rf"^{name} exit {code}$", self.text, re.M) is not None,
                   f"{name} exits {code}")

    def validate(self, doc, schema="report.schema.json", what="report"):
        """A check that doc validates against docs/SCHEMA (tests/e2e's wording)."""
        ok, _, err = validate(json.dumps(doc), schema)
        self.check(ok, f"{what} validates against {schema} {err.strip()}")

    def done(self, title=""):
        """The summary line, then exit: 1 if a check failed."""
        counts = f"{self.passed} {'checks ' if self.checks_word else ''}passed, {self.failed} failed"
        print(f"{self.label}{title}: {counts}" if self.label is not None else counts)
        sys.exit(1 if self.failed or (self.need_pass and not self.passed) else 0)


# the conventions of tests/stress (tests/e2e: the defaults; tests/boot: BOOT)
STRESS = dict(missing="fail", checks_word=True, need_pass=True)
BOOT = dict(label=None, missing="none", end_named=False)


def validate(doc_text, schema="report.schema.json", python="/usr/bin/python3"):
    """(ok, stdout, stderr) of tests/unit/validate.py on doc_text against
    docs/SCHEMA, run by python."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write(doc_text)
        path = f.name
    try:
        p = subprocess.run([python, os.path.join(TOP, "tests/unit/validate.py"),
                            os.path.join(TOP, "docs", schema), path],
                           capture_output=True, text=True)
        return p.returncode == 0, p.stdout, p.stderr
    finally:
        os.unlink(path)


def all_sites(rep, named=True, strict=False):
    """Every site of a report, in its order: drivers, core, unclassified,
    held; as (group name, site), or the sites alone (named=False). strict: a
    missing list is an error (KeyError), not an empty one."""
    def part(key):
        return rep[key] if strict else rep.get(key, [])

    for d in part("drivers"):
        for s in d["sites"]:
            yield ("driver:" + d["module"], s) if named else s
    for c in part("core"):
        for s in c["sites"]:
            yield ("core:" + c["path"], s) if named else s
    for s in part("unclassified"):
        yield ("unclassified", s) if named else s
    for s in part("held"):
        yield ("held", s) if named else s


def frames(site):
    """function names of the stack, without +off and [module]"""
    return [re.split(r"[+ ]", f, 1)[0] for f in site.get("stack", [])]


def describe(site):
    """One line naming a site (entry, state, count, group, devices, stack)."""
    devs = ",".join(f"{d['name']}({d['driver']})" for d in site.get("devices", []))
    return (f"{site['entry_point']} {site['lock_state']} x{site['count']} "
            f"group={site['group']} devs={devs} "
            f"stack={'<'.join(frames(site)[:6])}")
