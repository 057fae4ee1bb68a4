#!/usr/bin/env python3
"""Boot sample on a 7.x kernel with no buggy driver (tests/e2e/guest-sample.sh).

Usage: check_sample.py CONSOLE_LOG CELL
The IOMMU's registration probes every present device through the core
(probe_iommu_group -> __iommu_probe_device -> bus dma_configure), unlocked
by design: the report must show that as the core group with exact per-path
counts, and no driver finding at all.
"""
import json
import re
import sys

from common import Checks

T = Checks(f"{sys.argv[2]} (sample)", open(sys.argv[1], errors="replace").read())
check, text = T.check, T.text
rep = json.loads(T.section("sample"))
groups = int(re.search(r"^pci devices in iommu groups: (\d+)$", text, re.M).group(1))
check(re.search(r"^collect exit 0$", text, re.M), "collect --detach exits 0")
check(rep["drivers"] == [] and rep["unclassified"] == [], "no driver finding, nothing unclassified")
core = {g["path"]: g for g in rep["core"]}
reg = core.get("IOMMU registration (probe_iommu_group)")
check(reg is not None, f"core group names the IOMMU registration path ({sorted(core)})")
sites = reg["sites"] if reg else []
per = {}
for s in sites:
    bus = {d["bus"] for d in s["devices"]}
    check(len(bus) == 1 and s["lock_state"] == "unlocked" and s["severity"] == "info",
          f"registration site at {s['entry_point']}: one bus {bus}, unlocked, info")
    k = (s["entry_point"], bus.pop() if len(bus) == 1 else "?")
    per[k] = per.get(k, 0) + s["count"]
# every PCI device the IOMMU took into a group was configured once by the core
check(per.get(("pci_dma_configure", "pci")) == groups and
      per.get(("acpi_dma_configure_id", "pci")) == groups,
      f"pci_dma_configure and acpi_dma_configure_id once per grouped PCI device ({groups}): {per}")
check(sum(g["violations"] for g in rep["core"]) == sum(per.values()),
      "the core group's count is the sum of its paths")
held = [s for s in rep["held"] if s["entry_point"] == "pci_dma_configure"
        and any(d["driver"] == "e1000e" for d in s["devices"])]
check(sum(s["count"] for s in held) == 1, "e1000e's probe: pci_dma_configure once, lock held")
t = rep["totals"]
check(t["violations"] == sum(per.values()) and t["dropped"]["sites"] == 0,
      f"every violation is the core's ({t['violations']})")
T.done()
