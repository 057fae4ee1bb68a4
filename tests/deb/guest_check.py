#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Assertions for tests/deb/guest.sh: the .deb on a Debian system booted
with systemd as PID 1.

Usage: guest_check.py CONSOLE_LOG CONSOLE_LOG_OFF INITRD

CONSOLE_LOG holds what tests/deb/guest-check.sh printed in the guest,
CONSOLE_LOG_OFF the same for the boot with lockaudit=off; INITRD
is the initramfs dpkg's update-initramfs trigger built in the root. Prints
one line per check and "N passed, N failed"; exits 1 if a check failed.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks, BOOT, validate  # noqa: E402

log_path, off_path, initrd = sys.argv[1:4]
T = Checks(path=log_path, **BOOT)
check, section, value, text = T.check, T.section, T.value, T.text

# What the boot audits, exactly: the q35 machine's PCI devices bound by the
# initramfs's udev or the root's (each probed once, lock held: one
# pci_dma_configure and one acpi_dma_configure_id per device), its platform
# devices (fw_cfg, iTCO_wdt, pcspkr, 3 parport_pc), la_test loaded by
# systemd-modules-load with unlocked=3 locked=2 (/etc/modprobe.d), and the
# IOMMU core's unlocked iommu_probe_device for each device added after the
# attach.
WANT_HOOKS = {  # entry point: (held, unlocked, held by another task)
    "pci_dma_configure": (6, 0, 0),
    "acpi_dma_configure_id": (10, 3, 0),
    "platform_dma_configure": (6, 0, 0),
    "iommu_probe_device": (0, 5, 0),
    "iommu_fwspec_init": (0, 0, 0),
}


def hook_counts(rep):
    return {h["function"]: (h["calls"]["held"], h["calls"]["unlocked"], h["calls"]["held_by_other"])
            for h in rep.get("hooks", []) if h["attach"] in ("fentry", "kprobe")}


def parse(name):
    raw = section(name) or ""
    try:
        return json.loads(raw)
    except ValueError as e:
        check(False, f"{name}: the JSON report parses", f"{e}: {raw[:300]!r}")
        return None


def show(name):
    return dict(l.split("=", 1) for l in (section(name) or "").split("\n") if "=" in l)


# ---- the initramfs update-initramfs built when dpkg installed the package ---
with tempfile.TemporaryDirectory() as d:
    p = subprocess.run(["unmkinitramfs", initrd, d], capture_output=True, text=True)
    check(p.returncode == 0, "unmkinitramfs reads the initramfs", p.stderr.strip())
    files = [os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs]
    order = []
    for cand in ("scripts/init-top/ORDER", "main/scripts/init-top/ORDER"):
        if os.path.exists(os.path.join(d, cand)):
            order = [re.sub(r"^/scripts/init-top/(\S+).*", r"\1", l)
                     for l in open(os.path.join(d, cand)).read().splitlines()
                     if l.startswith("/scripts/init-top/")]
check(any(f.endswith("usr/sbin/lockaudit") for f in files), "initramfs holds usr/sbin/lockaudit (the hook)")
check(any(f.endswith("scripts/init-top/lockaudit") for f in files), "initramfs holds scripts/init-top/lockaudit")
check("lockaudit" in order and "udev" in order and order.index("lockaudit") < order.index("udev"),
      f"init-top ORDER runs lockaudit before udev {order}")

