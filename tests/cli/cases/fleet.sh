# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# ---- report: a fleet's reports merged (issue 18) ----------------------------
# Sourced by tests/cli/run.sh. tests/cli/data/fleet: five runs on four
# machines (alpha ran two kernels; numbers in tests/unit/test_fleet.c);
# tests/unit/data/fleet: three real reports (lockaudit.report/1, one VM,
# hostname "(none)"); and 300 reports made by bench/gen-fleet.py from them,
# checked against machines and kernels counted by Python from the inputs.

F=tests/cli/data/fleet
K1=6.1.0-56-amd64
K2=6.12.117+deb12-amd64

expect "fleet: runs, machines and kernels in the summary" 0 \
	"fleet: 5 runs on 4 machines (by hostname), kernels: $K1 (3), $K2 (2)" \
	"$BIN" report $F/a.json $F/b.json $F/c.json $F/d.json $F/e.json \
	--json "$T/fleet.json"
expect "fleet: a site on 3 machines, 2 on each kernel" 0 \
	"      seen on 3 machines, kernels: $K1 (2), $K2 (2)" \
	"$BIN" report $F/a.json $F/b.json $F/c.json $F/d.json $F/e.json
expect "fleet: a site on 2 machines, alpha under both kernels" 0 \
	"      seen on 2 machines, kernels: $K1 (2), $K2 (1)" \
	"$BIN" report $F/a.json $F/b.json $F/c.json $F/d.json $F/e.json
run $VALIDATE docs/report.schema.json "$T/fleet.json"
[ "$rc" -eq 0 ] && ok "fleet: the merged JSON validates" ||
	bad "fleet: the merged JSON validates" "$(head -3 "$ERR")"

# one machine: no fleet lines (the text of one run is as before)
run "$BIN" report $F/a.json
if [ "$rc" -eq 0 ] && ! grep -q -e "^fleet:" -e "seen on" "$OUT" &&
	grep -qx "kernel $K1 (x86_64), alpha, 10.0 s" "$OUT"; then
	ok "fleet: one run has no fleet lines"
else
	bad "fleet: one run has no fleet lines" "exit $rc: $(head -3 "$OUT")"
fi

# merged reports merged again: same bytes as merging the originals
"$BIN" report $F/a.json $F/b.json --json "$T/ab.json" >/dev/null 2>&1
"$BIN" report $F/c.json $F/d.json $F/e.json --json "$T/cde.json" >/dev/null 2>&1
run "$BIN" report "$T/ab.json" "$T/cde.json" --json "$T/ab-cde.json"
if [ "$rc" -eq 0 ] && cmp -s "$T/ab-cde.json" "$T/fleet.json"; then
	ok "fleet: (a b) + (c d e) gives the JSON of a b c d e"
else
	bad "fleet: (a b) + (c d e) gives the JSON of a b c d e" "exit $rc or differs"
fi
expect "fleet: a run in two merged reports is refused" 9 \
	"the run on 'alpha' (kernel $K1) started 2026-12-01T10:00:00Z is merged already" \
	"$BIN" report "$T/ab.json" "$T/fleet.json"

# run_ranges only with runs; a merged /1 report is refused
sed 's/"counted_by_caller":0,/"counted_by_caller":0,"run_ranges":[[0,0]],/' \
	$F/b.json >"$T/b-ranges.json"
expect "fleet: run_ranges in a report of one run" 9 \
	"b-ranges.json: a report of one run with 'run_ranges'" \
	"$BIN" report "$T/b-ranges.json"
sed 's/lockaudit.report\/2/lockaudit.report\/1/' "$T/ab.json" >"$T/ab-v1.json"
expect "fleet: a merged lockaudit.report/1 is refused" 9 \
	"ab-v1.json: a merged lockaudit.report/1 report (its sites do not name their runs)" \
	"$BIN" report "$T/ab-v1.json"

# real lockaudit.report/1 reports of one run each are read
R=tests/unit/data/fleet
expect "fleet: three real /1 reports, one hostname" 0 \
	"fleet: 3 runs on 1 machine (by hostname), kernels: $K1 (1), $K2 (1), 7.3.4+deb13-arm64 (1)" \
	"$BIN" report $R/real-x86_64-6.1.json $R/real-x86_64-6.12.json \
	$R/real-arm64-7.3.json

# 300 generated machines: lockaudit's numbers against Python's
mkdir -p "$T/gen"
if /usr/bin/python3 bench/gen-fleet.py "$T/gen" --reports 300 --seed 7 \
	$R/real-x86_64-6.1.json $R/real-x86_64-6.12.json \
	$R/real-arm64-7.3.json 2>"$ERR"; then
	run "$BIN" report "$T"/gen/*.json --json "$T/gen.json"
	run /usr/bin/python3 - "$T/gen" "$T/gen.json" <<-'PY'
		import collections, glob, json, sys

		def sites(d):
		    out = [s for g in d["drivers"] + d["core"] for s in g["sites"]]
		    return out + d["unclassified"] + d["held"]

		def key(s):
		    return (s["entry_point"], s["lock_state"], tuple(s["stack"]),
		            s["registered"], s["iommu_probe_device_lock"])

		hosts = collections.defaultdict(set)
		pairs = collections.defaultdict(set)
		count = collections.Counter()
		total = 0
		for path in glob.glob(sys.argv[1] + "/*.json"):
		    d = json.load(open(path))
		    for s in sites(d):
		        hosts[key(s)].add(d["hostname"])
		        pairs[key(s)].add((d["hostname"], d["kernel"]))
		        count[key(s)] += s["count"]
		        total += s["count"] + sum(n["count"]
		                                  for n in s.get("nested", []))
		out = json.load(open(sys.argv[2]))
		assert len(out["runs"]) == 300, len(out["runs"])
		got = sites(out)
		# sites made inside another's calls fold into it (nested), across
		# machines too: all calls stay, each site left is one of the inputs
		assert total == sum(s["count"] + sum(n["count"] for n in
		                    s.get("nested", [])) for s in got), total
		for s in got:
		    k = key(s)
		    assert s["machines"] == len(hosts[k]), (k, s["machines"])
		    kern = collections.Counter(kk for _, kk in pairs[k])
		    want = sorted(kern.items(), key=lambda x: (-x[1], x[0]))
		    have = [(x["kernel"], x["machines"]) for x in s["kernels"]]
		    assert have == want, (k, have, want)
		    assert s["count"] == count[k], (k, s["count"], count[k])
		print(len(got), "sites,", max(s["machines"] for s in got),
		      "machines at most")
	PY
	[ "$rc" -eq 0 ] &&
		ok "fleet: 300 generated machines: per-site machines, kernels and counts as counted from the inputs ($(cat "$OUT"))" ||
		bad "fleet: 300 generated machines: as counted from the inputs" "$(tail -3 "$ERR")"
	files=("$T"/gen/*.json)
	"$BIN" report "${files[@]:0:120}" --json "$T/g1.json" >/dev/null 2>&1
	"$BIN" report "${files[@]:120}" --json "$T/g2.json" >/dev/null 2>&1
	run "$BIN" report "$T/g1.json" "$T/g2.json" --json "$T/g12.json"
	if [ "$rc" -eq 0 ] && cmp -s "$T/g12.json" "$T/gen.json"; then
		ok "fleet: 300 machines merged as 120 + 180 give the same JSON"
	else
		bad "fleet: 300 machines merged as 120 + 180 give the same JSON" "exit $rc or differs"
	fi
else
	bad "fleet: bench/gen-fleet.py" "$(tail -3 "$ERR")"
fi
rm -rf "$T/gen"
