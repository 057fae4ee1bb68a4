#!/usr/bin/env python3
"""Exact assertions on what lockaudit reported in a guest (tests/e2e/run.sh).

Usage: check.py CONSOLE_LOG ARCH KERNEL U L O N K

What each cell is expected to do is in CELLS below: which entry point
la_test calls (acpi_dma_configure_id on x86, of_dma_configure_id on arm64),
which entry points one such call reaches, and how lockaudit attaches there.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, all_sites as report_sites  # noqa: E402

log_path, arch, kver = sys.argv[1], sys.argv[2], sys.argv[3]
kernel = f"{arch}-{kver}"
U, L, O, N, K = (int(x) for x in sys.argv[4:9])


def cell(arch, kver):
    """Facts per cell, measured with ftrace in each guest (tests/vm/README.md)."""
    c = {
        "entry": "acpi_dma_configure_id",   # what la_test calls
        "chain": ["acpi_dma_configure_id"],  # what one la_test call reaches
        "fresh": False,                      # la_test makes one device per call
        "auto": "fentry",                    # attach mode chosen by --attach auto
        # IOMMU-core calls, unlocked, per device add (bus notifier): of the
        # NIC's re-adds, and of la_test's platform devices
        "core_nic": ["iommu_probe_device"],
        "core_la": ["iommu_probe_device"],
    }
    if kver.startswith("7."):
        # since 6.15 the core configures DMA itself: __iommu_probe_device ->
        # bus dma_configure -> acpi/of_dma_configure_id, for every device add
        c["core_nic"] = ["iommu_probe_device", "pci_dma_configure", "acpi_dma_configure_id",
                         "iommu_fwspec_init"]
        c["core_la"] = ["iommu_probe_device", "platform_dma_configure"]
    if arch == "arm64":
        # of_dma_configure_id -> of_iommu_configure -> iommu_probe_device,
        # each call on its own new device (fresh=1) so each reaches all three
        c.update(entry="of_dma_configure_id", fresh=True,
                 chain=["of_dma_configure_id", "of_iommu_configure", "iommu_fwspec_init",
                        "iommu_probe_device"])
        if kver == "6.1":
            c["auto"] = "kprobe"  # BPF trampolines: ENOTSUPP on arm64 6.1
        if kver.startswith("7."):
            c["core_nic"] = ["iommu_probe_device", "pci_dma_configure", "of_dma_configure_id",
                             "of_iommu_configure", "iommu_fwspec_init"]
    return c


C = cell(arch, kver)
E = C["entry"]
T = Checks(kernel, path=log_path)
check, section, text = T.check, T.section, T.text


def validate(doc, schema):
    T.validate(doc, schema, schema.split(".")[0])


def all_sites(rep):
    return report_sites(rep, named=False, strict=True)


def hook(rep, fn):
    return next(h for h in rep["hooks"] if h["function"] == fn)


def calls_by_entry(sites, state=None):
    """Calls per entry point of these sites, the nested ones (watched calls
    made inside a site's calls, listed under it) included."""
    got = {}
    for x in sites:
        if state is not None and x["lock_state"] != state:
            continue
        got[x["entry_point"]] = got.get(x["entry_point"], 0) + x["count"]
        for n in x.get("nested", []):
            got[n["entry_point"]] = got.get(n["entry_point"], 0) + n["count"]
    return got


def nested_of(s):
    return sorted((n["entry_point"], n["count"]) for n in s.get("nested", []))


def kernel_counts_kprobe_misses(rep):
    """Linux 6.7 counts the calls trace_call_bpf() skips (bpf_prog_active)
    and gives the kprobe's own missed count; before it a kprobe hook's
    misses are unknown (null). fentry/fexit: counted since 5.12."""
    m = re.match(r"(\d+)\.(\d+)", rep["kernel"])
    return (int(m[1]), int(m[2])) >= (6, 7)


def missed_of(rep):
    """hook -> (missed, missed_exit): calls the kernel did not run the
    hook's programs for, as the report says (None: not counted)."""
    return {h["function"]: (h["missed"], h["missed_exit"]) for h in rep["hooks"] if h["attach"] != "absent"}


def check_missed(rep, label, busy=False):
    """The kernel skipped none of our programs' runs, and says so: 0 per
    hook, null only where this kernel does not count (a kprobe before 6.7;
    its exit, a kretprobe, only when --races hooked it). busy: hooks on
    functions every task calls (find_vma): others' calls may be skipped
    (an fentry program preempted or recursing on that CPU), so any count,
    but counted (never null where the kernel counts)."""
    ok = True
    for h in rep["hooks"]:
        unknown = h["attach"] == "kprobe" and not kernel_counts_kprobe_misses(rep)
        if h["attach"] == "absent" or not unknown:
            good = (lambda v: isinstance(v, int)) if busy else (lambda v: v == 0)
            good_exit = good
        else:
            good = (lambda v: v is None)
            good_exit = (lambda v: v in (0, None))
        if not good(h["missed"]) or not good_exit(h["missed_exit"]):
            ok = False
            print(f"       {h['function']} ({h['attach']}): missed {h['missed']}, missed_exit {h['missed_exit']}")
    check(ok, f"{label}: the kernel skipped {'and counted' if busy else 'none of'} the programs' runs, "
          f"per hook {missed_of(rep)}")
    att = [h for h in rep["hooks"] if h["attach"] != "absent"]
    d = rep["totals"]["dropped"]
    for k in ("missed", "missed_exit"):
        vals = [h[k] for h in att]
        want = None if None in vals else sum(vals)
        check(d[k] == want, f"{label}: totals.dropped.{k} == {want} (the hooks' sum; got {d[k]})")


def exact_totals(rep, label):
    """Every hook's exact counters equal the sum of its sites (the calls
    nested in another site's included): nothing lost."""
    d = rep["totals"]["dropped"]
    kept = {k: v for k, v in d.items() if k not in ("missed", "missed_exit")}
    check(kept == {"sites": 0, "events": 0, "stack_errors": 0, "concurrent": 0, "tracking": 0, "modules": 0,
                   "names": 0, "paths": 0},
          f"{label}: nothing dropped {d}")
    check_missed(rep, label)
    check(rep["concurrent"] == [], f"{label}: no concurrent configuration seen (la_test's calls are sequential)")
    ok = True
    per = {st: calls_by_entry(all_sites(rep), st) for st in ("held", "unlocked", "held_by_other", "read_held")}
    for h in rep["hooks"]:
        for st, n in h["calls"].items():
            s = per[st].get(h["function"], 0)
            if s != n:
                ok = False
                print(f"       {h['function']} {st}: hook says {n}, sites sum to {s}")
    check(ok, f"{label}: per-hook counters equal the sum of site counts")
    t = rep["totals"]
    calls = sum(sum(h["calls"].values()) for h in rep["hooks"])
    nested = sum(n["count"] for x in all_sites(rep) for n in x.get("nested", []))
    # violations count outermost calls; the calls made inside them: nested
    outer = sum(x["count"] for x in all_sites(rep) if x["lock_state"] != "held")
    # the device lock is a mutex: never read-held
    check(t["calls_audited"] == calls and t["read_held"] == 0 and
          t["violations"] == t["unlocked"] + t["held_by_other"] and
          t.get("nested", 0) == nested and calls == t["held"] + t["violations"] + nested and
          t["violations"] == outer,
          f"{label}: totals consistent ({t['calls_audited']} audited = {t['held']} held + "
          f"{t['violations']} violations + {t.get('nested', 0)} nested)")


def is_la_dev(d):
    return d["bus"] == "platform" and (d["name"].startswith("la_test.") if C["fresh"] else d["name"] == "la_test")


def la_test_sites(rep, mode, u, l, o):
    drv = {g["module"]: g for g in rep["drivers"]}
    check(set(drv) == {"la_test"}, f"{mode}: the only driver finding is la_test (got {sorted(drv)})")
    sites = drv.get("la_test", {"sites": []})["sites"]
    # one la_test call is one violation: the entry points it reaches inside
    # (C["chain"][1:], arm64) are listed under it, each with its calls
    got = sorted((s["entry_point"], s["lock_state"], s["function"], s["count"], nested_of(s)) for s in sites)
    want = sorted([(E, "unlocked", "la_call_unlocked", u, sorted((f, u) for f in C["chain"][1:])),
                   (E, "held_by_other", "la_call_other", o, sorted((f, o) for f in C["chain"][1:]))])
    # a run where the kernel skipped calls says so: missed per hook
    check(got == want, f"{mode}: la_test sites exactly {want} (got {got}; kernel skipped {missed_of(rep)})")
    check(drv.get("la_test", {}).get("violations") == u + o,
          f"{mode}: la_test {u + o} violations, one per call (got {drv.get('la_test', {}).get('violations')}; "
          f"kernel skipped {missed_of(rep)})")
    other = [s for s in sites if s["lock_state"] == "held_by_other"]
    check(bool(other) and all(s["holder"]["comm"] == "la_test_holder" and s["holder"]["pid"] > 0 for s in other),
          f"{mode}: holder task named (la_test_holder)")
    locked = sorted((s["entry_point"], s["count"]) for s in rep["held"] if s.get("function") == "la_call_locked")
    check(locked == sorted((f, l) for f in C["chain"]),
          f"{mode}: locked calls counted as held, {l} per entry point, never as violations (got {locked}; "
          f"kernel skipped {missed_of(rep)})")
    check(not rep["unclassified"], f"{mode}: nothing unclassified")
    check(all(s["devices"] and all(is_la_dev(d) for d in s["devices"]) for s in sites),
          f"{mode}: la_test's sites name la_test's own platform device(s)")
    # high, or medium where the caller held the global iommu_probe_device_lock
    # (of_iommu_configure takes it inside of_dma_configure_id on 6.7+)
    sev = sorted((s["entry_point"], s["severity"], s["iommu_probe_device_lock"]) for s in sites)
    check(all(s["severity"] == ("medium" if s["iommu_probe_device_lock"] == "held" else "high")
              for s in sites) and
          all(s["severity"] == "high" for s in sites if s["entry_point"] == E),
          f"{mode}: la_test's sites are high severity ({E}), medium under iommu_probe_device_lock ({sev})")
    return hook(rep, E)


probes = json.loads(section("probes"))
validate(probes, "probes.schema.json")
p = {h["function"]: h for h in probes["hooks"]}
for f in C["chain"]:
    check(p[f]["attach"] == C["auto"], f"probes: {f} attaches with {C['auto']} (got {p[f]['attach']})")
if C["auto"] == "kprobe":
    check("fentry: not supported by this kernel (ENOTSUPP)" in p[E]["reason"],
          f"probes: says why not fentry ({p[E]['reason']})")
if arch == "x86_64":
    check(p["of_dma_configure_id"]["attach"] == "absent" and "kallsyms" in p["of_dma_configure_id"]["reason"],
          "probes: of_dma_configure_id absent on x86 (no CONFIG_OF), with a reason")

# ---- phase 1: fentry ----
rep = json.loads(section("fentry"))
validate(rep, "report.schema.json")
check(re.search(r"^run1 exit 0$", text, re.M) is not None, "run (fentry) exits 0 on SIGINT")
exact_totals(rep, "fentry")
a = la_test_sites(rep, "fentry", U, L, O)
# held: L from la_test, plus e1000e's probe: once at insmod and once per rescan
core_e = N if E in C["core_nic"] else 0
check(a["attach"] == C["auto"] and
      a["calls"] == {"held": L + N + 1, "unlocked": U + core_e, "held_by_other": O, "read_held": 0},
      f"fentry: {E} calls exactly held={L + N + 1} unlocked={U}+{core_e} other={O}, attached {C['auto']} "
      f"(got {a['calls']}, {a['attach']})")
pcidev = {d["name"] for s in rep["held"] if s["entry_point"] == "pci_dma_configure"
          for d in s["devices"] if d["driver"] == "e1000e"}
check(len(pcidev) == 1, f"fentry: e1000e's probe path seen with the lock held ({pcidev})")
pci_held = sum(s["count"] for s in rep["held"] if s["entry_point"] == "pci_dma_configure")
pci_core = N if "pci_dma_configure" in C["core_nic"] else 0
check(pci_held == N + 1 and hook(rep, "pci_dma_configure")["calls"]["unlocked"] == pci_core,
      f"fentry: pci_dma_configure held exactly {N + 1} times (the NIC's probes), unlocked {pci_core} (core)")
core = {g["path"]: g for g in rep["core"]}
check(set(core) == {"device add (iommu_bus_notifier)"}, f"fentry: core group is the bus notifier ({sorted(core)})")
bn = core.get("device add (iommu_bus_notifier)", {"sites": []})["sites"]
ndev = U + L + O if C["fresh"] else 1
per = {}
for s_ in bn:
    check(s_["lock_state"] == "unlocked" and s_["severity"] == "info",
          f"fentry: bus-notifier site at {s_['entry_point']} is unlocked, severity info")
    kind = {"nic" if d["name"] in pcidev else "la_test" if is_la_dev(d) else d["name"] for d in s_["devices"]}
    check(len(kind) == 1, f"fentry: a bus-notifier site is one kind of device ({kind})")
    kind = kind.pop()
    # the core's calls for one device add run inside iommu_probe_device
    check(s_["entry_point"] == "iommu_probe_device",
          f"fentry: bus-notifier site of {kind} is the outer iommu_probe_device, the rest nested "
          f"({s_['entry_point']}, nested {nested_of(s_)})")
    for e, n in calls_by_entry([s_]).items():
        per[(kind, e)] = per.get((kind, e), 0) + n
want = {("nic", e): N for e in C["core_nic"]}
want.update({("la_test", e): ndev for e in C["core_la"]})
check(per == want, f"fentry: core calls per device kind and entry point (nested included) exactly "
      f"{sorted(want.items())} (got {sorted(per.items())})")
direct = U if "iommu_probe_device" in C["chain"] else 0
check(hook(rep, "iommu_probe_device")["calls"]["unlocked"] == N + ndev + direct,
      f"fentry: iommu_probe_device unlocked exactly {N + ndev + direct} (rescans, la_test's device adds, la_test's own calls)")

events = [json.loads(l) for l in section("events").splitlines() if l.strip()]
ev = {}
for e in events:
    for f in ("la_call_unlocked", "la_call_locked", "la_call_other"):
        if any(fr.startswith(f + "+") for fr in e["stack"]) and e["entry_point"] == E:
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
      hook(rep, E)["attach"] == "kprobe", "kprobe: every present hook attached as kprobe")
