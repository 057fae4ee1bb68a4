#!/usr/bin/python3
"""bench/report.py - turn the console log of bench/guest.sh into the results
table (stdout) and docs/benchmarks.md.  Called by bench/run.sh."""
import argparse
import datetime
import os
import platform
import re
import statistics
import subprocess
import sys

TARGET_RATIO = 1.5  # lockaudit's added cost vs the empty program's, same attach
TARGET_HP = 2.0  # hotplug throughput loss vs no auditor, percent

PARTS = [  # LA_EMPTY_WORK bit -> what the fentry program does (empty.bpf.c)
    (1, "bpf_ktime_get_boot_ns()"),
    (2, "bpf_get_current_task()"),
    (4, "bpf_probe_read_kernel(), 8 bytes"),
    (8, "bpf_probe_read_kernel(), 32 bytes at ctx (the caller, without bpf_rdonly_cast)"),
    (16, "hash map lookup, 32-byte key, hit, atomic add (the earlier callers map)"),
    (32, "per-CPU array counter, atomic add"),
    (64, "typed load of dev->mutex.owner from the fentry argument"),
    (128, "array map slot by hash, compare, atomic add (the callers table)"),
]

HP_LABELS = [
    ("none", "no auditor"),
    ("lockaudit-all", "`lockaudit run` (all hooks, auto attach)"),
    ("lockaudit-races", "`lockaudit run --races`"),
]

LABELS = [
    ("none", "no auditor"),
    ("empty-fentry", "empty fentry program"),
    ("empty-kprobe", "empty kprobe program"),
    ("empty-fentry-fexit", "empty fentry + fexit programs"),
    ("empty-kprobe-kretprobe", "empty kprobe + kretprobe programs"),
    ("lockaudit-fentry", "lockaudit --attach fentry"),
    ("lockaudit-kprobe", "lockaudit --attach kprobe"),
    ("lockaudit-fentry-races", "lockaudit --attach fentry --races"),
    ("lockaudit-kprobe-races", "lockaudit --attach kprobe --races"),
    ("bpftrace", "bpftrace kfunc one-liner"),
]


