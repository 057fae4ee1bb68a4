# shellcheck shell=bash
# ---- report: merging and sorting big reports (issue 13) --------------------
# Sourced by tests/cli/run.sh. 20,000 sites (1,000 driver modules) read twice:
# every site of the second copy merges into its twin, and the whole run
# stays within run's time limit ($TMO s; the quadratic merge and sort took
# about 90 s of CPU for this).

if /usr/bin/python3 bench/gen-report.py "$T/big.json" --sites 20000 \
	--devices 4 --races 20 2>"$ERR" &&
	/usr/bin/python3 bench/gen-report.py "$T/big-b.json" --sites 20000 \
		--devices 4 --races 20 --host bench-b 2>"$ERR"; then
	# the same sites from two hosts (one run is merged only once)
	expect "report: 2 x 20,000 sites merged and sorted within $TMO s" 0 \
		"DRIVERS calling without the device lock" \
		"$BIN" report "$T/big.json" "$T/big-b.json" --json "$T/big2.json"
	run /usr/bin/python3 - "$T/big.json" "$T/big2.json" <<-'PY'
		import json, sys

		def sites(path):
		    d = json.load(open(path))
		    out = [s for g in d["drivers"] + d["core"] for s in g["sites"]]
		    out += d["unclassified"] + d["held"]
		    return {json.dumps(s["stack"]) + s["lock_state"]: s for s in out}, d

		one, d1 = sites(sys.argv[1])
		two, d2 = sites(sys.argv[2])
		assert len(one) == 20000 and len(two) == 20000, (len(one), len(two))
		for k, s in one.items():
		    assert two[k]["count"] == 2 * s["count"], k
		    assert two[k]["devices"] == s["devices"], k
		assert [r["count"] * 2 for r in d1["concurrent"]] == \
		    [r["count"] for r in d2["concurrent"]]
	PY
	[ "$rc" -eq 0 ] && ok "report: each of 20,000 sites merged with its twin" ||
		bad "report: each of 20,000 sites merged with its twin" \
			"$(tail -n 2 "$ERR")"
else
	bad "report: generating 20,000 sites" "$(tail -n 1 "$ERR")"
fi
