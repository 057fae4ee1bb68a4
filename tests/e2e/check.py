#!/usr/bin/env python3
"""Exact assertions on what lockaudit reported in a guest (tests/e2e/run.sh).

Usage: check.py CONSOLE_LOG KERNEL U L O N K
"""
import json
import re
import subprocess
import sys
import tempfile
import os

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
log_path, kernel = sys.argv[1], sys.argv[2]
U, L, O, N, K = (int(x) for x in sys.argv[3:8])
text = open(log_path, errors="replace").read()
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print(f"  ok   {kernel}: {what}")
    else:
        failed += 1
        print(f"  FAIL {kernel}: {what}")


def section(name):
    m = re.search(r"^@@BEGIN %s\n(.*?)^@@END %s$" % (name, name), text, re.S | re.M)
    if not m:
        raise SystemExit(f"{kernel}: section {name} missing from the console log")
    return m.group(1)


def validate(doc, schema):
    path = os.path.join(TOP, "docs", schema)
    with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
        json.dump(doc, f)
        f.flush()
        r = subprocess.run([sys.executable, os.path.join(TOP, "tests/unit/validate.py"), path, f.name],
                           text=True, capture_output=True)
    check(r.returncode == 0, f"{schema} validates ({r.stdout.strip()}{r.stderr.strip()})")


def all_sites(rep):
    for g in rep["drivers"]:
        yield from g["sites"]
    for g in rep["core"]:
        yield from g["sites"]
    yield from rep["unclassified"]
    yield from rep["held"]


def hook(rep, fn):
    return next(h for h in rep["hooks"] if h["function"] == fn)


def exact_totals(rep, label):
    """Every hook's exact counters equal the sum of its sites: nothing lost."""
    d = rep["totals"]["dropped"]
    check(d == {"sites": 0, "events": 0, "stack_errors": 0}, f"{label}: nothing dropped {d}")
    ok = True
    for h in rep["hooks"]:
        for st, n in h["calls"].items():
            s = sum(x["count"] for x in all_sites(rep)
                    if x["entry_point"] == h["function"] and x["lock_state"] == st)
            if s != n:
                ok = False
                print(f"       {h['function']} {st}: hook says {n}, sites sum to {s}")
    check(ok, f"{label}: per-hook counters equal the sum of site counts")
    t = rep["totals"]
    calls = sum(sum(h["calls"].values()) for h in rep["hooks"])
    check(t["calls_audited"] == calls and t["violations"] == t["unlocked"] + t["held_by_other"],
          f"{label}: totals consistent ({t['calls_audited']} audited)")


def la_test_sites(rep, mode, u, l, o):
    drv = {g["module"]: g for g in rep["drivers"]}
    check(set(drv) == {"la_test"}, f"{mode}: the only driver finding is la_test (got {sorted(drv)})")
    got = sorted((s["entry_point"], s["lock_state"], s["function"], s["count"])
                 for s in drv.get("la_test", {"sites": []})["sites"])
    want = sorted([("acpi_dma_configure_id", "unlocked", "la_call_unlocked", u),
                   ("acpi_dma_configure_id", "held_by_other", "la_call_other", o)])
    check(got == want, f"{mode}: la_test sites exactly {want} (got {got})")
    other = [s for s in drv.get("la_test", {"sites": []})["sites"] if s["lock_state"] == "held_by_other"]
    check(bool(other) and other[0]["holder"]["comm"] == "la_test_holder" and other[0]["holder"]["pid"] > 0,
          f"{mode}: holder task named (la_test_holder)")
    locked = [s for s in rep["held"] if s.get("function") == "la_call_locked"]
    check([(s["entry_point"], s["count"]) for s in locked] == [("acpi_dma_configure_id", l)],
          f"{mode}: locked calls counted as held, {l}, and never as violations")
    check(not rep["unclassified"], f"{mode}: nothing unclassified")
    for s in drv.get("la_test", {"sites": []})["sites"]:
        check(s["devices"] and s["devices"][0]["name"] == "la_test" and s["devices"][0]["bus"] == "platform",
              f"{mode}: {s['function']} device la_test on platform bus")
    a = hook(rep, "acpi_dma_configure_id")
    return a