exact_totals(rep, "kprobe")
a = la_test_sites(rep, "kprobe", K, K, K)
check(a["calls"] == {"held": K, "unlocked": K, "held_by_other": K, "read_held": 0},
      f"kprobe: {E} calls exactly {K}/{K}/{K} (got {a['calls']})")

# ---- phase 3: calls counted at their caller ----
# la_test bench=F settle=5000, N times (2 to 4: the module reloaded until a
# load lands at an earlier one's address): each time one call from
# la_bench_call, a pause, then F more. The first takes
# the full stack; lockaudit enters la_bench_call as its caller, so the F
# later ones are counted there without a stack walk. The reload moves the
# module generation on: the first call of each later load takes the full
# stack again and the caller is entered anew. Where the caller can be had
# cheaply (x86 fentry and kprobe, arm64 kprobe; not arm64 fentry) that is
# exactly N*F calls counted at the caller, of N*(F + 1) in all.
F = 20
for mode in ("auto", "kprobe"):
    att = C["auto"] if mode == "auto" else "kprobe"
    rep = json.loads(section(f"fast-{mode}"))
    validate(rep, "report.schema.json")
    check(re.search(rf"^run3 {mode} exit 0$", text, re.M) is not None, f"fast-{mode}: run exits 0")
    exact_totals(rep, f"fast-{mode}")
    drv = {g["module"]: g for g in rep["drivers"]}
    check(set(drv) == {"la_test"}, f"fast-{mode}: the only driver finding is la_test (got {sorted(drv)})")
    sites = [x for x in drv.get("la_test", {"sites": []})["sites"] if x["entry_point"] == E]
    got = (sorted({x["lock_state"] for x in sites}), sum(x["count"] for x in sites),
           sum(x.get("counted_by_caller", -1) for x in sites))
    # la_test loaded 2 to 4 times (guest.sh: until a reload lands at an
    # earlier load's text address), every load's address in the log
    texts = re.findall(rf"^phase3 {mode}: la_test (\d+) text (0x[0-9a-f]+)$", text, re.M)
    loads = len(texts)
    check([int(n) for n, _ in texts] == list(range(1, loads + 1)) and 2 <= loads <= 4,
          f"fast-{mode}: la_test loaded 2 to 4 times, every load's address logged (got {texts})")
    want_by = loads * F if (arch == "x86_64" or att == "kprobe") else 0
    check(got == (["unlocked"], loads * (F + 1), want_by),
          f"fast-{mode} ({att}): {E} from la_test unlocked, {loads * (F + 1)} calls, "
          f"{want_by} counted at the caller (got {got})")
    # every load named by function: the earlier ones (gone when the report
    # was made) by the names the kernel kept when their sites were made,
    # the last by kallsyms too; a reload at an earlier load's address is
    # the case under test (the kernel keeps the loads' sites apart by
    # module generation, and the report, seeing the same function, counts
    # them as one bug): the last load must be one
    addrs = [a for _, a in texts]
    check(loads >= 2 and addrs[-1] in addrs[:-1] and len(set(addrs)) == loads - 1,
          f"fast-{mode}: la_test's last load at an earlier load's address, the others each at "
          f"their own (got {addrs})")
    named = [x for x in sites if x.get("function") == "la_bench_call"]
    by_fn = (sum(x["count"] for x in named), sum(x.get("counted_by_caller", 0) for x in named))
    ko = [f for x in sites for f in x["stack"] if ".ko+" in f]
    check(len(named) == len(sites) and by_fn == (loads * (F + 1), want_by) and not ko,
          f"fast-{mode}: every load's calls named la_bench_call, the unloaded ones' by the kernel's "
          f"names: {loads * (F + 1)} calls, {want_by} at the caller (got {by_fn}, "
          f"{len(named)} of {len(sites)} sites, module+offset frames {ko[:3]})")
    check(hook(rep, E)["calls"]["unlocked"] == loads * (F + 1),
          f"fast-{mode}: {E} unlocked calls exactly {loads * (F + 1)}")