# ---- the boot with lockaudit=off: nothing attached, the boot unaffected ----
print("  -- lockaudit=off")
T.text = text = T.read(off_path)
if check("@@DONE" in text, "lockaudit=off: la-check ran to the end",
         "last console lines:\n" + "\n".join(text.splitlines()[-25:])):
    off = (section("off-units") or "").split()
    check(sorted(off) == sorted(f"{k}={v}" for u in ("lockaudit-boot.service", "lockaudit.service")
                                for k, v in (("Id", u), ("ActiveState", "inactive"),
                                             ("ConditionResult", "no"))),
          f"lockaudit=off: both units skipped by ConditionKernelCommandLine {off}")
    lines = (section("off-kmsg") or "").strip().splitlines()
    check(len(lines) == 1 and lines[0].endswith(" lockaudit: disabled on the kernel command line (lockaudit=off)"),
          "lockaudit=off: the initramfs script's one kernel line says disabled", "\n       ".join(lines))
    check((section("off-journal-errors") or "").strip() == "-- No entries --",
          "lockaudit=off: no message of priority err or worse", (section("off-journal-errors") or "").strip())
    check(value("OFF_PINS") == ".", f"lockaudit=off: /sys/fs/bpf is empty ({value('OFF_PINS')})")
    check(value("OFF_COLLECT_RC") == "11", f"lockaudit=off: collect exits 11, nothing pinned (got {value('OFF_COLLECT_RC')})")
    check(len((section("off-e1000e") or "").split()) == 1, "lockaudit=off: e1000e bound all the same")
    check(re.search(r"^la_test ", section("off-modules") or "", re.M) is not None,
          "lockaudit=off: la_test loaded all the same")

# ---- the audited boot -------------------------------------------------------
print("  -- audited boot")
T.text = text = T.read(log_path)
if not check("@@DONE" in text, "la-check ran to the end",
             "last console lines:\n" + "\n".join(text.splitlines()[-25:])):
    T.done()
check((section("pid1") or "").strip() == "systemd", "PID 1 is systemd")
check((section("is-active") or "").split() == ["active"] * 3,
      "systemctl is-active lockaudit-boot.service lockaudit.service systemd-modules-load.service: active x3",
      (section("is-active") or "").strip())
b = show("show-boot")
check(b == {"Result": "success", "ExecMainStatus": "10", "ActiveState": "active"},
      "lockaudit-boot.service: success, exit 10 (already attached by the initramfs)", str(b))
r = show("show-run")
check(r == {"Result": "success", "ActiveState": "active", "SubState": "running", "NRestarts": "0"},
      "lockaudit.service: running, not restarted", str(r))
kmsg = (section("kmsg") or "").splitlines()


def stamp(line):
    m = re.match(r"\[\s*([0-9.]+)\]", line)
    return float(m.group(1)) if m else None


t_la = next((stamp(l) for l in kmsg if "lockaudit: attached before udev (/usr/sbin/lockaudit boot)" in l), None)
t_nic = next((stamp(l) for l in kmsg if re.search(r"\be1000e\b", l)), None)
check(t_la is not None and t_nic is not None and t_la < t_nic,
      f"journal (kernel): attached in the initramfs ({t_la} s) before e1000e's first message ({t_nic} s)")
bootlog = (section("bootlog") or "").strip()
check(re.match(r"lockaudit: \d+ entry points attached \(\d+ fentry, 0 kprobe\) and pinned under "
               r"/sys/fs/bpf/lockaudit", bootlog) is not None,
      "/run/initramfs/lockaudit.log: attached with fentry and pinned", bootlog)
units = section("journal-units") or ""
check("lockaudit: already attached (state pinned under /sys/fs/bpf/lockaudit)" in units,
      "journal: lockaudit-boot.service found the initramfs's state")
check(len(re.findall(r"adopted from /sys/fs/bpf/lockaudit", units)) == 1,
      "journal: lockaudit.service adopted the pinned state, once")
errs = (section("journal-errors") or "").strip()
check(errs == "-- No entries --", "journal: no message of priority err or worse in the whole boot", errs)
t_ml = [stamp(l) for l in kmsg if re.search(r"systemd\[1\]: (Starting|Finished) systemd-modules-load\.service", l)]
t_lt = [stamp(l) for l in kmsg if "la_test: unlocked=3 locked=2 other=0 entry=acpi ret_zero=5 ret_err=0" in l]
check(len(t_ml) == 2 and len(t_lt) == 1 and t_ml[0] < t_lt[0] < t_ml[1],
      f"systemd-modules-load loaded la_test (unlocked=3 locked=2, /etc/modprobe.d): {t_lt} within {t_ml}")
