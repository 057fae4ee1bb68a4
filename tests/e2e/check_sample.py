#!/usr/bin/env python3
"""Boot sample on a 7.x kernel with no buggy driver (tests/e2e/guest-sample.sh).

Usage: check_sample.py CONSOLE_LOG CELL
The IOMMU's registration probes every present device through the core
(probe_iommu_group -> __iommu_probe_device -> bus dma_configure), unlocked
by design. Here another task (la_test's la_pci_holder) holds every PCI
device's lock meanwhile, so each PCI device the IOMMU takes into a group is
configured by the core while a lock holder works on it: the 2025 race
class, severity high, the holder named, its own text section. Platform
devices (not held) stay by design (info). No driver finding at all.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks  # noqa: E402

T = Checks(f"{sys.argv[2]} (sample)", path=sys.argv[1])
check, text = T.check, T.text
rep = json.loads(T.section("sample"))
groups = int(re.search(r"^pci devices in iommu groups: (\d+)$", text, re.M).group(1))
held_bdfs = re.search(r"^held pci: (\S+)$", text, re.M).group(1).split(",")
check(re.search(r"^collect exit 0$", text, re.M), "collect --detach exits 0")
check(rep["drivers"] == [] and rep["unclassified"] == [], "no driver finding, nothing unclassified")
core = {g["path"]: g for g in rep["core"]}
reg = core.get("IOMMU registration (probe_iommu_group)")
check(set(core) == {"IOMMU registration (probe_iommu_group)"},
      f"the only core path is the IOMMU registration ({sorted(core)})")
sites = reg["sites"] if reg else []
pci = [s for s in sites if {d["bus"] for d in s["devices"]} == {"pci"}]
plat = [s for s in sites if {d["bus"] for d in s["devices"]} == {"platform"}]
check(len(pci) + len(plat) == len(sites), "every registration site is on one bus (pci or platform)")
# PCI: every grouped device configured once by the core, its lock held by
# la_pci_holder: pci_dma_configure outermost, acpi_dma_configure_id and
# iommu_fwspec_init inside it (one violation per device)
got = sorted((s["entry_point"], s["lock_state"], s["severity"], s["holder"]["comm"] if "holder" in s else None,
              s["count"], tuple((n["entry_point"], n["count"]) for n in s.get("nested", []))) for s in pci)
want = [("pci_dma_configure", "held_by_other", "high", "la_pci_holder", groups,
         (("acpi_dma_configure_id", groups), ("iommu_fwspec_init", groups)))]
check(got == want, f"PCI devices configured by the core while la_pci_holder held them: {want} (got {got})")
check(all(d["name"] in held_bdfs for s in pci for d in s["devices"]),
      "...on held PCI devices only")
check(plat and all(s["lock_state"] == "unlocked" and s["severity"] == "info" for s in plat),
      f"platform devices (not held): by design, info ({[(s['entry_point'], s['count']) for s in plat]})")
held = [s for s in rep["held"] if s["entry_point"] == "pci_dma_configure"
        and any(d["driver"] == "e1000e" for d in s["devices"])]
check(sum(s["count"] for s in held) == 1, "e1000e's probe (after la_test let go): pci_dma_configure once, lock held")
t = rep["totals"]
check(t["violations"] == sum(s["count"] for s in sites) and t["dropped"]["sites"] == 0,
      f"every violation is the core's, counted by outermost call ({t['violations']})")
m = re.search(r"^IOMMU CORE racing a lock holder.*?(?=^\S)", text, re.M | re.S)
lines = re.findall(r"^  IOMMU registration \(probe_iommu_group\): (\d+) calls? while pid \d+ "
                   r"\(la_pci_holder\) held the device lock$", m.group(0) if m else "", re.M)
check(lines == [str(groups)], f"text: the IOMMU core racing la_pci_holder, {groups} calls, above the drivers "
      f"(got {lines})")
T.done()
