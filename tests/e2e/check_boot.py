#!/usr/bin/env python3
"""Exact assertions for the pinned (boot/collect) scenario: tests/e2e/guest-boot.sh.

Usage: check_boot.py CONSOLE_LOG ARCH-KERNEL U O K W C
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from checks import Checks  # noqa: E402

log_path, kernel = sys.argv[1], sys.argv[2]
U, O, K, W, C = (int(x) for x in sys.argv[3:8])
# the entry point la_test calls (tests/e2e/check.py: cell)
E = "of_dma_configure_id" if kernel.startswith("arm64") else "acpi_dma_configure_id"
T = Checks(kernel, path=log_path)
check, exit_is = T.check, T.exits


def section(name):
    return json.loads(T.section(name))


def validate(doc, label):
    T.validate(doc, what=label)


def la_test(rep):
    return [s for g in rep["drivers"] if g["module"] == "la_test" for s in g["sites"]]


# collect racing boot: only "nothing pinned" (11) or a complete state (0),
# and the collect after boot ended sees it (0); some collect ran while boot
# was at work (else the race was not tried)
race = [int(x) for x in re.findall(r"^race collect exit (\d+)\r?$", T.text, re.M)]
check(race and set(race) <= {0, 11} and race[-1] == 0 and 11 in race,
      f"collect racing boot: exits only 11 (nothing pinned) or 0, the last 0 ({race})")
exit_is("boot", 0)
exit_is("boot-again", 10)
exit_is("collect1", 0)
exit_is("collect2", 0)
exit_is("collect3", 11)
exit_is("collect-kptr", 6)
kptr = re.findall(r"^kptr: (.*?)\r?$", T.text, re.M)
check(len(kptr) == 1 and "kernel.kptr_restrict" in kptr[0],
      f"collect with kernel addresses hidden: one line naming the sysctl ({kptr})")
check("pinned state left behind" not in T.text, "collect --detach removed the pinned state")

r1 = section("collect1")
validate(r1, "collect1")
sites = la_test(r1)
got = sorted((s["lock_state"], s["function"], s["count"]) for s in sites)
want = sorted([("unlocked", "la_call_unlocked", U), ("held_by_other", "la_call_other", O),
               ("unlocked", "la_call_wq", W), ("unlocked", "la_call_child", C)])
check(got == want, f"collect after rmmod: la_test's violations exactly {want} (got {got})")
# named by function although the module was gone before collect: the
# kernel named its frames when each site was made (map "symnames")
fn = sorted((s["lock_state"], s["function"], re.sub(r"\+0x[0-9a-f]+ ", "+OFF ", s["caller"])) for s in sites)
check(fn == sorted([("unlocked", "la_call_unlocked", "la_call_unlocked+OFF [la_test]"),
                    ("held_by_other", "la_call_other", "la_call_other+OFF [la_test]"),
                    ("unlocked", "la_call_wq", "la_call_wq+OFF [la_test]"),
                    ("unlocked", "la_call_child", "la_call_child+OFF [la_test]")])
      and not [f for s in sites for f in s["stack"] if ".ko+" in f],
      f"frames of the unloaded module named by function and offset (got {fn})")
wqs = [s for s in sites if s["function"] == "la_call_wq"]
check(wqs and all(any(f.startswith("process_one_work+") for f in s["stack"]) for s in wqs),
      "the work item's calls come from a kworker (process_one_work on their stack)")
ch = [s for s in sites if s["function"] == "la_call_child"]
check(ch and all([d["name"] for d in s["devices"]] == ["la_test_child"] for s in ch),
      f"the child-device calls are on la_test_child ({[[d['name'] for d in s['devices']] for s in ch]})")
check(all(g["module"] == "la_test" for g in r1["drivers"]), "no other driver finding")
held = [s for s in r1["held"] if any(d["driver"] == "e1000e" for d in s["devices"])
        and s["entry_point"] == "pci_dma_configure"]
check(sum(s["count"] for s in held) == 1, "e1000e's probe counted with the lock held, once")
a = next(h for h in r1["hooks"] if h["function"] == E)
check(a["calls"] == {"held": 2, "unlocked": U + W + C, "held_by_other": O, "read_held": 0},
      f"{E} counted while no process ran: held 2, unlocked {U}+{W}+{C}, other {O} ({a['calls']})")
# the kernel's counts of skipped runs, read through the pinned links' ids
# (meta): 0 where counted (fentry; kprobes since 6.7), null only for a
# kprobe before 6.7 -- null for an fentry hook means the pins were not read
m = re.match(r"(\d+)\.(\d+)", r1["kernel"])
new_kprobes = (int(m[1]), int(m[2])) >= (6, 7)
miss = {h["function"]: (h["attach"], h["missed"], h["missed_exit"]) for h in r1["hooks"] if h["attach"] != "absent"}
check(miss and all((mi, mx) == ((None if at == "kprobe" and not new_kprobes else 0), 0)
                   for at, mi, mx in miss.values()),
      f"collect read the kernel's skipped-run counts through the pinned links: {miss}")

r2 = section("collect2")
validate(r2, "collect2")
a2 = next(h for h in r2["hooks"] if h["function"] == E)
check(a2["calls"] == {"held": 2, "unlocked": U + W + C + K, "held_by_other": O, "read_held": 0},
      f"SIGKILLed run lost nothing: unlocked={U}+{W}+{C}+{K} (got {a2['calls']})")
# the first load's U calls (named by the kernel) and the loaded one's K are
# one site: the same function of the same module
named = [s for s in la_test(r2) if s["function"] == "la_call_unlocked"]
check([s["count"] for s in named] == [U + K], f"both loads' {U}+{K} calls named la_call_unlocked "
      f"(got {[s['count'] for s in named]})")
d = r2["totals"]["dropped"]
check(d["sites"] == 0 and d["stack_errors"] == 0, f"nothing dropped {d}")

T.done(" (boot/collect)")