check(re.search(r"^la_test ", section("modules") or "", re.M) is not None, "la_test is loaded")
pins = (section("pinned") or "").split()
check("sites" in pins and "meta" in pins, f"pinned under /sys/fs/bpf/lockaudit: {' '.join(pins)}")
bound = [l.split() for l in (section("pci-bound") or "").splitlines() if l.strip()]
nics = [dev for dev, drv in bound if drv == "e1000e"]
check(len(nics) == 1, f"one PCI device bound to e1000e {nics}")

# ---- lockaudit collect ------------------------------------------------------
check(value("COLLECT_RC") == "0", f"lockaudit collect exits 0 (got {value('COLLECT_RC')})",
      (section("collect") or "")[-2000:])
rep = parse("json")
if rep is None:
    T.done()
ok, out, err = validate(json.dumps(rep), python=sys.executable)
check(ok, "collect's report validates against docs/report.schema.json", (out + err).strip())
hooks = hook_counts(rep)
for fn, want in WANT_HOOKS.items():
    check(hooks.get(fn) == want, f"{fn}: (held, unlocked, other) = {want} (got {hooks.get(fn)})")
check(hooks.get("pci_dma_configure", (0,))[0] == len(bound),
      f"pci_dma_configure held once per bound PCI device ({len(bound)}: "
      f"{', '.join(d + ' ' + v for d, v in bound)})")
t = rep["totals"]
want_t = [sum(v[i] for v in WANT_HOOKS.values()) for i in range(3)]
check([t["held"], t["unlocked"], t["held_by_other"]] == want_t and t["calls_audited"] == sum(want_t),
      f"totals: {sum(want_t)} calls, (held, unlocked, other) = {want_t} "
      f"(got {t['calls_audited']}, {[t['held'], t['unlocked'], t['held_by_other']]})")
check(all(v == 0 for v in t["dropped"].values()), f"nothing dropped {t['dropped']}")


def sites_with(entry, state, dev):
    return [s for s in rep["held"] + [x for d in rep["drivers"] for x in d["sites"]]
            if s["entry_point"] == entry and s["lock_state"] == state
            and any(d["name"] == dev for d in s["devices"])]


for nic in nics:
    for entry in ("pci_dma_configure", "acpi_dma_configure_id"):
        ss = sites_with(entry, "held", nic)
        check(len(ss) == 1 and ss[0]["caller"] == "do_one_initcall+0x59",
              f"e1000e {nic}: one {entry} site, lock held, probed from e1000e's module init "
              f"({[(s['caller'], s['count']) for s in ss]})")
drivers = {d["module"]: d for d in rep["drivers"]}
check(sorted(drivers) == ["la_test"], f"drivers calling without the lock: la_test only {sorted(drivers)}")
la = drivers.get("la_test", {"violations": None, "sites": []})
unl = [(s["entry_point"], s["function"], s["count"]) for s in la["sites"]]
check(la["violations"] == 3 and unl == [("acpi_dma_configure_id", "la_call_unlocked", 3)],
      f"la_test: 3 unlocked calls of acpi_dma_configure_id, culprit la_call_unlocked (got {unl})")
held = [(s["count"], s["caller"]) for s in rep["held"] if s.get("module") == "la_test"]
check(len(held) == 1 and held[0][0] == 2 and held[0][1].startswith("la_call_locked+"),
      f"la_test: 2 calls with the lock held, from la_call_locked (got {held})")
core = [(c["path"], c["violations"]) for c in rep["core"]]
check(core == [("device add (iommu_bus_notifier)", 5)],
      f"IOMMU core: 5 unlocked device adds (got {core})")

# ---- Prometheus: textfile, node_exporter, the server ------------------------
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def labels(body):
    """{name: value} of a sample's label set (escapes kept as written)."""
    out, pos = {}, 0
    while body and pos < len(body):
        m = LABEL.match(body, pos)
        if not m:
            return None
        out[m.group(1)] = m.group(2)
        pos = m.end()
    return out


def samples(txt, prefix):
    """{(name, sorted labels): value} of the exposition lines whose name
    starts with prefix."""
    got = {}
    for line in (txt or "").splitlines():
        m = SAMPLE.match(line.strip())
        if m and m.group(1).startswith(prefix):
            got[(m.group(1), tuple(sorted((labels(m.group(2) or "") or {}).items())))] = float(m.group(3))
    return got


