#!/usr/bin/python3
"""bench/report.py - turn the console logs of bench/guest.sh (one per kernel)
into the results tables (stdout) and docs/benchmarks.md, every kernel in one
table per measurement.  Called by bench/run.sh:

  report.py (--console LOG --kernel K --wall S --guest-exit RC)... --out FILE
            --calls N --reps R --cycles C --bpftrace-note TEXT --cmd CMD
            --mem MB --others N --load0 LOADAVG [--invoked CMD]

A console log from before the start-up measurement (no @@START lines) is
reported without that table."""
import argparse
import datetime
import math
import os
import platform
import re
import statistics
import subprocess
import sys

TARGET_RATIO = 1.25  # the fast path's added cost vs the empty program's (issue 15)
TARGET_HP = 2.0  # hotplug throughput loss vs no auditor, percent

PART_BASE = 256  # LA_EMPTY_WORK: no piece, the parts program's own switch
PARTS = [  # LA_EMPTY_WORK bit -> what the fentry program does (empty.bpf.c)
    (PART_BASE, "nothing: the pieces program's own switch (the baseline of "
                "the added column)"),
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

START_LABELS = [
    ("all", "`lockaudit run` (all hooks, auto attach)"),
    ("one", "`lockaudit run --hooks acpi_dma_configure_id`"),
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

# lockaudit configuration -> the empty program(s) of the same attach
PAIRS = [
    ("lockaudit-fentry", "empty-fentry", "empty fentry"),
    ("lockaudit-kprobe", "empty-kprobe", "empty kprobe"),
    ("lockaudit-fentry-races", "empty-fentry-fexit", "fentry + fexit"),
    ("lockaudit-kprobe-races", "empty-kprobe-kretprobe", "kprobe + kretprobe"),
]


def median(v):
    return statistics.median(v) if v else None


def fmt(x, nd=1):
    return "-" if x is None else f"{x:,.{nd}f}"


def pct(x):
    return "-" if x is None else f"{x:,.1f}%"


def plural(n, word):
    return f"{n} {word}" + ("" if str(n) == "1" else "s")


class Run:
    """One kernel's console log and what follows from it."""

    def __init__(self, kernel, console, wall, guest_exit):
        self.kernel, self.console = kernel, console
        self.wall, self.guest_exit = wall, str(guest_exit)
        self.mode, self.krel = None, ""
        # config -> {rep: value}; hp: {rep: (cycles, seconds)};
        # start: {rep: (wall_cs, cpu_ticks)}
        self.calls, self.hp, self.start = {}, {}, {}
        self.busy = {}  # hotplug: {config: {rep: busy CPU seconds}}
        self.mem, self.skips, self.attach = {}, [], {}
        self.parse()
        self.med = {k: median(self.runs(k)) for k in self.calls}
        self.base = self.med.get("none")
        self.hp_rate = {k: {r: 60.0 * c / s for r, (c, s) in v.items() if s > 0}
                        for k, v in self.hp.items()}
        self.hp_med = {k: median(list(v.values()))
                       for k, v in self.hp_rate.items() if v}
        self.hwm = {k: max(h for h, _ in v) for k, v in self.mem.items()}

    def parse(self):
        pats = [
            (r"^@@MODE (\S+)", self.on_mode),
            (r"^@@KREL (\S+)", self.on_krel),
            (r"^@@CALL (\S+) (\d+) ([0-9.]+)$", self.on_call),
            (r"^@@HP (\S+) (\d+) (\d+) ([0-9.]+)(?: ([0-9.]+))?$",
             self.on_hp),
            (r"^@@START (\S+) (\d+) (\d+) (\d+)$", self.on_start),
            (r"^@@MEM (\S+) (\d+) (\d+)$", self.on_mem),
            (r"^@@ATTACH (\S+) (.*)$", self.on_attach),
            (r"^@@SKIP (\S+) (.*)$", self.on_skip),
        ]
        with open(self.console, errors="replace") as f:
            for line in f:
                line = line.strip()
                for pat, fn in pats:
                    m = re.match(pat, line)
                    if m:
                        fn(*m.groups())

    def on_mode(self, m):
        self.mode = m

    def on_krel(self, k):
        self.krel = self.krel or k

    def on_call(self, k, r, v):
        self.calls.setdefault(k, {})[int(r)] = float(v)

    def on_hp(self, k, r, c, s, busy=None):
        self.hp.setdefault(k, {})[int(r)] = (int(c), float(s))
        if busy is not None:
            self.busy.setdefault(k, {})[int(r)] = float(busy)

    def on_start(self, k, r, w, t):
        self.start.setdefault(k, {})[int(r)] = (int(w), int(t))

    def on_mem(self, k, h, s):
        self.mem.setdefault(k, []).append((int(h), int(s)))

    def on_attach(self, k, line):
        self.attach[k] = line

    def on_skip(self, k, why):
        self.skips.append((k, why))

    def runs(self, k):  # the runs of a per-call configuration, round order
        return [v for _, v in sorted(self.calls.get(k, {}).items())]

    def added(self, k):
        if self.base is None or self.med.get(k) is None:
            return None
        return self.med[k] - self.base

    def ratio(self, a, b):
        x, y = self.added(a), self.added(b)
        return None if x is None or y is None or y <= 0 else x / y

    # the same ratio by two estimators less moved by the emulator's slow
    # stretches: the fastest run of each configuration, and the median of
    # the rounds' own ratios (each round measures every configuration)
    def ratio_min(self, a, b):
        n, x, y = (self.runs(k) for k in ("none", a, b))
        if not n or not x or not y or min(y) <= min(n):
            return None
        return (min(x) - min(n)) / (min(y) - min(n))

    def ratio_rounds(self, a, b):
        n, x, y = (self.calls.get(k, {}) for k in ("none", a, b))
        rs = [(x[r] - n[r]) / (y[r] - n[r])
              for r in n if r in x and r in y and y[r] > n[r]]
        return median(rs)

    def part_base(self):  # the pieces' baseline: the switch alone, if run
        b = f"part-{PART_BASE}"
        return b if b in self.calls else "empty-fentry"

    def part_added(self, k):  # median of the rounds' differences to base
        e, p = self.calls.get(self.part_base(), {}), self.calls.get(k, {})
        return median([p[r] - e[r] for r in p if r in e])

    def loss(self, k):
        if "none" in self.hp_med and k in self.hp_med:
            return 100.0 * (1 - self.hp_med[k] / self.hp_med["none"])
        return None

    def cpu_added(self, k):
        """The CPU work (busy time of all CPUs) K adds to the hotplug runs,
        in percent of the no-auditor runs': of the medians."""
        n, x = self.busy.get("none"), self.busy.get(k)
        if not n or not x or median(list(n.values())) <= 0:
            return None
        return 100.0 * (median(list(x.values())) /
                        median(list(n.values())) - 1)

    def cpu_rounds(self, k):
        """Per round, K's added CPU work against the same round's
        no-auditor run, in percent."""
        n, x = self.busy.get("none", {}), self.busy.get(k, {})
        return [100.0 * (x[r] / n[r] - 1) for r in sorted(n)
                if r in x and n[r] > 0]

    def round_losses(self, k):
        """Per round, the throughput loss of K against the no-auditor run of
        the same round (run next to it), in percent."""
        n, x = self.hp_rate.get("none", {}), self.hp_rate.get(k, {})
        return [100.0 * (1 - x[r] / n[r]) for r in sorted(n) if r in x]

    def start_med(self, k):
        v = self.start.get(k, {}).values()
        if not v:
            return None, None
        return (median([w / 100 for w, _ in v]),
                median([t / 100 for _, t in v]))


def noise(v):
    """Spread of runs: (max - min) / median and the median absolute
    deviation over the median, both in percent."""
    m = median(v)
    if len(v) < 2 or not m:
        return None, None
    return (100 * (max(v) - min(v)) / m,
            100 * median([abs(x - m) for x in v]) / m)


def se_median(d):
    """Standard error of the median of D (normal approximation:
    1.2533 * sd / sqrt(n))."""
    if len(d) < 2:
        return None
    return 1.2533 * statistics.stdev(d) / math.sqrt(len(d))


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True,
                              timeout=10).stdout.strip()
    except Exception:  # noqa: BLE001 - host facts are best effort
        return ""


def table(head, rows, right=()):
    """A Markdown table; columns whose index is in RIGHT align right."""
    out = ["| " + " | ".join(head) + " |",
           "| " + " | ".join("---:" if i in right else "---"
                             for i in range(len(head))) + " |"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def text_table(run, o):
    """The plain-text results of one kernel (stdout)."""
    lines = [f"== x86_64/{run.kernel} ({run.krel or '?'}): guest exit "
             f"{run.guest_exit} after {run.wall} s",
             f"per-call cost of {o.function}, {o.calls} calls, "
             f"median of {o.reps} (timing: {run.mode})",
             f"{'configuration':38} {'ns/call':>10} {'added ns':>10} "
             f"{'x empty':>8}  runs"]
    pair = {cfg: empty for cfg, empty, _ in PAIRS}
    for k, label in LABELS:
        if run.med.get(k) is None:
            continue
        x = fmt(run.ratio(k, pair[k])) if k in pair else ""
        a = fmt(run.added(k), 2) if k != "none" else ""
        runs = " ".join(f"{v:.2f}" for v in run.runs(k))
        lines.append(f"{label:38} {fmt(run.med[k], 2):>10} {a:>10} "
                     f"{x:>8}  {runs}")
    for k, label in START_LABELS:
        w, c = run.start_med(k)
        if w is not None:
            lines.append(f"start-up {label}: {w:.2f} s wall, {c:.2f} s CPU "
                         f"(median of {len(run.start[k])})")
    lines.append(f"hotplug: e1000e remove + rescan, {o.cycles} cycles, "
                 f"median of {o.reps}")
    for k, label in HP_LABELS:
        if k in run.hp_med:
            runs = " ".join(f"{v:.0f}" for _, v in
                            sorted(run.hp_rate[k].items()))
            lines.append(f"{label:42} {run.hp_med[k]:>8.1f} cycles/min  "
                         f"{runs}")
    for k, label in HP_LABELS[1:]:
        lo, d = run.loss(k), median(run.round_losses(k))
        if lo is not None:
            lines.append(f"throughput loss with {label}: {lo:.1f}% "
                         f"(median of the rounds' own: {pct(d)})")
    for k, v in sorted(run.attach.items()):
        lines.append(f"{k}: {v}")
    for k, v in sorted(run.hwm.items()):
        lines.append(f"VmHWM {k}: {v} kB")
    for k, why in run.skips:
        lines.append(f"skipped {k}: {why}")
    return "\n".join(lines) + "\n"


def calls_table(runs):
    rows = []
    for run in runs:
        for k, label in LABELS:
            if run.med.get(k) is None:
                continue
            x = "-"
            for cfg, empty, what in PAIRS:
                r = run.ratio(cfg, empty)
                if k == cfg and r is not None:
                    x = f"{r:.2f}x ({what})"
            rb = run.ratio("bpftrace", "empty-fentry")
            if k == "bpftrace" and rb is not None:
                x = f"{rb:.1f}x (empty fentry)"
            a = "-" if k == "none" else fmt(run.added(k), 2)
            rows.append([run.kernel, label, fmt(run.med[k], 2), a, x,
                         ", ".join(f"{v:.2f}" for v in run.runs(k))])
    return table(["kernel", "configuration", "ns/call (median)",
                  "added ns/call", "added / empty program's",
                  "runs (ns/call)"], rows, right=(2, 3, 4))


def parts_table(runs):
    head = ["the fentry program also does"]
    for run in runs:
        head += [f"{run.kernel}: ns/call", f"{run.kernel}: added"]
    rows = []
    for bit, what in PARTS:
        k = f"part-{bit}"
        if not any(run.med.get(k) is not None for run in runs):
            continue
        row = [what]
        for run in runs:
            row += [fmt(run.med.get(k), 2), fmt(run.part_added(k), 2)]
        rows.append(row)
    if not rows:
        return None
    return table(head, rows, right=range(1, len(head)))


def start_table(runs):
    rows = []
    for run in runs:
        for k, label in START_LABELS:
            v = [x for _, x in sorted(run.start.get(k, {}).items())]
            if not v:
                continue
            w, c = run.start_med(k)
            rows.append([run.kernel, label, f"{w:.2f}", f"{c:.2f}",
                         f"{100 * c / w:.0f}%" if w else "-",
                         ", ".join(f"{a / 100:.2f}" for a, _ in v),
                         ", ".join(f"{t / 100:.2f}" for _, t in v)])
    if not rows:
        return None
    return table(["kernel", "configuration", "wall s (median)",
                  "CPU s (median)", "CPU / wall", "runs: wall s",
                  "runs: CPU s"], rows, right=(2, 3, 4))


def hp_table(runs, cycles):
    rows = []
    for run in runs:
        for k, label in HP_LABELS:
            if k not in run.hp_med:
                continue
            v = [x for _, x in sorted(run.hp_rate[k].items())]
            lo, d = run.loss(k), median(run.round_losses(k))
            b = run.busy.get(k, {})
            ca, cr = run.cpu_added(k), median(run.cpu_rounds(k))
            rows.append([run.kernel, label, f"{run.hp_med[k]:.1f}",
                         f"{min(v):.1f}", f"{max(v):.1f}",
                         "-" if k == "none" else pct(lo),
                         "-" if k == "none" else pct(d),
                         fmt(median(list(b.values())), 3) if b else "-",
                         "-" if k == "none" or ca is None else pct(ca),
                         "-" if k == "none" or cr is None else pct(cr),
                         ", ".join(f"{x:.1f}" for x in v),
                         ", ".join(f"{s:.2f}" for _, (_, s) in
                                   sorted(run.hp[k].items())),
                         ", ".join(f"{x:.3f}" for _, x in sorted(b.items()))
                         or "-"])
    if not rows:
        return None
    return table(["kernel", "configuration", "cycles/min (median)", "min",
                  "max", "loss (of the medians)",
                  "loss (median of the rounds' own)",
                  f"CPU s per {cycles} cycles (median)",
                  "CPU added (of the medians)",
                  "CPU added (median of the rounds' own)",
                  "runs (cycles/min)", f"runs (s per {cycles} cycles)",
                  "runs (CPU s)"], rows,
                 right=(2, 3, 4, 5, 6, 7, 8, 9))


def summary_table(runs):
    """The headline numbers, a column per kernel."""
    rows = [["guest kernel"] + [f"`{r.krel or '?'}`" for r in runs]]
    for cfg, empty, what in PAIRS:
        v = [r.ratio(cfg, empty) for r in runs]
        if any(x is not None for x in v):
            rows.append([f"{dict(LABELS)[cfg]}: added / {what}'s"]
                        + [f"{x:.2f}x" if x is not None else "-" for x in v])
    for k, label in HP_LABELS[1:]:
        lo = [r.loss(k) for r in runs]
        if any(x is not None for x in lo):
            d = [median(r.round_losses(k)) for r in runs]
            rows.append([f"hotplug loss, {label}: of the medians "
                         f"(median of the rounds' own)"]
                        + [f"{pct(x)} ({pct(y)})" for x, y in zip(lo, d)])
    for k, label in START_LABELS:
        s = [r.start_med(k) for r in runs]
        if any(w is not None for w, _ in s):
            rows.append([f"start-up, {label}: wall (CPU) s"]
                        + [f"{fmt(w, 2)} ({fmt(c, 2)})" for w, c in s])
    rows.append(["wall time of the boot"] + [f"{r.wall} s" for r in runs])
    rows.append(["guest exit status"] + [r.guest_exit for r in runs])
    return table(["measurement"] + [f"x86_64/{r.kernel}" for r in runs],
                 rows, right=range(1, len(runs) + 1))


def noise_lines(runs):
    """Per kernel: the no-auditor runs' spread, and whether it can resolve a
    difference of TARGET_HP percent."""
    rows, words = [], []
    for run in runs:
        v = list(run.hp_rate.get("none", {}).values())
        if not v:
            continue
        sp, mad = noise(v)
        d = run.round_losses("lockaudit-all")
        se = se_median(d)
        rows.append([run.kernel, len(v), f"{median(v):.1f}", f"{min(v):.1f}",
                     f"{max(v):.1f}", pct(sp), pct(mad), pct(median(d)),
                     pct(se)])
        if se is None:
            words.append(f"- {run.kernel}: {plural(len(d), 'round')} with "
                         f"both runs: no estimate of the noise, so nothing "
                         f"can be said about a {TARGET_HP:g}% difference; "
                         f"run more rounds (`--reps`).")
            continue
        ok = TARGET_HP >= 2 * se
        need = math.ceil(len(d) * (se / (TARGET_HP / 2)) ** 2)
        words.append(
            f"- {run.kernel}: the median of the rounds' differences has a "
            f"standard error of about {se:.1f}% (from the {len(d)} rounds' "
            f"spread), so a {TARGET_HP:g}% difference is "
            f"{TARGET_HP / se:.1f} standard errors: "
            + ("**resolvable** (at least 2)." if ok else
               f"**not resolvable** (under 2): within this run's noise; "
               f"about {need} rounds would be needed for 2 standard errors "
               f"(`--reps {need}`)."))
    if not rows:
        return None
    return table(["kernel", "rounds", "no auditor: median cycles/min", "min",
                  "max", "(max - min) / median", "median abs. deviation / "
                  "median", "`lockaudit run`: median of the rounds' loss",
                  "its standard error"], rows,
                 right=range(1, 9)), "\n".join(words)


def by_kernel(runs, what, cell):
    """A table of WHAT (configuration) x kernel, from cell(run, key)."""
    keys = sorted({k for r in runs for k in what(r)})
    if not keys:
        return None
    return table(["configuration"] + [r.kernel for r in runs],
                 [[f"`{k}`"] + [cell(r, k) for r in runs] for k in keys])


# The least work the fast path can do per call, as pieces of the pieces
# table (added cost of each alone): five fault-checked typed loads (the
# device mutex owner, the registered bit, iommu_probe_device_lock's owner,
# two words of the trampoline frame for the immediate caller), two
# constant-key array lookups (settings, module generation: as the per-CPU
# counter's lookup) and the callers slot (lookup, compare, atomic add).
# A kprobe needs one typed load fewer: the return address is at regs->sp.
# A load through a typed pointer is JITed with an address check (x86 JIT,
# BPF_PROBE_MEM): mov, mov, add, sub, movabs, cmp, ja, then the load: 8 x86
# instructions executed when the address is good (and xor, jmp not taken),
# as read in lockaudit's JITed fast path on 6.12 and 7.3.
GUARDED_LOAD = 8
FLOOR = {"lockaudit-fentry": [(64, 5), (32, 2), (128, 1)],
         "lockaudit-kprobe": [(64, 4), (32, 2), (128, 1)]}


def floor_text(run, cfg, empty_added):
    floor = FLOOR.get(cfg)
    got = [run.part_added(f"part-{bit}") for bit, _ in floor or []]
    if not floor or any(g is None for g in got) or not empty_added:
        return None
    least = sum(g * n for g, (_, n) in zip(got, floor))
    budget = (TARGET_RATIO - 1) * empty_added
    loads = floor[0][1] * GUARDED_LOAD
    verdict = (f"the loads alone already exceed it: {TARGET_RATIO}x cannot "
               f"be met by a program that makes these checks"
               if loads > budget else
               f"the loads alone fit in it: only a leaner program than "
               f"the pieces' could meet {TARGET_RATIO}x")
    return (f"  - what the checks cost at least: the fast path's pieces "
            f"({floor[0][1]} typed loads, 2 array lookups, the callers "
            f"slot), each as measured alone in the pieces table (with its "
            f"own setup: an argument load, a branch): {least:,.0f} ns per "
            f"call, {(empty_added + least) / empty_added:.2f}x; the "
            f"{floor[0][1]} guarded loads alone ({GUARDED_LOAD} x86 "
            f"instructions each, executed, in the JIT's code): {loads} ns. "
            f"{TARGET_RATIO}x of the empty program leaves {budget:,.0f} ns: "
            f"{verdict}")


def targets(run):
    """The targets: the fast path (no --races) per call, and `lockaudit
    run`'s hotplug throughput. --races takes the whole stack on every call
    by design: its numbers are in the tables, with no target."""
    tgt = []
    lab = dict(LABELS)
    for cfg, empty, _ in PAIRS:
        if cfg.endswith("-races"):
            continue
        r = run.ratio(cfg, empty)
        if run.med.get(cfg) is None:
            continue
        if r is None:
            tgt.append(f"- {lab[cfg]}: added cost within {TARGET_RATIO}x of "
                       f"the {lab[empty]}: no result")
            continue
        ok = "**met**" if r <= TARGET_RATIO else "**not met**"
        tgt.append(f"- {lab[cfg]}: added cost within {TARGET_RATIO}x of the "
                   f"{lab[empty]}: {ok} ({r:.2f}x: {run.added(cfg):,.0f} ns "
                   f"vs {run.added(empty):,.0f} ns added per call)")
        rm, rr = run.ratio_min(cfg, empty), run.ratio_rounds(cfg, empty)
        if rm is not None and rr is not None:
            tgt.append(f"  - the same ratio from the fastest run of each "
                       f"configuration: {rm:.2f}x; the median of the "
                       f"rounds' own ratios: {rr:.2f}x")
        if r > TARGET_RATIO:
            fl = floor_text(run, cfg, run.added(empty))
            if fl:
                tgt.append(fl)
    k, what = HP_LABELS[1]
    lo = run.loss(k)
    if lo is None:
        if run.hp:
            tgt.append(f"- hotplug throughput with {what} within "
                       f"{TARGET_HP:g}% of no auditor: no result")
        return tgt or ["- (no result)"]
    d = median(run.round_losses(k))
    # both estimators must agree: the loss of the medians and the median
    # of the rounds' own losses (the noise table says how far they resolve)
    if lo <= TARGET_HP and d <= TARGET_HP:
        ok = "**met**"
    elif lo > TARGET_HP and d > TARGET_HP:
        ok = "**not met**"
    else:
        ok = "**not shown** (the two estimators disagree)"
    how = (f"{lo:.1f}% fewer cycles/min" if lo >= 0 else
           f"median {-lo:.1f}% higher than without: run-to-run noise")
    tgt.append(f"- hotplug throughput with {what} within {TARGET_HP:g}% "
               f"of no auditor: {ok} ({how}; {run.hp_med[k]:.1f} vs "
               f"{run.hp_med['none']:.1f} cycles/min; the median of the "
               f"rounds' own losses: {pct(d)}; see the noise table)")
    ca, cr = run.cpu_added(k), median(run.cpu_rounds(k))
    if ca is not None and cr is not None:
        ok = ("**met**" if ca <= TARGET_HP and cr <= TARGET_HP else
              "**not met**" if ca > TARGET_HP and cr > TARGET_HP else
              "**not shown** (the two estimators disagree)")
        tgt.append(f"- the CPU work of the hotplug runs (the run time of "
                   f"every task on every CPU, /proc/schedstat: the kernel's "
                   f"hotplug work, lockaudit's programs and user space) with {what} within {TARGET_HP:g}% of "
                   f"no auditor's: {ok} ({pct(ca)} more; the median of the "
                   f"rounds' own: {pct(cr)}). Throughput alone can hide a "
                   f"cost: e1000e's probe sleeps, and timers in the guest "
                   f"(lockaudit's own among them) can end a usleep_range() "
                   f"early, so fewer cycles/min can come with more work or "
                   f"the other way round")
    return tgt

TIMING = {
    "bench": "la_test's `bench=N settle=S`: one untimed call, a pause "
             "of S ms (so that every auditor is measured in its steady "
             "state: lockaudit learns a call site from its first call), "
             "then N unlocked calls in batches of 1,000, each batch timed "
             "in the kernel with ktime; a run's result is its median "
             "batch's ns per call (`la_test: bench=N ... batch_median=X.YY` "
             "in dmesg), which the timer tick and the other vCPU's work "
             "in a few batches do not move",
    "insmod": "la_test's `unlocked=N`, timed from kernel log timestamps "
              "(a /dev/kmsg mark before insmod to la_test's summary line), "
              "minus the same for `unlocked=1`, divided by N-1",
}


def timing_text(runs, settle):
    modes = {r.mode for r in runs}
    if len(modes) == 1:
        m = modes.pop()
        out = TIMING.get(m, str(m))
    else:
        out = "; ".join(f"{r.kernel}: {TIMING.get(r.mode, str(r.mode))}"
                        for r in runs)
    return out.replace("settle=S", f"settle={settle}").replace(
        "of S ms", f"of {int(settle):,} ms")


def bt_sentence(runs):
    out = []
    for run in runs:
        a_bt, a_la = run.added("bpftrace"), run.added("lockaudit-fentry-races")
        if a_bt and a_la:
            out.append(f"{run.kernel}: {a_bt:,.0f} ns added per call against "
                       f"lockaudit --races' {a_la:,.0f} ns (fentry)")
    if not out:
        return ""
    return ("\nbpftrace's one-liner takes the kernel stack (`kstack`) on "
            "every unlocked call, as lockaudit does with `--races`: "
            + "; ".join(out) + ".\n")


def section(intro, body):
    """A paragraph and its table, or nothing when there is no table."""
    return f"{intro}\n\n{body}\n\n" if body else ""


def parse_args():
    ap = argparse.ArgumentParser()
    for a in ("console", "kernel", "wall", "guest-exit"):  # once per kernel
        ap.add_argument("--" + a, action="append", required=True)
    for a in ("out", "calls", "reps", "cycles", "bpftrace-note", "cmd", "mem",
              "others", "load0"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--invoked", default="bash bench/run.sh")
    ap.add_argument("--clock", choices=("icount", "wall"), default="wall")
    ap.add_argument("--settle", default="2000")
    # the watched function of the per-call tables (run.sh --target vma:
    # find_vma)
    ap.add_argument("--function", default="acpi_dma_configure_id")
    o = ap.parse_args()
    n = len(o.console)
    if not len(o.kernel) == len(o.wall) == len(o.guest_exit) == n:
        ap.error("--console, --kernel, --wall, --guest-exit: once per kernel")
    return o


CLOCK_ICOUNT = """- **The clock: `-icount shift=0,sleep=off`** (`--clock icount`, the
  default). The guest's clock advances exactly one ns per guest
  instruction executed (on either vCPU) and jumps over idle time, so
  every time measured in the guest (la_test's ktime batches,
  /proc/uptime, CPU ticks) is a count of instructions executed: the same
  from one run to the next, whatever the host does meanwhile. "ns" in the
  tables below are these virtual ns, i.e. instructions; "s" are 10^9
  instructions. An instruction count is not a native machine's time (a
  cache miss or an atomic costs more than an add), but it is exact, and
  it is what TCG's wall time measured only through a haze of emulator
  costs (see the next point)."""

CLOCK_WALL = """- **The clock: the host's** (`--clock wall`): the guest's clock follows
  the host's, so every time measured is TCG's emulation speed, which
  drifts; `--clock icount` (the default) counts instructions instead."""


def main():
    o = parse_args()
    runs = [Run(k, c, w, e) for c, k, w, e in
            zip(o.console, o.kernel, o.wall, o.guest_exit)]
    for run in runs:
        print(text_table(run, o))

    now = datetime.datetime.now(datetime.timezone.utc)
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2").strip()
    qemu = sh("qemu-system-x86_64 --version | head -n1")
    nproc = os.cpu_count()
    load = sh("cat /proc/loadavg")
    kernels = ", ".join(f"x86_64/{r.kernel}" for r in runs)
    klist = ",".join(r.kernel for r in runs)
    parts = parts_table(runs)
    noise_t = noise_lines(runs)
    attach = by_kernel(runs, lambda r: r.attach,
                       lambda r, k: r.attach.get(k, "-"))
    mem = by_kernel(runs, lambda r: r.hwm,
                    lambda r, k: (f"{r.hwm[k]:,} kB ({r.hwm[k] / 1024:.1f} MiB)"
                                  if k in r.hwm else "-"))
    skips = [f"- {r.kernel}: {k}: {why}" for r in runs for k, why in r.skips]
    incomplete = "".join(
        f"\n**Incomplete ({r.kernel}): the guest exited {r.guest_exit} "
        f"part-way; its columns are only what was measured before. Do not "
        f"quote them; rerun.**\n" for r in runs if r.guest_exit != "0")
    envs = "\n".join(
        f"  - x86_64/{r.kernel}: `{r.krel or '?'}`; wall time of the guest "
        f"boot {r.wall} s; guest exit status {r.guest_exit}" for r in runs)
    tgts = "\n\n".join(f"x86_64/{r.kernel}:\n\n" + "\n".join(targets(r))
                       for r in runs)
    parts_intro = (
        "Where the fast path's time goes: each piece alone in an otherwise "
        "empty\nfentry program on the same function (`LA_EMPTY_WORK=BIT "
        "bench/empty`); added: the\nmedian of the rounds' differences to "
        "the same program doing no piece (its switch\nalone: "
        f"`LA_EMPTY_WORK={PART_BASE}`) in the same round ("
        + ", ".join(f"{fmt(r.med.get(r.part_base()), 2)} ns/call on "
                    f"{r.kernel}" for r in runs)
        + (")." if o.clock == "icount" else
           "). A piece of a few tens of ns is within this machine's "
           "run-to-run\nnoise (see Environment): read the column as an order "
           "of magnitude."))
    details = (
        section(parts_intro, parts)
        + section('Start-up of `lockaudit run` (launch to its "watching" '
                  'line):', start_table(runs))
        + section("Hotplug (e1000e remove + rescan; loss: fewer cycles/min "
                  "than no auditor):", hp_table(runs, o.cycles))
        + section("Hotplug noise (the no-auditor runs' spread; the standard "
                  "error of the median of the rounds' losses: 1.25 sd / "
                  "sqrt(rounds)):", noise_t and noise_t[0])
        + (noise_t[1] + "\n\n" if noise_t else "")
        + section("What lockaudit attached (its own summary line):", attach)
        + section("Memory (VmHWM):", mem)
        + section("Skipped:", "\n".join(skips)))
    md = f"""# Benchmarks

Generated by `{o.invoked}` (`make bench` runs `bash bench/run.sh $(BENCH_ARGS)`) on {now:%Y-%m-%d %H:%M} UTC;
do not edit by hand, rerun it.
{incomplete}
One guest boot per kernel ({kernels}), one after the other; every table
below has a column or a group of rows per kernel. Compare ratios within a
kernel, not absolute numbers between kernels (each boot meets its own
emulator speed, see Environment).

## What is measured

1. **Per-call cost** of a hooked entry point: `acpi_dma_configure_id`, called
   {int(o.calls):,} times in a tight loop (device lock not held, always the same
   device and call stack) by the test module `tests/kmod/la_test`. Timing:
   {timing_text(runs, o.settle)}. Configurations:
   no auditor; an empty fentry and an empty kprobe BPF program on the same
   function (`bench/empty.bpf.c`, loaded by the static libbpf loader
   `bench/empty.c`: the cost of the attach mechanism alone), and the same
   with the empty exit twin added (fentry + fexit, kprobe + kretprobe);
   lockaudit with `--attach fentry` and with `--attach kprobe`
   (`--hooks acpi_dma_configure_id`), and both again with `--races` (exits
   hooked too, compared with the empty entry + exit pair);
   and bpftrace running the same check as a kfunc one-liner (`--configs`
   picks a subset; what was not measured is not in the tables). {plural(o.reps, "round")}:
   in each, every configuration is attached, measured once and detached, in
   an order that reverses from one round to the next (bpftrace: {plural(o.reps, "run")}
   after the rounds); the median of the runs is reported, and the
   added cost is the median minus the no-auditor median.
2. **Start-up** of `lockaudit run`: from launching it to its "watching"
   line (its programs loaded, verified and attached, and counting), polled
   every 10 ms, timed with /proc/uptime (10 ms resolution), and its CPU
   time (utime + stime from `/proc/PID/stat`, 10 ms ticks) at that moment;
   then it is stopped. With every watch-list hook (auto attach, as in the
   hotplug runs) and with `--hooks acpi_dma_configure_id` (the per-call
   runs' one hook); {plural(o.reps, "round")}, alternating which goes first; median.
3. **Hotplug throughput**: cycles of `echo 1 > /sys/bus/pci/devices/$E1000E/remove;
   echo 1 > /sys/bus/pci/rescan` (then waiting until e1000e is bound again),
   {o.cycles} cycles per run, timed with /proc/uptime (10 ms resolution), with no auditor,
   with `lockaudit run` (every watch-list hook, auto attach; includes its
   printing of each new violation site) and with `lockaudit run --races`,
   {plural(o.reps, "round")}, alternating the order (no auditor first, then last, ...);
   median. The clock starts after lockaudit's "watching" line, so its
   start-up (item 2) is not in these numbers. Each round's lockaudit run
   is next to that round's no-auditor run: the median of the rounds' own
   losses is less moved by the emulator's drift than the loss of the medians.
4. **Memory**: lockaudit's (and bpftrace's) VmHWM from `/proc/PID/status` at
   the end of each run.

## Commands

```
make bench [BENCH_ARGS=...]      # = bash bench/run.sh [--kernel 6.12,7.3] [--calls N] [--reps R] [--cycles C] [--configs CFG,...] [--clock icount|wall]
for k in {klist.replace(",", " ")}; do
  tests/vm/run --kernel $k --mem {o.mem}{" --qemu-arg -icount --qemu-arg shift=0,sleep=off" if o.clock == "icount" else ""} --add bench/guest.sh --add build/bench/empty [bpftrace + libraries] -- '{o.cmd}'
done
```

In the guest (`bench/guest.sh`), per configuration:

```
/add/empty fentry acpi_dma_configure_id &   # or: kprobe, fentry+fexit, kprobe+kretprobe
lockaudit run --hooks acpi_dma_configure_id --attach fentry &   # or --attach kprobe; each also with --races
bpftrace -e 'BEGIN {{ printf("bpftrace-ready\\n"); }} kfunc:acpi_dma_configure_id {{ if ((args->dev->mutex.owner.counter & ~7) != (int64)curtask) {{ @[kstack] = count(); }} }}' &
insmod $LA_TESTMOD bench={o.calls} settle={o.settle}; rmmod la_test   # once per configuration and round, read batch_median from dmesg
lockaudit run &                                     # start-up: until "watching", then stopped; also with --hooks acpi_dma_configure_id
lockaudit run &                                     # hotplug: all hooks; and lockaudit run --races
echo 1 > /sys/bus/pci/devices/0000:00:03.0/remove; echo 1 > /sys/bus/pci/rescan   # x{o.cycles}
```

## Environment

- Guest kernels (tests/vm cells), q35, virtio-iommu, `-smp 2`, `-m {o.mem}`,
  `-accel tcg,thread=single`{", `-icount shift=0,sleep=off`" if o.clock == "icount" else ""}:
{envs}
- Host: {platform.system()} {platform.release()}, {nproc} CPUs ({cpu}), {qemu};
  load average (1/5/15 min) at the start {o.load0}, at the end
  {" ".join(load.split()[:3])}; {o.others} other qemu guest(s) were running on the
  host when the benchmark started (other test runs: they compete for the
  same {nproc} CPUs and make the absolute numbers noisier).
- **TCG (no KVM)**: every guest instruction is emulated, so all absolute
  timings are inflated by an order of magnitude or more and depend on what
  else runs on the host; only ratios within one boot mean anything.
  Traps (int3 for kprobes, the BPF trampoline's entry and exit) and BPF
  helper calls are emulated too, so the ratios are indicative, not what a
  native machine shows; the start-up times (the BPF verifier's work, all
  emulated) above all.
- `thread=single`: one host thread runs both vCPUs in turn, so whatever
  the other vCPU does meanwhile (lockaudit's user space reading and
  symbolizing a new site after la_test loads, bpftrace's) is added to the
  loop's measured time, and the emulator's speed drifts between states
  over minutes (whole runs 30-60% apart). The median batch within a run
  and the interleaved rounds damp both.
{CLOCK_ICOUNT if o.clock == "icount" else CLOCK_WALL}
- {o.bpftrace_note}.

## Results

Summary (details in the tables that follow):

{summary_table(runs)}

Per-call cost of `{o.function}` ({int(o.calls):,} calls per run):

{calls_table(runs)}

{details}## Targets

{tgts}

The added cost of lockaudit per call is what its programs do beyond the
attach mechanism. By default, once a call site has been attributed (its
first call takes the full stack; user space sees that the culprit is the
immediate caller and enters it in the `callers` table), a call from it
costs: the device mutex owner and registration, the owner of
iommu_probe_device_lock, the immediate caller's return address (from the
trampoline frame, or regs->sp for a kprobe), all loads through typed
pointers where the kernel has bpf_rdonly_cast (6.2+, as here; probe reads on
6.1), each of which the JIT guards with an address check (about nine x86
instructions: a fault-checked load, not a plain one); the current
task only when a lock has an owner to compare (la_test's calls are
unlocked); the module generation; one slot of the direct-mapped `callers`
array, compared and counted atomically: no stack walk, no hash lookup, no
clock read (user space notes when a caller's count grows). This path is
kept apart from the full one (a BPF subprogram) so that the compiler keeps
its values in registers. The table of pieces (when measured) shows what a
single helper call or hash lookup costs under TCG, which is why the fast
path avoids them. With `--races` every call takes the full
kernel stack (bpf_get_stack, part of the aggregation key) and the per-device
in-flight bookkeeping at entry and exit, because a concurrent finding shows
both tasks' whole stacks. The empty programs only pay the trampoline (or
int3 / return probe) itself.
{bt_sentence(runs)}"""
    os.makedirs(os.path.dirname(os.path.abspath(o.out)), exist_ok=True)
    tmp = o.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(md)
    os.replace(tmp, o.out)
    print(f"written {o.out}", file=sys.stderr)
    return 0 if any(r.calls or r.start or r.hp for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