# ---- phase 4: the IOMMU core racing a lock holder ----
# la_test core_other=3: three platform devices la_core.0..2 added while the
# kthread la_core_holder holds each one's lock: every call the core makes
# for them (C["core_la"], once per device) is held by another task, in the
# core group (device add), severity high, the holder named; the text report
# lists them in their own section above the drivers.
NC = 3
rep = json.loads(section("core"))
validate(rep, "report.schema.json")
check(re.search(r"^run4 exit 0$", text, re.M) is not None, "core_other: run exits 0")
check(re.search(rf"^phase4: la_test: core_other={NC} added={NC} timeout=0\r?$", text, re.M) is not None,
      f"core_other: la_test added {NC} devices, the holder never timed out")
core_sites = [x for x in all_sites(rep) if any(d["name"].startswith("la_core.") for d in x["devices"])]
got = calls_by_entry(core_sites)
check(got == {ep: NC for ep in C["core_la"]},
      f"core_other: calls on la_core.* per entry point (nested included) == {NC} each of {C['core_la']} "
      f"(got {got})")
outer = sorted((x["entry_point"], x["count"], nested_of(x)) for x in core_sites)
check(outer == [("iommu_probe_device", NC, sorted((ep, NC) for ep in C["core_la"][1:]))],
      f"core_other: one site, iommu_probe_device {NC} calls, {C['core_la'][1:]} nested in it (got {outer})")
