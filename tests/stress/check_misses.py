#!/usr/bin/env python3
"""tests/stress/misses.sh: calls the kernel skipped are reported as missed.
la_test flood=N under a kprobe on PREEMPT_RT while a map-syscall loop holds
bpf_prog_active on every CPU: counted + missed == N, missed > 0.
Usage: check_misses.py CONSOLE_LOG N"""
import os
import re
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, STRESS, all_sites  # noqa: E402

log, N = sys.argv[1], int(sys.argv[2])
c = Checks("misses", path=log, **STRESS)
E = "acpi_dma_configure_id"
rep = c.json_section("misses")
c.check(c.value("EXIT") == "0", f"lockaudit exit status 0 (got {c.value('EXIT')})")
c.check("PREEMPT_RT" in (c.value("UNAME") or ""), f"a PREEMPT_RT kernel ({c.value('UNAME')})")
m = re.search(r"la_test: flood=(\d+) threads=(\d+) done=(\d+)", c.text)
c.check(m is not None and int(m.group(3)) == N, f"la_test made {N} calls ({m and m.group(0)})")
lookups = [int(x) for x in re.findall(r"^hammer: (\d+) lookups\r?$", c.text, re.M)]
c.check(len(lookups) == 2 and all(lookups), f"a map-syscall loop ran on each CPU ({lookups})")
if rep:
    h = {x["function"]: x for x in rep["hooks"]}.get(E, {})
    calls = sum(h.get("calls", {}).values())
    missed = h.get("missed")
    flood = sum(s["count"] for g, s in all_sites(rep) if s.get("function") == "la_flood_call")
    c.note(f"{E}: {calls} calls counted, {missed} skipped by the kernel (attach {h.get('attach')})")
    c.check(h.get("attach") == "kprobe", f"{E} attached as kprobe ({h.get('attach')})")
    c.check(isinstance(missed, int) and missed > 0,
            f"the kernel skipped some calls and lockaudit reports how many (missed {missed})")
    c.check(isinstance(missed, int) and calls + missed == N and flood == calls,
            f"counted + missed == {N} exactly: {calls} + {missed} (la_flood_call's sites: {flood})")
    d = rep["totals"]["dropped"]
    c.check(d["missed"] == missed and d["missed_exit"] == 0,
            f"totals.dropped.missed == the hook's ({d['missed']}, missed_exit {d['missed_exit']})")
    c.check(f"DROPPED: {missed} calls the kernel did not let a program run" in c.text,
            "the text report's DROPPED line gives the number")
c.done()
