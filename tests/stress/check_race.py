#!/usr/bin/env python3
"""tests/stress/race.sh: la_test race=R (unlocked) must give a top-level
"concurrent" finding naming both la_race_a and la_race_b; race=R
race_locked=1 none involving la_race_*.
Usage: check_race.py CONSOLE_LOG R      (or: check_race.py --json RACE.json LOCKED.json R)"""
import json
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, STRESS, all_sites, describe  # noqa: E402

E = "acpi_dma_configure_id"
if sys.argv[1] == "--json":
    c = Checks("race", path=sys.argv[2], **STRESS)
    race, locked = json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
    R = int(sys.argv[4])
    exits = None
else:
    c = Checks("race", path=sys.argv[1], **STRESS)
    R = int(sys.argv[2])
    race, locked = c.json_section("race"), c.json_section("locked")
    exits = (c.value("EXIT_RACE"), c.value("EXIT_LOCKED"))
    c.check(exits == ("0", "0"), f"lockaudit exit status 0 in both runs {exits}")

RACE = {"la_race_a", "la_race_b"}


def comms(f):
    return [t.get("comm") for t in f.get("tasks", [])]


def well_formed(f):
    ok = (isinstance(f.get("entry_point"), str) and isinstance(f.get("count"), int)
          and f["count"] >= 1 and isinstance(f.get("device"), dict)
          and {"name", "bus", "driver", "registered"} <= set(f["device"])
          and isinstance(f.get("tasks"), list) and len(f["tasks"]) == 2)
    for t in f.get("tasks") or []:
        ok = ok and isinstance(t.get("pid"), int) and isinstance(t.get("comm"), str) \
            and isinstance(t.get("entry_point"), str) and isinstance(t.get("stack"), list)
    return ok


def per_func(rep, fn):
    return sum(s["count"] for g, s in all_sites(rep)
               if s["entry_point"] == E and s.get("function") == fn)


def held_from(rep, fn):
    return sum(s["count"] for s in rep.get("held", [])
               if s["entry_point"] == E and any(f.startswith(fn + "+") for f in s["stack"]))


if race:
    conc = race.get("concurrent")
    c.check(isinstance(conc, list), f'race=R: top-level "concurrent" array present '
            f'({"yes" if isinstance(conc, list) else "missing: lead feature not in this build"})')
    conc = conc if isinstance(conc, list) else []
    for f in conc:
        c.note(f"concurrent: {f.get('entry_point')} x{f.get('count')} dev="
               f"{(f.get('device') or {}).get('name')} tasks={comms(f)}")
    c.check(all(well_formed(f) for f in conc), "every concurrent finding well formed "
            "(entry_point, count, device{name,bus,driver,registered}, 2 tasks{pid,comm,entry_point,stack})")
    both = [f for f in conc if set(comms(f)) == RACE]
    dirs = [tuple(comms(f)) for f in both]
    # findings are keyed by (entry points, both stacks): the racers make one
    # call each from one function, so one finding per direction that occurred
    c.check(dirs and len(dirs) == len(set(dirs)),
            f"concurrent findings naming la_race_a and la_race_b: one per direction seen ({dirs})")
    c.check(not [f for f in conc if set(comms(f)) & RACE and set(comms(f)) != RACE],
            "no concurrent finding pairs a racer with another task")
    if both:
        f = both[0]
        c.check(f["device"]["name"] == "la_test" and f["entry_point"] == E,
                f"...on device la_test at {E} ({f['device']['name']}, {f['entry_point']})")
        stacks = {t["comm"]: t["stack"] for t in f["tasks"]}
        c.check(any(x.startswith("la_race_call_a+") for x in stacks.get("la_race_a", [])) and
                any(x.startswith("la_race_call_b+") for x in stacks.get("la_race_b", [])),
                "...with la_race_call_a / la_race_call_b on the tasks' stacks")
    a, b = per_func(race, "la_race_call_a"), per_func(race, "la_race_call_b")
    c.check((a, b) == (R, R), f"race=R: unlocked calls from la_race_call_a/b == {R} each ({a}, {b})")
if locked:
    conc = locked.get("concurrent")
    if not isinstance(conc, list):
        c.note('race_locked=1: no "concurrent" key in the report')
        conc = []
    bad = [f for f in conc if set(comms(f)) & RACE]
    for f in bad:
        c.note(f"unexpected concurrent: {f.get('entry_point')} x{f.get('count')} tasks={comms(f)}")
    c.check(not bad, "race_locked=1: no concurrent finding involving la_race_*")
    a, b = held_from(locked, "la_race_call_a"), held_from(locked, "la_race_call_b")
    c.check((a, b) == (R, R), f"race_locked=1: held calls from la_race_call_a/b == {R} each ({a}, {b})")
    v = [s for g, s in all_sites(locked) if g != "held" and s.get("module") == "la_test"]
    c.check(not v, f"race_locked=1: no la_test violation ({len(v)})")
c.done()