check(core_sites and all(x["group"] == "core" and x["core_path"] == "device add (iommu_bus_notifier)"
                         and x["lock_state"] == "held_by_other" and x["severity"] == "high"
                         for x in core_sites),
      "core_other: every la_core.* site: core group, device add, held by other, severity high "
      f"({[(x['entry_point'], x['group'], x['lock_state'], x['severity']) for x in core_sites]})")
check(core_sites and all(x["holder"]["comm"] == "la_core_holder" and x["holder"]["pid"] > 0
                         for x in core_sites),
      f"core_other: holder named la_core_holder ({[x['holder'] for x in core_sites]})")
check(sorted({d["name"] for x in core_sites for d in x["devices"]}) == [f"la_core.{i}" for i in range(NC)],
      "core_other: the devices are la_core.0..2")
ctext = section("core-text")
m = re.search(r"^IOMMU CORE racing a lock holder.*?(?=^\S)", ctext, re.M | re.S)
race_lines = re.findall(r"^  device add \(iommu_bus_notifier\): (\d+) calls? while pid \d+ "
                        r"\(la_core_holder\) held the device lock$", m.group(0) if m else "", re.M)
check(m is not None and ctext.index("IOMMU CORE racing") < ctext.index("DRIVERS calling")
      and sorted(int(n) for n in race_lines) == [NC],
      f"core_other: text section 'IOMMU CORE racing a lock holder' above the drivers, one line "
      f"(iommu_probe_device, the rest nested) with {NC} calls and the holder (got {race_lines})")
