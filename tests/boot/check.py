#!/usr/bin/env python3
"""Assertions for tests/boot/run.sh (real Debian initramfs boot).

Usage: check.py CONSOLE_LOG CONSOLE_LOG_OFF INITRD_DIR INITRD_LIST

CONSOLE_LOG is the audited boot, CONSOLE_LOG_OFF the one with lockaudit=off.

INITRD_DIR is the unpacked initramfs (unmkinitramfs), INITRD_LIST its file
list.  Prints one line per check and a final "N passed, N failed"; exits 1
if any check failed.
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, BOOT, validate  # noqa: E402

log_path, off_path, initrd_dir, list_path = sys.argv[1:5]
T = Checks(path=off_path, **BOOT)
files = open(list_path).read().split("\n")
check, section, finish, text = T.check, T.section, T.done, T.text


# ---- the initramfs Debian's mkinitramfs built ------------------------------
def in_initrd(suffix):
    return any(f.endswith(suffix) for f in files)


check(in_initrd("usr/sbin/lockaudit"), "initramfs holds usr/sbin/lockaudit (hook ran)")
check(in_initrd("scripts/init-top/lockaudit"), "initramfs holds scripts/init-top/lockaudit")
for mod in ("e1000e.ko", "virtio_blk.ko", "virtio_pci.ko"):
    check(in_initrd("/" + mod), f"initramfs holds {mod} (MODULES=most)")
order = None
for cand in ("scripts/init-top/ORDER", "main/scripts/init-top/ORDER"):
    p = os.path.join(initrd_dir, cand)
    if os.path.exists(p):
        order = [re.sub(r"^/scripts/init-top/(\S+).*", r"\1", l)
                 for l in open(p).read().splitlines() if l.startswith("/scripts/init-top/")]
check(order is not None and "lockaudit" in order and "udev" in order
      and order.index("lockaudit") < order.index("udev"),
      f"init-top ORDER runs lockaudit before udev {order}")

# ---- the boot with lockaudit=off: nothing attached, the boot unaffected -----
print("  -- lockaudit=off")
if check("@@DONE" in text, "lockaudit=off: the root's /sbin/init ran to the end",
         "last console lines:\n" + "\n".join(text.splitlines()[-25:])):
    d = section("dmesg") or ""
    check("lockaudit: disabled on the kernel command line (lockaudit=off)" in d,
          "lockaudit=off: kernel log says disabled",
          "\n       ".join(l for l in d.splitlines() if "lockaudit" in l))
    check("No such file" in (section("pinned") or ""), "lockaudit=off: nothing pinned",
          (section("pinned") or "").strip())
    rc = re.search(r"^@@COLLECT_RC (\d+)", text, re.M)
    check(rc is not None and rc.group(1) == "11",
          f"lockaudit=off: collect exits 11, nothing pinned (got {rc and rc.group(1)})")
    check(re.search(r"^e1000e ", section("modules") or "", re.M) is not None,
          "lockaudit=off: e1000e loaded all the same")

# ---- the audited boot -------------------------------------------------------
print("  -- audited boot")
T.text = text = T.read(log_path)
if not check("@@DONE" in text, "the root's /sbin/init ran to the end",
             "last console lines:\n" + "\n".join(text.splitlines()[-25:])):
    finish()

bootlog = section("bootlog") or ""
for l in bootlog.strip().splitlines():
    print(f"  info /run/initramfs/lockaudit.log: {l}")
dmesg = section("dmesg") or ""
la = [l for l in dmesg.splitlines() if "lockaudit:" in l]
check(any("attached before udev" in l for l in la), "kernel log: attached in the initramfs",
      "\n       ".join(la) or "no lockaudit line in dmesg")


def stamp(line):
    m = re.match(r"\[\s*([0-9.]+)\]", line)
    return float(m.group(1)) if m else None


t_la = next((stamp(l) for l in dmesg.splitlines() if "attached before udev" in l), None)
t_nic = next((stamp(l) for l in dmesg.splitlines() if re.search(r"\be1000e\b", l)), None)
check(t_la is not None and t_nic is not None and t_la < t_nic,
      f"kernel log: lockaudit attached ({t_la} s) before e1000e's first message ({t_nic} s)")
mods = section("modules") or ""
check(re.search(r"^e1000e ", mods, re.M) is not None, "e1000e loaded (by the initramfs's udev: the root has no modules)")

nics = [l.strip() for l in (section("e1000e") or "").splitlines() if l.strip()]
check(len(nics) == 1, f"one PCI device bound to e1000e {nics}")
disks = [l.strip() for l in (section("virtio") or "").splitlines() if l.strip()]
check(len(disks) >= 1, f"PCI device(s) bound to virtio-pci {disks}")

rc = re.search(r"^@@BOOT_AGAIN_RC (\d+)", text, re.M)
check(rc is not None and rc.group(1) == "10",
      f"a second lockaudit boot exits 10, already attached (got {rc and rc.group(1)})",
      (section("boot-again") or "").strip())
rc = re.search(r"^@@COLLECT_RC (\d+)", text, re.M)
check(rc is not None and rc.group(1) == "0", f"lockaudit collect --json --detach exits 0 (got {rc and rc.group(1)})",
      (section("collect") or "")[-2000:])
raw = section("json") or ""
try:
    rep = json.loads(raw)
except ValueError as e:
    check(False, "the JSON report parses", f"{e}: {raw[:300]!r}")
    finish()
check(rep.get("schema") == "lockaudit.report/2", "schema lockaudit.report/2")
ok, out, err = validate(json.dumps(rep), python=sys.executable)
check(ok, "report validates against docs/report.schema.json", (out + err).strip())

hooks = {h["function"]: h for h in rep.get("hooks", [])}
attached = sorted(f for f, h in hooks.items() if h["attach"] in ("fentry", "kprobe"))
check(len(attached) > 0, f"hooks attached: {', '.join(attached)}")
for fn in ("pci_dma_configure", "acpi_dma_configure_id"):
    check(fn in attached, f"{fn} attached ({hooks.get(fn, {}).get('attach')})")


def held_sites(entry, driver, names=None):
    """Sites of calls at entry, device lock held by the caller, whose example
    devices include a PCI device bound to driver (one of names, if given).
    A site aggregates identical stacks: e.g. every driver registered from a
    module's init (tail call into pci_register_driver) shares one, so the
    count is the site's, not the device's."""
    return [s for s in rep.get("held", [])
            if s["entry_point"] == entry and s["lock_state"] == "held"
            and any(d["bus"] == "pci" and d["driver"] == driver
                    and (names is None or d["name"] in names) for d in s["devices"])]


def count(ss):
    return sum(s["count"] for s in ss)


nic_pci = held_sites("pci_dma_configure", "e1000e", nics)
check(count(nic_pci) >= 1,
      f"pci_dma_configure held by the caller for the e1000e device {nics}: "
      f"{len(nic_pci)} site(s), {count(nic_pci)} call(s)")
nic_acpi = held_sites("acpi_dma_configure_id", "e1000e", nics)
check(count(nic_acpi) >= 1,
      f"acpi_dma_configure_id held by the caller for the e1000e device: "
      f"{len(nic_acpi)} site(s), {count(nic_acpi)} call(s)")
disk_pci = held_sites("pci_dma_configure", "virtio-pci", disks)
check(count(disk_pci) >= 1,
      f"pci_dma_configure held by the caller for the virtio disk {disks}: "
      f"{len(disk_pci)} site(s), {count(disk_pci)} call(s)")
uniq = {id(s): s for s in nic_pci + nic_acpi + disk_pci}.values()
pci_uniq = {id(s): s for s in nic_pci + disk_pci}.values()
t = rep.get("totals", {})
check(t.get("calls_audited", 0) >= count(uniq) and t.get("held", 0) >= count(uniq),
      f"totals cover these sites (calls_audited {t.get('calls_audited')}, held {t.get('held')} "
      f">= {count(uniq)})")
pcd = hooks.get("pci_dma_configure", {}).get("calls", {})
check(pcd.get("held", 0) >= count(pci_uniq),
      f"pci_dma_configure hook counter (held {pcd.get('held')}) >= its e1000e/virtio sites ({count(pci_uniq)})")

after = section("after-detach") or ""
check("No such file" in after or after.strip().startswith("bpffs: empty") or "bpffs:" in after and "lockaudit" not in after.split("bpffs:")[1],
      "collect --detach removed /sys/fs/bpf/lockaudit", after.strip())
finish()