def parse(path):
    calls, hp, mem, skips, mode = {}, {}, {}, [], None
    attach = {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            m = re.match(r"^@@MODE (\S+)", line)
            if m:
                mode = m.group(1)
            m = re.match(r"^@@CALL (\S+) (\d+) ([0-9.]+)$", line)
            if m:
                calls.setdefault(m.group(1), []).append(float(m.group(3)))
            m = re.match(r"^@@HP (\S+) (\d+) (\d+) ([0-9.]+)$", line)
            if m:
                hp.setdefault(m.group(1), []).append(
                    (int(m.group(3)), float(m.group(4))))
            m = re.match(r"^@@MEM (\S+) (\d+) (\d+)$", line)
            if m:
                mem.setdefault(m.group(1), []).append(
                    (int(m.group(2)), int(m.group(3))))
            m = re.match(r"^@@ATTACH (\S+) (.*)$", line)
            if m:
                attach[m.group(1)] = m.group(2)
            m = re.match(r"^@@SKIP (\S+) (.*)$", line)
            if m:
                skips.append((m.group(1), m.group(2)))
    return mode, calls, hp, mem, skips, attach


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 - host facts are best effort
        return ""


def fmt(x, nd=1):
    return "-" if x is None else f"{x:,.{nd}f}"


def main():
    ap = argparse.ArgumentParser()
    for a in ("console", "out", "kernel", "calls", "reps", "cycles", "wall",
              "guest-exit", "bpftrace-note", "cmd", "mem", "others",
              "load0"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--invoked", default="bash bench/run.sh")
    o = ap.parse_args()
    mode, calls, hp, mem, skips, attach = parse(o.console)
    krel = ""
    with open(o.console, errors="replace") as f:
        for line in f:
            m = re.match(r"^@@KREL (\S+)", line.strip())
            if m:
                krel = m.group(1)
                break

    med = {k: statistics.median(v) for k, v in calls.items() if v}
    base = med.get("none")

    def added(k):
        return None if base is None or k not in med else med[k] - base

    def ratio(a, b):
        x, y = added(a), added(b)
        return None if x is None or y is None or y <= 0 else x / y

    # the same ratio by two estimators less moved by the emulator's slow
    # stretches: the fastest run of each configuration, and the median of
    # the rounds' own ratios (each round measures every configuration)
    def ratio_min(a, b):
        n = calls.get("none")
        if not n or not calls.get(a) or not calls.get(b):
            return None
        y = min(calls[b]) - min(n)
        return None if y <= 0 else (min(calls[a]) - min(n)) / y

    def ratio_rounds(a, b):
        n, x, y = calls.get("none", []), calls.get(a, []), calls.get(b, [])
        rs = [(x[i] - n[i]) / (y[i] - n[i])
              for i in range(min(len(n), len(x), len(y))) if y[i] > n[i]]
        return statistics.median(rs) if rs else None

    r_f = ratio("lockaudit-fentry", "empty-fentry")
    r_k = ratio("lockaudit-kprobe", "empty-kprobe")
    # with --races lockaudit hooks entry and exit: the same pair, empty
    r_fr = ratio("lockaudit-fentry-races", "empty-fentry-fexit")
    r_kr = ratio("lockaudit-kprobe-races", "empty-kprobe-kretprobe")

    hp_rate = {}  # config -> [cycles/min per rep]
    for k, v in hp.items():
        hp_rate[k] = [60.0 * c / s for c, s in v if s > 0]
    hp_med = {k: statistics.median(v) for k, v in hp_rate.items() if v}
    def loss(k):
        if "none" in hp_med and k in hp_med:
            return 100.0 * (1 - hp_med[k] / hp_med["none"])
        return None
    hp_loss, hp_loss_r = loss("lockaudit-all"), loss("lockaudit-races")

    hwm = {k: max(h for h, _ in v) for k, v in mem.items()}

    # ---- text table ----
    lines = []
    lines.append(f"per-call cost of acpi_dma_configure_id, {o.calls} calls, "
                 f"median of {o.reps} (timing: {mode})")
    lines.append(f"{'configuration':38} {'ns/call':>10} {'added ns':>10} "
                 f"{'x empty':>8}  runs")
    for k, label in LABELS:
        if k not in med:
            continue
        x = {"lockaudit-fentry": r_f, "lockaudit-kprobe": r_k,
             "lockaudit-fentry-races": r_fr,
             "lockaudit-kprobe-races": r_kr}.get(k)
        x = fmt(x) if x is not None else ""
        a = added(k)
        runs = " ".join(f"{v:.2f}" for v in calls[k])
        lines.append(f"{label:38} {fmt(med[k], 2):>10} "
                     f"{(fmt(a, 2) if k != 'none' else ''):>10} {x:>8}  "
                     f"{runs}")
    lines.append("")
    lines.append(f"hotplug: e1000e remove + rescan, {o.cycles} cycles, "
                 f"median of {o.reps}")
    lines.append(f"{'configuration':34} {'cycles/min':>10}  runs")
    for k, label in HP_LABELS:
        if k in hp_med:
            runs = " ".join(f"{v:.0f}" for v in hp_rate[k])
            lines.append(f"{label:38} {hp_med[k]:>10.1f}  {runs}")
    for what, l in (("lockaudit", hp_loss), ("lockaudit --races", hp_loss_r)):
        if l is not None:
            lines.append(f"throughput loss with {what}: {l:.1f}%"
                         + (" (negative: faster, i.e. noise)" if l < 0 else ""))
    lines.append("x empty: lockaudit's added cost / the empty program's of the "
                 "same attach type (with --races: the entry + exit pair's)")
    lines.append("")
    for k, v in sorted(attach.items()):
        lines.append(f"{k}: {v}")
    for k, v in sorted(hwm.items()):
        lines.append(f"VmHWM {k}: {v} kB")
    for k, why in skips:
        lines.append(f"skipped {k}: {why}")
    if "bpftrace" not in med and not any(k == "bpftrace" for k, _ in skips):
        lines.append(o.bpftrace_note if "skipped" in o.bpftrace_note else
                     "bpftrace: no result (see the console log)")
    table = "\n".join(lines)
    print(table)

    # ---- targets ----
    def verdict(ok):
        return "**met**" if ok else "**not met**"

    tgt = []
    for cfg, empty, r in (
            ("lockaudit-fentry", "empty-fentry", r_f),
            ("lockaudit-kprobe", "empty-kprobe", r_k),
            ("lockaudit-fentry-races", "empty-fentry-fexit", r_fr),
            ("lockaudit-kprobe-races", "empty-kprobe-kretprobe", r_kr)):
        lab = dict(LABELS)
        if r is None:
            tgt.append(f"- {lab[cfg]}: added cost within {TARGET_RATIO}x of "
                       f"the {lab[empty]}: no result")
            continue
        tgt.append(f"- {lab[cfg]}: added cost within {TARGET_RATIO}x of the "
                   f"{lab[empty]}: {verdict(r <= TARGET_RATIO)} "
                   f"({r:.2f}x: {added(cfg):,.0f} ns vs "
                   f"{added(empty):,.0f} ns added per call)")
        rm, rr = ratio_min(cfg, empty), ratio_rounds(cfg, empty)
        if rm is not None and rr is not None:
            tgt.append(f"  - the same ratio from the fastest run of each "
                       f"configuration: {rm:.2f}x; the median of the "
                       f"rounds' own ratios: {rr:.2f}x")
    for k, l in (("lockaudit-all", hp_loss), ("lockaudit-races", hp_loss_r)):
        what = dict(HP_LABELS)[k]
        if l is None:
            tgt.append(f"- hotplug throughput with {what} within "
                       f"{TARGET_HP:g}% of no auditor: no result")
            continue
        how = (f"{l:.1f}% fewer cycles/min" if l >= 0 else
               f"median {-l:.1f}% higher than without: run-to-run noise")
        tgt.append(f"- hotplug throughput with {what} within {TARGET_HP:g}% "
                   f"of no auditor: {verdict(l <= TARGET_HP)} ({how}; "
                   f"{hp_med[k]:.1f} vs {hp_med['none']:.1f} cycles/min)")

    # the hotplug runs' own spread, next to the 2% target
    spread = []
    for k, label in HP_LABELS:
        v = hp_rate.get(k, [])
        if len(v) > 1:
            spread.append(f"{label} {100 * (max(v) - min(v)) / statistics.median(v):.1f}%")
    if spread:
        tgt.append(f"  - spread of the hotplug runs (max - min over median): "
                   f"{', '.join(spread)}; a difference smaller than that is "
                   f"within this measurement's noise (more runs: `--reps`)")

    # ---- docs/benchmarks.md ----
    now = datetime.datetime.now(datetime.timezone.utc)
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    qemu = sh("qemu-system-x86_64 --version | head -n1")
    nproc = os.cpu_count()
    load = sh("cat /proc/loadavg")
    calls_tbl = ["| configuration | ns/call (median) | added ns/call | "
                 "added / empty program's | runs (ns/call) |",
                 "| --- | ---: | ---: | ---: | --- |"]
    for k, label in LABELS:
        if k not in med:
            continue
        x = "-"
        for cfg, r, what in (("lockaudit-fentry", r_f, "empty fentry"),
                             ("lockaudit-kprobe", r_k, "empty kprobe"),
                             ("lockaudit-fentry-races", r_fr, "fentry + fexit"),
                             ("lockaudit-kprobe-races", r_kr,
                              "kprobe + kretprobe")):
            if k == cfg and r is not None:
                x = f"{r:.2f}x ({what})"
        if k == "bpftrace" and ratio("bpftrace", "empty-fentry") is not None:
            x = f"{ratio('bpftrace', 'empty-fentry'):.1f}x (empty fentry)"
        a = "-" if k == "none" else fmt(added(k), 2)
        runs = ", ".join(f"{v:.2f}" for v in calls[k])
        calls_tbl.append(f"| {label} | {med[k]:,.2f} | {a} | {x} | {runs} |")
    hp_tbl = ["| configuration | cycles/min (median) | runs (cycles/min) | "
              "runs (s per " + o.cycles + " cycles) |",
              "| --- | ---: | --- | --- |"]
    for k, label in HP_LABELS:
        if k in hp_med:
            hp_tbl.append(f"| {label} | {hp_med[k]:.1f} | "
                          + ", ".join(f"{v:.1f}" for v in hp_rate[k]) + " | "
                          + ", ".join(f"{s:.2f}" for _, s in hp[k]) + " |")
    # each round measures the empty program too: a piece's cost is the
    # median of the rounds' differences (the medians' difference is at the
    # mercy of which runs fell into a slow stretch)
    parts_tbl = ["| the fentry program also does | ns/call (median) | "
                 "added to the empty program's (median of the rounds' "
                 "differences) |",
                 "| --- | ---: | ---: |"]
    for bit, what in PARTS:
        k = f"part-{bit}"
        e = calls.get("empty-fentry", [])
        if k in med and e:
            d = [x - y for x, y in zip(calls[k], e)]
            parts_tbl.append(f"| {what} | {med[k]:,.2f} | "
                             f"{statistics.median(d):,.2f} |")
    mem_lines = [f"- `{k}`: VmHWM {v:,} kB ({v / 1024:.1f} MiB)"
                 for k, v in sorted(hwm.items())]
    skip_lines = [f"- {k}: {why}" for k, why in skips]
    timing = {
        "bench": "la_test's `bench=N settle=2000`: one untimed call, a 2 s "
                 "pause (so that every auditor is measured in its steady "
                 "state: lockaudit learns a call site from its first call), "
                 "then N unlocked calls in batches of 1,000, each batch timed "
                 "in the kernel with ktime; a run's result is its median "
                 "batch's ns per call (`la_test: bench=N ... batch_median=X.YY` "
                 "in dmesg), which the timer tick and the other vCPU's work "
                 "in a few batches do not move",
        "insmod": "la_test's `unlocked=N`, timed from kernel log timestamps "
                  "(a /dev/kmsg mark before insmod to la_test's summary line), "
                  "minus the same for `unlocked=1`, divided by N-1",
    }.get(mode, str(mode))

    bt_sentence = ""
    a_bt, a_la = added("bpftrace"), added("lockaudit-fentry-races")
    if a_bt and a_la:
        bt_sentence = (
            f"\nbpftrace's one-liner takes the kernel stack (`kstack`) on "
            f"every unlocked call, as lockaudit does with `--races`: "
            f"{a_bt:,.0f} ns added per call against lockaudit --races' "
            f"{a_la:,.0f} ns (fentry).\n")
    incomplete = ""
    if str(o.guest_exit) != "0":
        incomplete = (f"\n**Incomplete: the guest exited {o.guest_exit} part-way; "
                      f"what follows is only what was measured before. Do not "
                      f"quote it; rerun.**\n")
    md = f"""# Benchmarks

Generated by `{o.invoked}` (`make bench` runs `bash bench/run.sh`) on {now:%Y-%m-%d %H:%M} UTC;
do not edit by hand, rerun it.
{incomplete}
## What is measured

1. **Per-call cost** of a hooked entry point: `acpi_dma_configure_id`, called
   {int(o.calls):,} times in a tight loop (device lock not held, always the same
   device and call stack) by the test module `tests/kmod/la_test`. Timing:
   {timing}. Configurations:
   no auditor; an empty fentry and an empty kprobe BPF program on the same
   function (`bench/empty.bpf.c`, loaded by the static libbpf loader
   `bench/empty.c`: the cost of the attach mechanism alone), and the same
   with the empty exit twin added (fentry + fexit, kprobe + kretprobe);
   lockaudit with `--attach fentry` and with `--attach kprobe`
   (`--hooks acpi_dma_configure_id`), and both again with `--races` (exits
   hooked too, compared with the empty entry + exit pair);
   and bpftrace running the same check as a kfunc one-liner. {o.reps} rounds:
   in each, every configuration is attached, measured once and detached, in
   an order that reverses from one round to the next (bpftrace: {o.reps} runs
   after the rounds); the median of the {o.reps} runs is reported, and the
   added cost is the median minus the no-auditor median.
2. **Hotplug throughput**: cycles of `echo 1 > /sys/bus/pci/devices/$E1000E/remove;
   echo 1 > /sys/bus/pci/rescan` (then waiting until e1000e is bound again),
   {o.cycles} cycles per run, timed with /proc/uptime (10 ms resolution), with no auditor,
   with `lockaudit run` (every watch-list hook, auto attach; includes its
   printing of each new violation site) and with `lockaudit run --races`,
   alternating, {o.reps} runs each, median.
3. **Memory**: lockaudit's (and bpftrace's) VmHWM from `/proc/PID/status` at
   the end of each run.

## Commands

```
make bench                     # = bash bench/run.sh [--kernel {o.kernel}] [--calls N] [--reps R] [--cycles C]
tests/vm/run --kernel {o.kernel} --mem {o.mem} --add bench/guest.sh --add build/bench/empty [bpftrace + libraries] -- '{o.cmd}'
```

In the guest (`bench/guest.sh`), per configuration:

```
/add/empty fentry acpi_dma_configure_id &   # or: kprobe, fentry+fexit, kprobe+kretprobe
lockaudit run --hooks acpi_dma_configure_id --attach fentry &   # or --attach kprobe; each also with --races
bpftrace -e 'BEGIN {{ printf("bpftrace-ready\\n"); }} kfunc:acpi_dma_configure_id {{ if ((args->dev->mutex.owner.counter & ~7) != (int64)curtask) {{ @[kstack] = count(); }} }}' &
insmod $LA_TESTMOD bench={o.calls} settle=2000; rmmod la_test   # once per configuration and round, read batch_median from dmesg
lockaudit run &                                     # hotplug: all hooks; and lockaudit run --races
echo 1 > /sys/bus/pci/devices/0000:00:03.0/remove; echo 1 > /sys/bus/pci/rescan   # x{o.cycles}
```

## Environment

- Guest kernel: x86_64 `{krel or o.kernel}` (tests/vm cell x86_64/{o.kernel}),
  q35, virtio-iommu, `-smp 2`, `-m {o.mem}`, `-accel tcg,thread=single`.
- Host: {platform.system()} {platform.release()}, {nproc} CPUs ({cpu}), {qemu};
  load average (1/5/15 min) at the start {o.load0}, at the end
  {" ".join(load.split()[:3])}; {o.others} other qemu guest(s) were running on the
  host when the benchmark started (other test runs: they compete for the
  same {nproc} CPUs and make the absolute numbers noisier).
- **TCG (no KVM)**: every guest instruction is emulated, so all absolute
  timings are inflated by an order of magnitude or more and depend on what
  else runs on the host; only ratios within this one boot mean anything.
  Traps (int3 for kprobes, the BPF trampoline's entry and exit) and BPF
  helper calls are emulated too, so the ratios are indicative, not what a
  native machine shows.
- `thread=single`: one host thread runs both vCPUs in turn, so whatever
  the other vCPU does meanwhile (lockaudit's user space reading and
  symbolizing a new site after la_test loads, bpftrace's) is added to the
  loop's measured time, and the emulator's speed drifts between states
  over minutes (whole runs 30-60% apart). The median batch within a run
  and the interleaved rounds damp both.
- Wall time of the guest boot: {o.wall} s; guest exit status {o.guest_exit}.
- {o.bpftrace_note}.

## Results

Per-call cost of `acpi_dma_configure_id` ({int(o.calls):,} calls per run):

{chr(10).join(calls_tbl)}

Where the fast path's time goes: each piece alone in an otherwise empty
fentry program on the same function (`LA_EMPTY_WORK=BIT bench/empty`), against
the empty program ({fmt(med.get("empty-fentry"), 2)} ns/call) of the same
round. A piece of a few tens of ns is within this machine's run-to-run
noise (see Environment): read the column as an order of magnitude.

{chr(10).join(parts_tbl)}

Hotplug (e1000e remove + rescan):

{chr(10).join(hp_tbl)}

What lockaudit attached (its own summary line):

{chr(10).join(f"- `{k}`: {v}" for k, v in sorted(attach.items())) or "- (not recorded)"}

Memory:

{chr(10).join(mem_lines) or "- (no measurement)"}
{(chr(10) + "Skipped:" + chr(10) + chr(10) + chr(10).join(skip_lines) + chr(10)) if skip_lines else ""}
## Targets

{chr(10).join(tgt)}

The added cost of lockaudit per call is what its programs do beyond the
attach mechanism. By default, once a call site has been attributed (its
first call takes the full stack; user space sees that the culprit is the
immediate caller and enters it in the `callers` table), a call from it
costs: the device mutex owner and registration, the owner of
iommu_probe_device_lock, the immediate caller's return address (from the
trampoline frame, or regs->sp for a kprobe), all plain loads where the
kernel has bpf_rdonly_cast (6.2+, as here; probe reads on 6.1); the current
task only when a lock has an owner to compare (la_test's calls are
unlocked); the module generation; one slot of the direct-mapped `callers`
array, compared and counted atomically: no stack walk, no hash lookup, no
clock read (user space notes when a caller's count grows). This path is
kept apart from the full one (a BPF subprogram) so that the compiler keeps
its values in registers. The table of pieces above shows what a single
helper call or hash lookup costs under TCG, which is why the fast path
avoids them. With `--races` every call takes the full
kernel stack (bpf_get_stack, part of the aggregation key) and the per-device
in-flight bookkeeping at entry and exit, because a concurrent finding shows
both tasks' whole stacks. The empty programs only pay the trampoline (or
int3 / return probe) itself.
{bt_sentence}"""
    os.makedirs(os.path.dirname(os.path.abspath(o.out)), exist_ok=True)
    tmp = o.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(md)
    os.replace(tmp, o.out)
    print(f"\nwritten {o.out}", file=sys.stderr)
    return 0 if "none" in med else 1


if __name__ == "__main__":
    sys.exit(main())