inside = f"      inside: {', '.join(f'{ep} {NC}' for ep in sorted(C['core_la'][1:]))}"
check(len(C["core_la"]) == 1 or re.search(rf"^{re.escape(inside)}\r?$", m.group(0) if m else "", re.M),
      f"core_other: the text lists the nested calls ({inside.strip()})")

# ---- phase 5: drops forced (test build, LA_TEST_FILL=mods,inflight) ----
# la_test loaded and removed once: its load and unload records both lost;
# every call on an entry point whose exit is hooked (--races) untracked
rep = json.loads(section("drops"))
validate(rep, "report.schema.json")
check(re.search(r"^run5 exit 0$", text, re.M) is not None, "drops: run exits 0")
check(len(re.findall(r"^lockaudit: test build: map (mods|inflight) filled \((\d+) of \2 entries: "
                     r"Argument list too long\)\r?$", text, re.M)) == 2,
      "drops: the test build filled mods and inflight to their max_entries")
d = rep["totals"]["dropped"]
tracked = sum(sum(h["calls"].values()) for h in rep["hooks"]
              if h["attach"] != "absent" and "exit not hooked" not in h["reason"])
check(d["modules"] == 2, f"drops: dropped.modules == 2 (la_test's load and unload) (got {d['modules']})")
check(d["tracking"] == tracked,
      f"drops: dropped.tracking == calls on entry points with the exit hooked: {d['tracking']} == {tracked}")
