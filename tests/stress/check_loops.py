#!/usr/bin/env python3
"""tests/stress/loops.sh (x86_64 6.12): exact counts over RESCANS sysfs
remove+rescan cycles and BINDS unbind+bind cycles of the e1000e device.
  core "device add (iommu_bus_notifier)" at iommu_probe_device on the NIC == RESCANS
  held probe path (pci_dma_configure, acpi_dma_configure_id; really_probe on
  the stack; driver e1000e) == RESCANS + BINDS + 1 (insmod e1000e)
  no driver / unclassified finding, nothing dropped.
Usage: check_loops.py CONSOLE_LOG RESCANS BINDS"""
import os
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, STRESS, all_sites, describe, frames  # noqa: E402

log, NR, NB = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = Checks("loops", path=log, **STRESS)
rep = c.json_section("loops")
dev = c.value("DEV")
c.check(c.value("EXIT") == "0", f"lockaudit exit status 0 ({c.value('EXIT')})")
c.check(c.value("RESCANS") == str(NR) and c.value("BINDS") == str(NB),
        f"guest made {NR} rescans and {NB} binds ({c.value('RESCANS')}, {c.value('BINDS')})")
for k, n in (("RESCAN_S", NR), ("BIND_S", NB)):
    s = c.value(k)
    if s:
        c.note(f"{k[:-2].lower()} cycles: {n} in {s} s = {60 * n / max(float(s), 0.01):.0f}/min")
c.note(f"lockaudit VmHWM {c.value('HWM_KB')} kB")
if rep:
    for g, s in all_sites(rep):
        c.note(f"{g}: {describe(s)}")
    on_nic = lambda s: any(d["name"] == dev for d in s["devices"])
    core = [s for cg in rep["core"] if cg["path"] == "device add (iommu_bus_notifier)"
            for s in cg["sites"] if s["entry_point"] == "iommu_probe_device"]
    n = sum(s["count"] for s in core)
    c.check(core and all(on_nic(s) and len(s["devices"]) == 1 for s in core),
            f"core bus-notifier sites are on {dev} only")
    c.check(n == NR, f"core device add (iommu_bus_notifier) at iommu_probe_device == rescans: {n} == {NR}")
    for e in ("pci_dma_configure", "acpi_dma_configure_id"):
        held = [s for s in rep["held"] if s["entry_point"] == e and "really_probe" in frames(s)]
        n = sum(s["count"] for s in held)
        c.check(all(on_nic(s) and all(d["driver"] == "e1000e" for d in s["devices"]) for s in held),
                f"held {e} probe-path sites: device {dev}, driver e1000e")
        c.check(n == NR + NB + 1, f"held probe path at {e} == rescans + binds + 1: {n} == {NR + NB + 1}")
    other_core = [s for cg in rep["core"] for s in cg["sites"]
                  if s["entry_point"] not in ("iommu_probe_device",)]
    # 6.12: the core configures DMA from iommu_probe_device only; the
    # driver-probe configuration is held (above)
    c.check(not other_core, f"no other core sites ({[describe(s) for s in other_core]})")
    c.check(not rep["drivers"], f"no driver findings ({[d['module'] for d in rep['drivers']]})")
    c.check(not rep["unclassified"], f"no unclassified sites ({len(rep['unclassified'])})")
    d = rep["totals"]["dropped"]
    c.check(all(v == 0 for v in d.values()), f"nothing dropped {d}")
c.done()