probes = json.loads(section("probes"))
validate(probes, "probes.schema.json")
p = {h["function"]: h for h in probes["hooks"]}
check(p["acpi_dma_configure_id"]["attach"] == "fentry", "probes: acpi_dma_configure_id attaches with fentry")
check(p["of_dma_configure_id"]["attach"] == "absent" and "kallsyms" in p["of_dma_configure_id"]["reason"],
      "probes: of_dma_configure_id absent on x86 (no CONFIG_OF), with a reason")

# ---- phase 1: fentry ----
rep = json.loads(section("fentry"))
validate(rep, "report.schema.json")
check(re.search(r"^run1 exit 0$", text, re.M) is not None, "run (fentry) exits 0 on SIGINT")
exact_totals(rep, "fentry")
a = la_test_sites(rep, "fentry", U, L, O)
# held: L from la_test, plus e1000e's probe: once at insmod and once per rescan
check(a["attach"] == "fentry" and a["calls"] == {"held": L + N + 1, "unlocked": U, "held_by_other": O},
      f"fentry: acpi_dma_configure_id calls exactly held={L + N + 1} unlocked={U} other={O} (got {a['calls']})")
pcidev = {d["name"] for s in rep["held"] if s["entry_point"] == "pci_dma_configure"
          for d in s["devices"] if d["driver"] == "e1000e"}
check(len(pcidev) == 1, f"fentry: e1000e's probe path seen with the lock held ({pcidev})")
pci_held = sum(s["count"] for s in rep["held"] if s["entry_point"] == "pci_dma_configure")
check(pci_held == N + 1 and hook(rep, "pci_dma_configure")["calls"]["unlocked"] == 0,
      f"fentry: pci_dma_configure held exactly {N + 1} times, never unlocked")
core = {g["path"]: g for g in rep["core"]}
check(set(core) == {"device add (iommu_bus_notifier)"}, f"fentry: core group is the bus notifier ({sorted(core)})")
bn = core.get("device add (iommu_bus_notifier)", {"sites": []})["sites"]
per_dev = {}
for s in bn:
    check(s["entry_point"] == "iommu_probe_device" and s["lock_state"] == "unlocked",
          "fentry: bus-notifier site is an unlocked iommu_probe_device")
    for d in s["devices"]:
        per_dev[d["name"]] = per_dev.get(d["name"], 0) + s["count"]
want = {list(pcidev)[0] if pcidev else "?": N, "la_test": 1}
check(per_dev == want, f"fentry: bus-notifier calls per device exactly {want} (got {per_dev})")
check(hook(rep, "iommu_probe_device")["calls"]["unlocked"] == N + 1,
      f"fentry: iommu_probe_device unlocked exactly {N + 1} (rescans + la_test's device add)")

events = [json.loads(l) for l in section("events").splitlines() if l.strip()]
ev = {}
for e in events:
    for f in ("la_call_unlocked", "la_call_locked", "la_call_other"):
        if any(fr.startswith(f + "+") for fr in e["stack"]) and e["entry_point"] == "acpi_dma_configure_id":
            ev[f] = ev.get(f, 0) + 1
check(ev == {"la_call_unlocked": U, "la_call_locked": L, "la_call_other": O},
      f"events: one JSON line per la_test call (got {ev})")
check(len(events) == rep["totals"]["calls_audited"],
      f"events: one line per audited call ({len(events)} vs {rep['totals']['calls_audited']})")

# ---- phase 2: kprobe ----
rep = json.loads(section("kprobe"))
validate(rep, "report.schema.json")
check(re.search(r"^run2 exit 0$", text, re.M) is not None, "run (kprobe) exits 0 on SIGTERM")
check(all(h["attach"] in ("kprobe", "absent") for h in rep["hooks"]) and
      hook(rep, "acpi_dma_configure_id")["attach"] == "kprobe", "kprobe: every present hook attached as kprobe")
exact_totals(rep, "kprobe")
a = la_test_sites(rep, "kprobe", K, K, K)
check(a["calls"] == {"held": K, "unlocked": K, "held_by_other": K},
      f"kprobe: acpi_dma_configure_id calls exactly {K}/{K}/{K} (got {a['calls']})")

# ---- hostile environments ----
check(re.search(r"^kptr exit 6$", text, re.M) is not None and "kptr_restrict" in text,
      "kptr_restrict=2: exit 6 naming the sysctl")
check(re.search(r"^nohooks exit 8$", text, re.M) is not None, "only absent hooks selected: exit 8")

print(f"{kernel}: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