check((d["sites"], d["events"], d["stack_errors"], d["concurrent"], d["names"], d["paths"]) ==
      (0, 0, 0, 0, 0, 0), f"drops: nothing else dropped {d}")
check_missed(rep, "drops")
# not vacuous: la_test's U calls at E are there, and tracked where an exit
# can be hooked (not with arm64 kprobes: a kretprobe hides the caller)
he = hook(rep, E)
e_tracked = he["attach"] != "absent" and "exit not hooked" not in he["reason"]
check(he["calls"]["unlocked"] == U and e_tracked == (he["attach"] == "fentry" or arch == "x86_64"),
      f"drops: {E} has la_test's {U} unlocked calls ({he['calls']}), tracked: {e_tracked} ({he['attach']})")

# ---- phase 6: rules as data (la_test rules=R, tests/e2e/la_test.rules) ----
# Every kind of call R times from its own caller: per (rule, caller) one
# lock state and exactly R calls. Other code calls find_vma and
# rtnl_is_locked too: only la_test's sites are counted exactly here; the
# NULL on the path (device_match_name on the bus device, which has no
# parent) is the only one in the run: dropped.paths == R.
R = 3
RULE_SRC = {6: ("device_match_name", "lockdep_assert_held(&dev->parent->mutex)", "any"),
            8: ("rtnl_is_locked", "ASSERT_RTNL()", "any"),
            10: ("find_vma", "mmap_assert_locked(mm)", "any"),
            11: ("find_vma", "mmap_assert_write_locked(mm)", "write")}
# (rule line, la_test caller) -> (lock state, severity, holder kthread)
RULE_SITES = {
    (6, "la_path_held"): ("held", "none", None),
    (6, "la_path_unlocked"): ("unlocked", "high", None),
    (6, "la_path_other"): ("held_by_other", "high", "la_path_holder"),
    (8, "la_rtnl_held"): ("held", "none", None),
    (8, "la_rtnl_unlocked"): ("unlocked", "high", None),
    (8, "la_rtnl_other"): ("held_by_other", "high", "la_rtnl_holder"),
    (10, "la_vma_write"): ("held", "none", None),
    (11, "la_vma_write"): ("held", "none", None),
    (10, "la_vma_read"): ("read_held", "none", None),
    (11, "la_vma_read"): ("read_held", "high", None),
    (10, "la_vma_unlocked"): ("unlocked", "high", None),
    (11, "la_vma_unlocked"): ("unlocked", "high", None),
    (10, "la_vma_other"): ("held_by_other", "high", "la_mm_holder"),
    (11, "la_vma_other"): ("held_by_other", "high", "la_mm_holder"),
}
RULES_CELLS = ("x86_64/6.1", "x86_64/6.12", "x86_64/7.3", "x86_64/7.3-rt", "arm64/7.3")
cell_name = f"{arch}/{kver}"
rule_modes = (("auto", "kprobe") if cell_name in ("x86_64/7.3", "x86_64/7.3-rt", "arm64/7.3")
              else ("auto",) if cell_name in RULES_CELLS else ())
