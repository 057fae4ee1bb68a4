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

LABELS = [
    ("none", "no auditor"),
    ("empty-fentry", "empty fentry program"),
    ("empty-kprobe", "empty kprobe program"),
    ("lockaudit-fentry", "lockaudit --attach fentry"),
    ("lockaudit-kprobe", "lockaudit --attach kprobe"),
    ("bpftrace", "bpftrace kfunc one-liner"),
]


def parse(path):
    calls, hp, mem, skips, mode = {}, {}, {}, [], None
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
            m = re.match(r"^@@SKIP (\S+) (.*)$", line)
            if m:
                skips.append((m.group(1), m.group(2)))
    return mode, calls, hp, mem, skips


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
              "guest-exit", "bpftrace-note", "cmd", "mem"):
        ap.add_argument("--" + a, required=True)
    o = ap.parse_args()
    mode, calls, hp, mem, skips = parse(o.console)
    krel = ""
    with open(o.console, errors="replace") as f:
        for line in f:
            m = re.search(r"Linux version (\S+)", line)
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

    r_f = ratio("lockaudit-fentry", "empty-fentry")
    r_k = ratio("lockaudit-kprobe", "empty-kprobe")

    hp_rate = {}  # config -> [cycles/min per rep]
    for k, v in hp.items():
        hp_rate[k] = [60.0 * c / s for c, s in v if s > 0]
    hp_med = {k: statistics.median(v) for k, v in hp_rate.items() if v}
    hp_loss = None
    if "none" in hp_med and "lockaudit-all" in hp_med:
        hp_loss = 100.0 * (1 - hp_med["lockaudit-all"] / hp_med["none"])

    hwm = {k: max(h for h, _ in v) for k, v in mem.items()}

    # ---- text table ----
    lines = []
    lines.append(f"per-call cost of acpi_dma_configure_id, {o.calls} calls, "
                 f"median of {o.reps} (timing: {mode})")
    lines.append(f"{'configuration':32} {'ns/call':>10} {'added ns':>10} "
                 f"{'x empty':>8}  runs")
    for k, label in LABELS:
        if k not in med:
            continue
        x = ""
        if k == "lockaudit-fentry" and r_f is not None:
            x = f"{r_f:.1f}"
        if k == "lockaudit-kprobe" and r_k is not None:
            x = f"{r_k:.1f}"
        a = added(k)
        runs = " ".join(f"{v:.2f}" for v in calls[k])
        lines.append(f"{label:32} {fmt(med[k], 2):>10} "
                     f"{(fmt(a, 2) if k != 'none' else ''):>10} {x:>8}  {runs}")
    lines.append("")
    lines.append(f"hotplug: e1000e remove + rescan, {o.cycles} cycles, "
                 f"median of {o.reps}")
    lines.append(f"{'configuration':32} {'cycles/min':>10}  runs")
    for k, label in (("none", "no auditor"),
                     ("lockaudit-all", "lockaudit run (all hooks)")):
        if k in hp_med:
            runs = " ".join(f"{v:.0f}" for v in hp_rate[k])
            lines.append(f"{label:32} {hp_med[k]:>10.1f}  {runs}")
    if hp_loss is not None:
        lines.append(f"throughput loss with lockaudit: {hp_loss:.1f}%")
    lines.append("")
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
    for name, r in (("fentry", r_f), ("kprobe", r_k)):
        if r is None:
            tgt.append(f"- {name}: added cost within {TARGET_RATIO}x of the "
                       f"empty {name} program: no result")
        else:
            tgt.append(f"- {name}: added cost within {TARGET_RATIO}x of the "
                       f"empty {name} program: {verdict(r <= TARGET_RATIO)} "
                       f"({r:.1f}x: {added('lockaudit-' + name):,.0f} ns vs "
                       f"{added('empty-' + name):,.0f} ns added per call)")
    if hp_loss is None:
        tgt.append(f"- hotplug throughput within {TARGET_HP:g}% of no "
                   f"auditor: no result")
    else:
        tgt.append(f"- hotplug throughput within {TARGET_HP:g}% of no auditor: "
                   f"{verdict(hp_loss <= TARGET_HP)} ({hp_loss:.1f}% fewer "
                   f"cycles/min: {hp_med['lockaudit-all']:.1f} vs "
                   f"{hp_med['none']:.1f})")

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
        if k == "lockaudit-fentry" and r_f is not None:
            x = f"{r_f:.1f}x (empty fentry)"
        if k == "lockaudit-kprobe" and r_k is not None:
            x = f"{r_k:.1f}x (empty kprobe)"
        if k == "bpftrace" and ratio("bpftrace", "empty-fentry") is not None:
            x = f"{ratio('bpftrace', 'empty-fentry'):.1f}x (empty fentry)"
        a = "-" if k == "none" else fmt(added(k), 2)
        runs = ", ".join(f"{v:.2f}" for v in calls[k])
        calls_tbl.append(f"| {label} | {med[k]:,.2f} | {a} | {x} | {runs} |")
    hp_tbl = ["| configuration | cycles/min (median) | runs (cycles/min) | "
              "runs (s per " + o.cycles + " cycles) |",
              "| --- | ---: | --- | --- |"]
    for k, label in (("none", "no auditor"),
                     ("lockaudit-all", "`lockaudit run` (all hooks, auto attach)")):
        if k in hp_med:
            hp_tbl.append(f"| {label} | {hp_med[k]:.1f} | "
                          + ", ".join(f"{v:.1f}" for v in hp_rate[k]) + " | "
                          + ", ".join(f"{s:.2f}" for _, s in hp[k]) + " |")
    mem_lines = [f"- `{k}`: VmHWM {v:,} kB ({v / 1024:.1f} MiB)"
                 for k, v in sorted(hwm.items())]
    skip_lines = [f"- {k}: {why}" for k, why in skips]
    timing = {
        "bench": "la_test's `bench=N`: one loop of N unlocked calls timed in "
                 "the kernel with ktime (`la_test: bench=N ns_per_call=X.YY` "
                 "in dmesg)",
        "insmod": "la_test's `unlocked=N`, timed from kernel log timestamps "
                  "(a /dev/kmsg mark before insmod to la_test's summary line), "
                  "minus the same for `unlocked=1`, divided by N-1",
    }.get(mode, str(mode))

    md = f"""# Benchmarks

Generated by `make bench` (`bash bench/run.sh`) on {now:%Y-%m-%d %H:%M} UTC;
do not edit by hand, rerun it.

## What is measured

1. **Per-call cost** of a hooked entry point: `acpi_dma_configure_id`, called
   {int(o.calls):,} times in a tight loop (device lock not held, always the same
   device and call stack) by the test module `tests/kmod/la_test`. Timing:
   {timing}. Configurations:
   no auditor; an empty fentry and an empty kprobe BPF program on the same
   function (`bench/empty.bpf.c`, loaded by the static libbpf loader
   `bench/empty.c`: the cost of the attach mechanism alone); lockaudit with
   `--attach fentry` and with `--attach kprobe` (`--hooks acpi_dma_configure_id`);
   and bpftrace running the same check as a kfunc one-liner. Each configuration
   {o.reps} times; the median is reported, and the added cost is the median minus
   the no-auditor median.
2. **Hotplug throughput**: cycles of `echo 1 > /sys/bus/pci/devices/$E1000E/remove;
   echo 1 > /sys/bus/pci/rescan` (then waiting until e1000e is bound again),
   {o.cycles} cycles per run, timed from kernel log timestamps, with no auditor and
   with `lockaudit run` (every watch-list hook, auto attach; includes its
   printing of each new violation site), alternating, {o.reps} runs each, median.
3. **Memory**: lockaudit's (and bpftrace's) VmHWM from `/proc/PID/status` at
   the end of each run.

## Commands

```
make bench                     # = bash bench/run.sh [--kernel {o.kernel}] [--calls N] [--reps R] [--cycles C]
tests/vm/run --kernel {o.kernel} --mem {o.mem} --add bench/guest.sh --add build/bench/empty [bpftrace + libraries] -- '{o.cmd}'
```

In the guest (`bench/guest.sh`), per configuration:

```
/add/empty fentry acpi_dma_configure_id &          # or: empty kprobe ...
lockaudit run --hooks acpi_dma_configure_id --attach fentry &   # or --attach kprobe
bpftrace -e 'BEGIN {{ printf("bpftrace-ready\\n"); }} kfunc:acpi_dma_configure_id {{ if ((args->dev->mutex.owner.counter & ~7) != (int64)curtask) {{ @[kstack] = count(); }} }}' &
insmod $LA_TESTMOD bench={o.calls}; rmmod la_test   # x{o.reps}, read ns_per_call from dmesg
lockaudit run &                                     # hotplug: all hooks
echo 1 > /sys/bus/pci/devices/0000:00:03.0/remove; echo 1 > /sys/bus/pci/rescan   # x{o.cycles}
```

## Environment

- Guest kernel: x86_64 `{krel or o.kernel}` (tests/vm cell x86_64/{o.kernel}),
  q35, virtio-iommu, `-smp 2`, `-m {o.mem}`, `-accel tcg,thread=single`.
- Host: {platform.system()} {platform.release()}, {nproc} CPUs ({cpu}), {qemu};
  load average at the end: {load}.
- **TCG (no KVM)**: every guest instruction is emulated, so all absolute
  timings are inflated by an order of magnitude or more and depend on what
  else runs on the host; only ratios within this one boot mean anything.
  Traps (int3 for kprobes, the BPF trampoline's entry and exit) and BPF
  helper calls are emulated too, so the ratios are indicative, not what a
  native machine shows.
- Wall time of the guest boot: {o.wall} s; guest exit status {o.guest_exit}.
- {o.bpftrace_note}.

## Results

Per-call cost of `acpi_dma_configure_id` ({int(o.calls):,} calls per run):

{chr(10).join(calls_tbl)}

Hotplug (e1000e remove + rescan):

{chr(10).join(hp_tbl)}

Memory:

{chr(10).join(mem_lines) or "- (no measurement)"}
{(chr(10) + "Skipped:" + chr(10) + chr(10) + chr(10).join(skip_lines) + chr(10)) if skip_lines else ""}
## Targets

{chr(10).join(tgt)}

The added cost of lockaudit per call is what its program does beyond the
attach mechanism: reading the device mutex owner, the full kernel stack
(bpf_get_stack) as part of the aggregation key, a hash-map lookup and atomic
counters; the empty programs only pay the trampoline / int3 entry.
"""
    os.makedirs(os.path.dirname(os.path.abspath(o.out)), exist_ok=True)
    tmp = o.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(md)
    os.replace(tmp, o.out)
    print(f"\nwritten {o.out}", file=sys.stderr)
    return 0 if "none" in med else 1


if __name__ == "__main__":
    sys.exit(main())