pw = value("PROM_WAITED")
check(pw is not None and int(pw) < 180, f"lockaudit-metrics.timer wrote the textfile ({pw} s after la-check began)")
mt, ms = show("metrics-timer"), show("metrics-service")
check(mt == {"ActiveState": "active", "Result": "success"} and ms == {"Result": "success", "ExecMainStatus": "0"},
      f"lockaudit-metrics.timer active, lockaudit-metrics.service ran: success, exit 0 ({mt} {ms})")
check(value("PROM_STAT") == "644 root", f"the textfile: mode 644, root's (got {value('PROM_STAT')})")
pf = samples(section("prom-file"), "lockaudit_")
calls = {(dict(k[1])["entry_point"], dict(k[1])["lock_state"]): v for k, v in pf.items()
         if k[0] == "lockaudit_calls_total"}
want_calls = {(h["function"], st): float(n) for h in rep["hooks"] for st, n in h["calls"].items()}
check(calls == want_calls and len(calls) == 4 * len(rep["hooks"]),
      f"the textfile: lockaudit_calls_total per entry point and lock state = collect's report "
      f"({len(rep['hooks'])} hooks x 4 states)",
      f"{sorted(set(calls.items()) ^ set(want_calls.items()))}")
viol = {k: v for k, v in pf.items() if k[0] == "lockaudit_violations_total"}
la_viol = [(dict(k[1]), v) for k, v in viol.items() if dict(k[1]).get("module") == "la_test"]
check(len(la_viol) == 1 and la_viol[0][1] == 3.0 and
      {k: la_viol[0][0].get(k) for k in ("function", "entry_point", "lock_state")} ==
      {"function": "la_call_unlocked", "entry_point": "acpi_dma_configure_id", "lock_state": "unlocked"},
      f"the textfile: one la_test violation series, la_call_unlocked -> acpi_dma_configure_id unlocked, 3 "
      f"(got {la_viol})")
check((section("monitoring-active") or "").split() == ["active"] * 2,
      "prometheus-node-exporter.service and prometheus.service active",
      (section("monitoring-active") or "").strip())
ne_txt = section("node-exporter") or ""
ne = samples(ne_txt, "lockaudit_")
check(ne_txt.startswith("HTTP/1.0 200") and ne == pf and len(ne) > 0,
      f"node_exporter's /metrics serves the textfile's {len(pf)} lockaudit samples, every value equal "
      f"(served {len(ne)})",
      f"only in the file: {sorted(set(pf) - set(ne))[:3]}; only served: {sorted(set(ne) - set(pf))[:3]}")
tf = samples(ne_txt, "node_textfile_")
check(tf.get(("node_textfile_scrape_error", ())) == 0.0 and
      ("node_textfile_mtime_seconds", (("file", "/var/lib/prometheus/node-exporter/lockaudit.prom"),)) in tf,
      "node_exporter: textfile collector read lockaudit.prom without error",
      f"{sorted(tf.items())}")
qw = value("PROMQL_WAITED")
check(qw is not None and int(qw) < 180, f"the Prometheus server stored la_test's series ({qw} s of waiting)")
QRES = re.compile(r'^(\w+)\{(.*)\} => (\S+) @\[')
res = [(m.group(1), labels(m.group(2)), m.group(3)) for m in
       (QRES.match(l.strip()) for l in (section("promql") or "").splitlines()) if m]
check(len(res) == 1 and res[0][2] == "3" and res[0][1] is not None and
      {k: res[0][1].get(k) for k in ("job", "instance", "module", "function", "entry_point", "lock_state")} ==
      {"job": "node", "instance": "localhost:9100", "module": "la_test", "function": "la_call_unlocked",
       "entry_point": "acpi_dma_configure_id", "lock_state": "unlocked"},
      "Prometheus: lockaudit_violations_total{module=\"la_test\"} => 3, one series "
      "(la_call_unlocked, acpi_dma_configure_id, unlocked), scraped from node_exporter",
      (section("promql") or "").strip())
up = [(m.group(1), m.group(3)) for m in
      (QRES.match(l.strip()) for l in (section("promql-up") or "").splitlines()) if m]
