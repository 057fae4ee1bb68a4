#!/usr/bin/env python3
"""tests/stress/flood.sh: la_test flood=N threads=T under lockaudit.
Usage: check_flood.py CONSOLE_LOG N"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, STRESS, all_sites, describe  # noqa: E402

log, N = sys.argv[1], int(sys.argv[2])
c = Checks("flood", path=log, **STRESS)
E = "acpi_dma_configure_id"
rep = c.json_section("flood")
c.check(c.value("EXIT") == "0", f"lockaudit exit status 0 (got {c.value('EXIT')})")
import re
m = re.search(r"la_test: flood=(\d+) threads=(\d+) done=(\d+) ns=(\d+)", c.text)
c.check(m is not None and int(m.group(3)) == N, f"la_test made {N} calls ({m and m.group(0)})")
if m:
    c.note(f"flood in the module under lockaudit: {int(m.group(4)) / 1e9:.2f} s")
hwm = c.value("HWM_KB")
c.note(f"lockaudit VmHWM {hwm} kB, VmRSS {c.value('RSS_KB')} kB; insmod {c.value('INSMOD_S')} s, "
       f"SIGINT to exit {c.value('STOP_S')} s")
c.check(hwm is not None and hwm.isdigit() and int(hwm) < 32 * 1024,
        f"VmHWM {hwm} kB < 32 MiB")
if rep:
    flood = [s for g, s in all_sites(rep)
             if s["entry_point"] == E and s.get("function") == "la_flood_call"]
    for s in flood:
        c.note(describe(s))
    total = sum(s["count"] for s in flood)
    c.check(total == N, f"{E} calls attributed to la_flood_call: {total} == {N}")
    c.check(all(s["lock_state"] == "unlocked" and s["group"] == "driver" and
                s.get("module") == "la_test" for s in flood),
            "all la_flood_call sites: driver la_test, unlocked")
    other = [s for g, s in all_sites(rep) if s.get("module") == "la_test" and
             s.get("function") != "la_flood_call"]
    c.check(not other, f"no other la_test sites ({len(other)})")
    h = {x["function"]: x for x in rep["hooks"]}.get(E)
    c.check(h is not None and h["calls"]["unlocked"] == N,
            f"hook {E} unlocked calls == {N} ({h and h['calls']})")
    d = rep["totals"]["dropped"]
    # the ring buffer is sized for the flood: nothing may be lost, of any kind
    c.check(d and all(isinstance(v, int) and v == 0 for v in d.values()),
            f"totals.dropped: every counter 0 {d}")
c.done()