for mode in rule_modes:
    lab = f"rules-{mode}"
    rep = json.loads(section(lab))
    validate(rep, "report.schema.json")
    check(re.search(rf"^run6-{mode} exit 0$", text, re.M) is not None, f"{lab}: run exits 0")
    m = re.search(rf"^phase6-{mode}: la_test: rules={R} done={11 * R} path_holder=(\d+) "
                  r"rtnl_holder=(\d+) mm_holder=(\d+)\r?$", text, re.M)
    check(m is not None, f"{lab}: la_test made its {11 * R} calls and started three holders")
    pids = dict(zip(("la_path_holder", "la_rtnl_holder", "la_mm_holder"),
                    (int(x) for x in m.groups()))) if m else {}
    want_attach = C["auto"] if mode == "auto" else "kprobe"
    got_hooks = [(h["function"], h["attach"], h.get("rule", {}).get("source")) for h in rep["hooks"]]
    check(got_hooks == [(RULE_SRC[n][0], want_attach, f"/add/la_test.rules:{n}") for n in (6, 8, 10, 11)],
          f"{lab}: the four rules, in file order, attached {want_attach}: {got_hooks}")
    got = {}
    for x in all_sites(rep):
        if x.get("module") != "la_test" or not x["function"].startswith("la_"):
            continue
        n = int(x["rule"]["source"].rsplit(":", 1)[1])
        key = (n, x["function"])
        holder = x.get("holder", {})
        st = (x["lock_state"], x["severity"], holder.get("comm"), holder.get("pid"),
              x["rule"]["assertion"], x["rule"]["hold"], x["registered"], x["devices"],
              x["iommu_probe_device_lock"], x["entry_point"])
        prev = got.get(key)
        # sites of one (rule, caller) must agree on everything but count
        got[key] = (got.get(key, (0,))[0] + x["count"],) + (st if prev is None or prev[1:] == st
                                                             else ("mixed", prev[1:], st))
    want = {}
    for (n, fn), (state, sev, hold_comm) in RULE_SITES.items():
        want[(n, fn)] = (R, state, sev, hold_comm, pids.get(hold_comm) if hold_comm else None,
                         RULE_SRC[n][1], RULE_SRC[n][2], None, [], "absent", RULE_SRC[n][0])
    check(got == want, f"{lab}: la_test's {len(want)} sites exactly, by rule and caller "
          "(count, state, severity, holder, rule, no device)",
          f"got  {sorted(got.items())}\n       want {sorted(want.items())}")
    d = rep["totals"]["dropped"]
    check(d["paths"] == R, f"{lab}: dropped.paths == {R} (la_path_null: NULL on the path) ({d['paths']})")
    check((d["sites"], d["events"], d["stack_errors"], d["concurrent"], d["names"]) == (0, 0, 0, 0, 0),
          f"{lab}: nothing else dropped {d}")
    # every task calls find_vma: its skipped runs are others' (la_test's
    # sites are exact above)
    check_missed(rep, lab, busy=True)
    # the same sites as Prometheus sees them (run --metrics, scraped with
    # wget): one violation series per (rule, caller), exactly R calls each
    mt = section(f"metrics-{mode}")
    series = {}
    for ln in mt.splitlines():
        mm = re.match(r'^lockaudit_violations_total\{module="la_test",function="(la_[a-z_]+)",'
                      r'entry_point="([a-z_]+)",lock_state="([a-z_]+)",severity="([a-z]+)",'
                      r'group="driver",path="",rule="/add/la_test\.rules:(\d+)"\} (\d+)$', ln)
        if mm:
            series[(int(mm.group(5)), mm.group(1))] = (int(mm.group(6)), mm.group(3), mm.group(4), mm.group(2))
    want_m = {k: (R, v[0], v[1], RULE_SRC[k[0]][0]) for k, v in RULE_SITES.items() if v[1] != "none"}
    check(re.search(rf"^metrics-{mode} wget exit 0\r?$", text, re.M) is not None and
          mt.rstrip().endswith("# EOF") and series == want_m,
          f"{lab}: /metrics (OpenMetrics, scraped in the guest): la_test's {len(want_m)} violation "
          "series, exactly, by rule and caller",
          f"got {sorted(series.items())}\n       want {sorted(want_m.items())}")
    rt = section(f"rules-text-{mode}")
    check("lockaudit: locking rules (4)" in rt and
          "rule find_vma: mmap_assert_write_locked(mm) (/add/la_test.rules:11)" in rt and
          "held for read (by the caller or another task: readers are not recorded)" in rt,
          f"{lab}: the text report names the rules and the read hold")

# ---- phase 6b: rules on a module's functions (tests/e2e/module.rules) ----
# e1000e's probe and remove, resolved from the module's BTF, the NIC unbound
# and bound once: exactly one call each, the device lock held by the driver
# core (from the PCI core's local_pci_probe and pci_device_remove), no
# violation, nothing dropped.
for mode in rule_modes:
    lab = f"module-rules-{mode}"
    rep = json.loads(section(lab))
    validate(rep, "report.schema.json")
    check(re.search(rf"^run6b-{mode} exit 0$", text, re.M) is not None, f"{lab}: run exits 0")
    want_attach = C["auto"] if mode == "auto" else "kprobe"
    got_hooks = [(h["function"], h["attach"], h["rule"]["source"],
                  (h["calls"]["held"], h["calls"]["unlocked"], h["calls"]["held_by_other"],
                   h["calls"]["read_held"])) for h in rep["hooks"]]
    want_hooks = [(fn, want_attach, f"/add/module.rules:{n}", (1, 0, 0, 0))
                  for fn, n in (("e1000_probe", 4), ("e1000_remove", 5))]
    check(got_hooks == want_hooks,
          f"{lab}: e1000_probe and e1000_remove attached {want_attach}, one held call each",
          f"got {got_hooks}")
    held = sorted((x["entry_point"], x["function"], x["count"], x["lock_state"], x["severity"],
                   x["rule"]["assertion"]) for x in rep["held"])
    want_held = [("e1000_probe", "local_pci_probe", 1, "held", "none", "device_lock_assert(&pdev->dev)"),
                 ("e1000_remove", "pci_device_remove", 1, "held", "none",
                  "device_lock_assert(&pdev->dev)")]
    check(held == want_held and not rep["drivers"] and not rep["core"] and not rep["unclassified"],
          f"{lab}: two held sites (probe from local_pci_probe, remove from pci_device_remove), "
          "no violation", f"got {held}, drivers {rep['drivers']}")
    d = rep["totals"]["dropped"]
    check(all(d[k] in (0, None) for k in d), f"{lab}: nothing dropped {d}")