check(up == [("up", "1")], f"Prometheus: up{{job=\"node\"}} => 1 (got {up})")

# ---- kill -9: restarted, adopted again, no count lost ------------------------
r = show("show-run-killed")
check(r.get("ActiveState") == "active" and r.get("SubState") == "running" and r.get("NRestarts") == "1"
      and r.get("MainPID") not in (None, "0", value("KILLED")),
      f"after kill -9 {value('KILLED')}: systemd restarted lockaudit.service (Restart=on-abnormal)", str(r))
units2 = value("WAITED_2")
check(units2 is not None and int(units2) < 60, f"the restarted service adopted the pinned state ({units2} s)")
rep2 = parse("json2")
if rep2 is not None:
    check(value("COLLECT2_RC") == "0" and hook_counts(rep2) == hooks and rep2["totals"] == t,
          "after the restart: every count as before (collect)",
          f"{hook_counts(rep2)} {rep2['totals']}")

# ---- systemctl stop: a complete report ---------------------------------------
check(value("STOP_RC") == "0", "systemctl stop lockaudit.service exits 0")
r = show("show-run-stopped")
check(r == {"Result": "success", "ActiveState": "inactive", "ExecMainStatus": "0"},
      "stopped: exit 0, success", str(r))
rep3 = parse("report")
if rep3 is not None:
    ok, out, err = validate(json.dumps(rep3), python=sys.executable)
    check(ok, "/var/lib/lockaudit/report.json validates against docs/report.schema.json", (out + err).strip())
    check(hook_counts(rep3) == hooks and rep3["totals"] == t,
          "/var/lib/lockaudit/report.json: every count of the boot",
          f"{hook_counts(rep3)} {rep3['totals']}")

# ---- dpkg -r in the guest: no units, no pins ---------------------------------
check(value("REMOVE_RC") == "0", "dpkg -r lockaudit exits 0", (section("remove") or "").strip())
check(value("PINS_AFTER_REMOVE") == ".", f"after dpkg -r: /sys/fs/bpf is empty ({value('PINS_AFTER_REMOVE')})")
left = (value("UNITS_AFTER_REMOVE") or "").split()
UNITS = ("lockaudit-boot.service", "lockaudit.service", "lockaudit-metrics.service", "lockaudit-metrics.timer")
check(sorted(left) == sorted(f"{k}={v}" for u in UNITS
                             for k, v in (("Id", u), ("LoadState", "not-found"),
                                          ("ActiveState", "inactive"), ("SubState", "dead"))),
      f"after dpkg -r: the 4 units stopped, their files gone (not-found inactive dead) {left}")
check((value("PROM_AFTER_REMOVE") or "").endswith("No such file or directory"),
      f"after dpkg -r: lockaudit.prom deleted (node_exporter serves no stale counts): {value('PROM_AFTER_REMOVE')}")
rep4 = parse("at-removal")
if rep4 is not None:
    check(hook_counts(rep4) == hooks and rep4["totals"] == t,
          "the prerm's last read (/var/lib/lockaudit/at-removal.json): every count of the boot",
          f"{hook_counts(rep4)} {rep4['totals']}")

# ---- dpkg -i on the running system: both units started ----------------------
check(value("INSTALL_RC") == "0", "dpkg -i lockaudit on the running system exits 0", (section("install") or "").strip())
check((section("is-active-installed") or "").split() == ["active"] * 2,
      "after dpkg -i: lockaudit-boot.service and lockaudit.service active (started by the postinst)",
      (section("is-active-installed") or "").strip())
b = show("show-boot-installed")
check(b == {"Result": "success", "ExecMainStatus": "0", "ActiveState": "active"},
      "after dpkg -i: lockaudit-boot.service attached (exit 0)", str(b))
w3 = value("WAITED_3")
check(w3 is not None and int(w3) < 60, f"after dpkg -i: lockaudit.service adopted what lockaudit-boot.service pinned ({w3} s)")
check(value("PINS_AFTER_INSTALL") == "lockaudit .",
      f"after dpkg -i: /sys/fs/bpf holds lockaudit ({value('PINS_AFTER_INSTALL')})")
T.done()
