#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""gen-fleet.py - write a fleet of lockaudit.report/2 JSON files, one per
run, made from a few real reports (bench/fleet.sh, make bench-fleet;
docs/benchmarks.md, "Fleet merging").

  gen-fleet.py OUTDIR --reports N [--seed S] REPORT...

Report i (host-NNNNN.json) is a copy of one of the REPORTs (at random,
weighted 6:3:1 for three), with the hostname host-<i> (every tenth one
that of the report before it: a machine that ran twice, so N reports are
0.9 N machines), its own start time and one of
three kernel releases of that report's kernel (the real one and two made
up: "-u1" and "-u2" appended; stacks unchanged, so a site is seen on
several kernels). Each site of the copy is kept with a probability of its
own (0.3 to 1.0, fixed per site), its counts scaled by 1 to 4; and 1 in
20 machines gets a rare driver site of its own (one of 400 functions, the
function name in its stack changed), so that the fleet has sites seen on
a few machines next to sites seen on thousands. Deterministic for a seed.
Files: OUTDIR/host-NNNNN.json (NNNNN: the report's number), compact.
"""
import argparse
import copy
import json
import os
import random

SECTIONS = ["unclassified", "held"]


def sites_of(rep):
    """every site list of a report (driver and core groups, the rest)"""
    out = [g["sites"] for g in rep["drivers"]]
    out += [g["sites"] for g in rep["core"]]
    out += [rep[k] for k in SECTIONS]
    return out


def keep_prob(rng_seed, base, idx):
    return 0.3 + 0.7 * random.Random("%d/%s/%d" % (rng_seed, base, idx)).random()


def rare_site(rng, template):
    s = copy.deepcopy(template)
    fn = "la_rare_%03d" % rng.randrange(400)
    s["function"] = fn
    s["caller"] = "%s+0x23 [la_test]" % fn
    s["stack"][1] = s["caller"]
    s["count"] = rng.randrange(1, 5)
    s["counted_by_caller"] = 0
    s.pop("nested", None)
    return s


def machine(rng, seed, i, base_name, base, kernel_pick):
    rep = copy.deepcopy(base)
    rep["schema"] = "lockaudit.report/2"
    # every tenth report is the machine before it again (another boot,
    # maybe another kernel): runs on one machine count once
    rep["hostname"] = "host-%05d" % (i - 1 if i % 10 == 9 else i)
    rep["kernel"] = base["kernel"] + ["", "-u1", "-u2"][kernel_pick]
    rep["started"] = "2026-12-%02dT%02d:%02d:%02dZ" % (
        1 + i % 28, i % 24, (i // 24) % 60, (i * 7) % 60)
    scale = rng.randrange(1, 5)
    for hook in rep["hooks"]:
        for k in hook["calls"]:
            hook["calls"][k] *= scale
    # sites dropped are not part of the totals any more: the reader takes
    # the hooks' calls as the calls audited; the site counts stay <= them
    idx = 0
    for lst in sites_of(rep):
        kept = []
        for s in lst:
            idx += 1
            if rng.random() >= keep_prob(seed, base_name, idx):
                continue
            s["count"] *= scale
            s["counted_by_caller"] *= scale
            for n in s.get("nested", []):
                n["count"] *= scale
            kept.append(s)
        lst[:] = kept
    # a template whose culprit is the frame above the entry point
    plain = [(g, s) for g in rep["drivers"] for s in g["sites"]
             if len(s["stack"]) > 1 and s["stack"][1] == s["caller"]
             and "nested" not in s]
    if i % 20 == 7 and plain:
        g, s = plain[0]
        g["sites"].append(rare_site(rng, s))
    rep["drivers"] = [g for g in rep["drivers"] if g["sites"]]
    rep["core"] = [g for g in rep["core"] if g["sites"]]
    for g in rep["drivers"] + rep["core"]:
        g["violations"] = sum(s["count"] for s in g["sites"])
    for lst in sites_of(rep):
        for s in lst:
            s["machines"] = 1
            s["kernels"] = [{"kernel": rep["kernel"], "machines": 1}]
    return rep


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("sources", nargs="+", metavar="REPORT")
    ap.add_argument("--reports", type=int, required=True, dest="count")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    bases = []
    for path in a.sources:
        with open(path) as f:
            bases.append((os.path.basename(path), json.load(f)))
    weights = [6, 3, 1][:len(bases)] + [1] * max(0, len(bases) - 3)
    rng = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    for i in range(a.count):
        name, base = rng.choices(bases, weights)[0]
        rep = machine(rng, a.seed, i, name, base, rng.choices([0, 1, 2],
                                                              [5, 3, 2])[0])
        with open(os.path.join(a.outdir, "host-%05d.json" % i), "w") as f:
            json.dump(rep, f, separators=(",", ":"))
            f.write("\n")


if __name__ == "__main__":
    main()