# the example rule files, resolved against this kernel's BTF and kallsyms
# (no BPF): exit 0, every rule resolved, but for functions this kernel
# lacks (iommu_setup_default_domain is 6.6+)
for f, funcs in (("iommu-group", ["iommu_setup_default_domain"]), ("mmap", ["find_vma"]),
                 ("pci-reset", ["pci_reset_function_locked"]),
                 ("rtnl", ["rtnl_is_locked", "__netdev_notify_peers", "netdev_rx_handler_unregister"])
                 ) if cell_name in RULES_CELLS else ():
    doc = json.loads(section(f"rules-check-{f}"))
    st = [(r["function"], r["status"]) for r in doc["rules"]]
    want = [(fn, "absent" if (fn == "iommu_setup_default_domain" and kver in ("6.1", "6.1-rt")) else "resolved")
            for fn in funcs]
    check(re.search(rf"^rules-check {f}.rules exit 0$", text, re.M) is not None and st == want,
          f"rules {f}.rules: exit 0, {want} (got {st}; {section(f'rules-check-err-{f}').strip()})")

# ---- phase 7: 256 rules at once (x86_64 7.3: run.sh made candidates) ----
# All 256 rules attached with --attach kprobe (the one kprobe program, the
# rule's slot its cookie); a run with the first 64 attaches every one, an
# fentry clone each where the trampoline takes the function, else the
# kprobe (the reason says why not fentry), none absent.
if cell_name == "x86_64/7.3":
    check(re.search(r"^scale: 256 rules\r?$", text, re.M) is not None,
          "scale: 256 candidate rules that ftrace and kprobes can attach to")
    rules = [ln.split(":")[0] for ln in section("scale-rules").splitlines() if ln.strip()]
    doc = json.loads(section("scale-probes-kprobe"))
    validate(doc, "probes.schema.json")
    got = [(h["function"], h["attach"], h["rule"]["source"]) for h in doc["hooks"]]
    bad = [g for g in got if g[1] != "kprobe"]
    check(re.search(r"^scale-probes-kprobe exit 0\r?$", text, re.M) is not None and
          [g[0] for g in got] == rules and not bad and
          [g[2] for g in got] == [f"/tmp/scale.rules:{i}" for i in range(1, 257)],
          "scale: probes --attach kprobe: all 256 rules attached, in file order",
          f"not kprobe: {bad[:5]} ({section('scale-err-kprobe').strip()[:400]})")
    rep = json.loads(section("scale-run"))
    validate(rep, "report.schema.json")
    hooks = [(h["function"], h["attach"], h["reason"], h["rule"]["source"]) for h in rep["hooks"]]
    odd = [h for h in hooks if not ((h[1] == "fentry" and h[2] == "") or
                                    (h[1] == "kprobe" and h[2].startswith("fentry: ")))]
    nfe = sum(h[1] == "fentry" for h in hooks)
    check(re.search(r"^scale-run exit 0\r?$", text, re.M) is not None and
          [h[0] for h in hooks] == rules[:64] and not odd and
          [h[3] for h in hooks] == [f"/tmp/scale64.rules:{i}" for i in range(1, 65)],
          f"scale: run --rules with 64 rules: every one attached ({nfe} fentry clones, "
          f"{64 - nfe} kprobes where fentry could not: the reason says why)",
          f"neither: {odd[:5]}")

# ---- hostile environments ----
# the message is the line right after the exit status (the guest cats it);
# kernel messages may come between them on the console
check(re.search(r"^kptr exit 6\r?\n(?:\[[ \d.]+\][^\n]*\n)*lockaudit: kernel addresses are "
                r"hidden in /proc/kallsyms \(kernel\.kptr_restrict=2\): run 'sysctl "
                r"kernel\.kptr_restrict=1' as root\r?$", text, re.M) is not None,
      "kptr_restrict=2: exit 6, one line naming the sysctl")
check(re.search(r"^nohooks exit 8$", text, re.M) is not None, "only absent hooks selected: exit 8")

T.done()
