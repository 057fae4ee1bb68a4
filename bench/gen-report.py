#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""gen-report.py - write a big, valid lockaudit.report/1 JSON file for
bench/report-scale.sh (docs/report-scale.md).

  gen-report.py OUT --sites N [--modules M] [--devices D] [--frames F]
                [--races R] [--hooks H] [--seed S] [--drivers-only]

Sites are distinct (each has its own stack); with --drivers-only all are
driver sites spread over M modules (the 8,192-sites-in-50-modules shape),
otherwise 70% driver, 15% core, 5% unclassified, 10% held. Every site
carries D example devices (at most 16, as lockaudit keeps). Deterministic
for a given seed.
"""
import argparse
import json
import random

STATES = ["unlocked", "held_by_other"]
ENTRIES = ["acpi_dma_configure_id", "of_dma_configure_id",
           "iommu_probe_device", "pci_dma_configure", "platform_dma_configure"]
CORE = ["bus_iommu_probe", "iommu_device_register", "iommu_probe_device",
        "of_iommu_configure", "acpi_iommu_configure_id"]
TAIL = ["really_probe+0x19c", "__driver_probe_device+0x78",
        "driver_probe_device+0x1f", "__driver_attach+0xe0",
        "bus_for_each_dev+0x7c", "bus_add_driver+0x112",
        "driver_register+0x55", "do_one_initcall+0x56",
        "do_init_module+0x60", "load_module+0x2293",
        "__do_sys_finit_module+0xac", "do_syscall_64+0x5d",
        "entry_SYSCALL_64_after_hwframe+0x6e"]


def devices(rng, n, mod):
    out = []
    for i in range(n):
        out.append({"name": "0000:%02x:%02x.%d" % (rng.randrange(256),
                                                  rng.randrange(32), i % 8),
                    "bus": "pci",
                    "driver": mod if i % 3 else None,
                    "registered": bool(i % 2)})
    return out


def severity(group, state, registered, probe_lock):
    """as la_severity() in user/attribute.c"""
    if state == "held":
        return "none"
    if group == "core":
        return "info"
    if not registered:
        return "low"
    return "medium" if probe_lock == "held" else "high"


def site(rng, i, group, mod, a):
    state = "held" if group == "held" else STATES[i % 7 == 0]
    fn = "%s_probe_%d" % (mod, i)
    caller = "%s+0x%x [%s]" % (fn, 16 + i % 200, mod)
    stack = ["%s+0x%x" % (ENTRIES[i % len(ENTRIES)], 0x40 + i % 64)]
    stack.append(caller if group in ("driver", "held") else
                 "core_helper_%d+0x%x" % (i, i % 97))
    stack += TAIL[:max(0, a.frames - 2)]
    first = round(rng.uniform(0, 1000), 6)
    s = {"entry_point": ENTRIES[i % len(ENTRIES)],
         "lock_state": state,
         "count": 1 + rng.randrange(1000),
         "counted_by_caller": 0,
         "group": "driver" if group == "held" else group,
         "severity": severity(group, state, bool(i % 5), ["absent", "held", "not_held"][i % 3]),
         "registered": bool(i % 5),
         "iommu_probe_device_lock": ["absent", "held", "not_held"][i % 3]}
    if group == "core":
        s["core_path"] = CORE[i % len(CORE)]
    if s["group"] == "driver":
        s.update(module=mod, function=fn, caller=caller)
    s.update(first_seen_s=first, last_seen_s=round(first + 1.5, 6))
    if state == "held_by_other":
        s["holder"] = {"pid": 100 + i % 900, "comm": "modprobe"}
    s.update(devices=devices(rng, a.devices, mod), stack=stack,
             stack_truncated=False)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--sites", type=int, required=True)
    p.add_argument("--modules", type=int, default=0)
    p.add_argument("--devices", type=int, default=4)
    p.add_argument("--frames", type=int, default=12)
    p.add_argument("--races", type=int, default=0)
    p.add_argument("--hooks", type=int, default=5)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--host", default="bench",
                   help="hostname of the run (a run is merged once: another host to merge copies)")
    p.add_argument("--drivers-only", action="store_true")
    a = p.parse_args()
    a.devices = min(a.devices, 16)
    rng = random.Random(a.seed)
    nmod = a.modules or max(50, a.sites // 160)
    drivers, core, held, uncl = {}, {}, [], []
    for i in range(a.sites):
        k = i % 20
        group = ("driver" if a.drivers_only or k < 14 else
                 "core" if k < 17 else "unclassified" if k == 17 else "held")
        mod = "mod%d" % (i % nmod)
        s = site(rng, i, group, mod, a)
        if group == "driver":
            drivers.setdefault(mod, []).append(s)
        elif group == "core":
            core.setdefault(s["core_path"], []).append(s)
        elif group == "held":
            held.append(s)
        else:
            uncl.append(s)
    hooks = [{"function": ENTRIES[i] if i < len(ENTRIES) else "hook_%d" % i,
              "attach": "fentry", "reason": "",
              "calls": {"held": 10, "unlocked": 5, "held_by_other": 1}}
             for i in range(a.hooks)]
    races = []
    for i in range(a.races):
        races.append({
            "entry_point": ENTRIES[i % len(ENTRIES)], "count": 1 + i % 9,
            "first_seen_s": 1.0, "last_seen_s": 2.0,
            "device": {"name": "dev%d" % i, "bus": "pci", "driver": None,
                       "registered": True},
            "tasks": [{"role": role, "pid": 10 + t, "comm": "udev",
                       "entry_point": ENTRIES[(i + t) % len(ENTRIES)],
                       "stack": ["race_fn_%d_%d+0x10" % (i, t)] + TAIL[:8]}
                      for t, role in enumerate(("inside", "entering"))]})
    rep = {"schema": "lockaudit.report/1",
           "generator": {"name": "lockaudit", "version": "0.1.0"},
           "kernel": "6.1.0-bench", "arch": "x86_64", "hostname": a.host,
           "started": "2026-01-01T00:00:00Z", "duration_s": 60.0,
           "sources": 1, "hooks": hooks,
           "totals": {"calls_audited": 0, "held": 0, "violations": 0,
                      "unlocked": 0, "held_by_other": 0,
                      "dropped": {"sites": 0, "events": 0,
                                  "stack_errors": 0, "concurrent": 0}},
           "concurrent": races,
           "drivers": [{"module": m, "violations": 0, "sites": v}
                       for m, v in drivers.items()],
           "core": [{"path": c, "violations": 0, "sites": v}
                    for c, v in core.items()],
           "unclassified": uncl, "held": held}
    with open(a.out, "w") as f:
        json.dump(rep, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
