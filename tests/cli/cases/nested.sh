# shellcheck shell=bash
# Nested violations (sourced by tests/cli/run.sh): la_test's one unlocked
# of_dma_configure_id() call on arm64 runs of_iommu_configure(), and inside
# it iommu_fwspec_init() and iommu_probe_device(): one violation, the inner
# entry points listed under it, also when the outer call and the inner ones
# come from different reports.

/usr/bin/python3 - "$GOLDEN" "$T" <<'PY'
import json, sys

src, out = sys.argv[1], sys.argv[2]
tail = ["la_call_unlocked+0x24 [la_test]", "la_run+0x40 [la_test]", "do_one_initcall+0x4c",
        "do_init_module+0x60", "load_module+0x1f0c", "invoke_syscall+0x48"]
inner = {"of_dma_configure_id": [],
         "of_iommu_configure": ["of_dma_configure_id+0x1a4"],
         "iommu_fwspec_init": ["of_iommu_xlate+0x54", "of_iommu_configure+0x120",
                               "of_dma_configure_id+0x1a4"],
         "iommu_probe_device": ["of_iommu_configure+0x15c", "of_dma_configure_id+0x1a4"]}


def site(e):
    return {"entry_point": e, "lock_state": "unlocked", "count": 3, "group": "driver",
            "severity": "high", "registered": True, "iommu_probe_device_lock": "not_held",
            "module": "la_test", "function": "la_call_unlocked", "caller": tail[0],
            "first_seen_s": 1.0, "last_seen_s": 2.0,
            "devices": [{"name": f"la_test.{i}", "bus": "platform", "driver": None,
                         "registered": True} for i in range(3)],
            "stack": [e + "+0x8"] + inner[e] + tail, "stack_truncated": False}


def report(started, entries):
    r = json.load(open(src))
    r.update(started=started, arch="aarch64", concurrent=[], core=[], unclassified=[], held=[])
    r["hooks"] = [{"function": e, "attach": "fentry", "reason": "",
                   "calls": {"held": 0, "unlocked": 3 if e in entries else 0, "held_by_other": 0}}
                  for e in inner]
    r["drivers"] = [{"module": "la_test", "violations": 3 * len(entries),
                     "sites": [site(e) for e in entries]}]
    return r


json.dump(report("2026-01-01T00:00:00Z", ["of_dma_configure_id"]), open(out + "/outer.json", "w"))
json.dump(report("2026-01-02T00:00:00Z", ["of_iommu_configure", "iommu_fwspec_init",
                                          "iommu_probe_device"]), open(out + "/inner.json", "w"))
PY

expect "nested: one call is one violation, merged across reports" 0 \
	"  la_test: 3 violations at 1 site" \
	"$BIN" report "$T/outer.json" "$T/inner.json" --json "$T/nested.json"
grep -qxF "      inside: iommu_fwspec_init 3, iommu_probe_device 3, of_iommu_configure 3" "$OUT" &&
	grep -qF "12 calls audited: 0 held, 3 unlocked, 0 held by another task, 9 nested inside those" "$OUT" &&
	ok "nested: the inner entry points listed under the outer call, the calls counted" ||
	bad "nested: the inner entry points listed under the outer call, the calls counted" "$(head -n 12 "$OUT")"
cp "$OUT" "$T/nested.txt"
run /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
s = [x for g in r["drivers"] for x in g["sites"]]
t = r["totals"]
assert [(x["entry_point"], x["count"], x["nested"]) for x in s] == [("of_dma_configure_id", 3, [
    {"entry_point": "iommu_fwspec_init", "count": 3}, {"entry_point": "iommu_probe_device", "count": 3},
    {"entry_point": "of_iommu_configure", "count": 3}])], s
assert (t["violations"], t["unlocked"], t["nested"], t["calls_audited"]) == (3, 3, 9, 12), t
assert all(h["calls"]["unlocked"] == 3 for h in r["hooks"]), r["hooks"]
' "$T/nested.json"
[ "$rc" -eq 0 ] && ok "nested: JSON says the same (nested, totals, exact hooks)" ||
	bad "nested: JSON says the same (nested, totals, exact hooks)" "$(tail -n 3 "$ERR")"
run $VALIDATE docs/report.schema.json "$T/nested.json"
[ "$rc" -eq 0 ] && ok "nested: a report with nested calls validates against the schema" ||
	bad "nested: a report with nested calls validates against the schema" "$(head -n 3 "$ERR")"
run "$BIN" report "$T/nested.json"
[ "$rc" -eq 0 ] && cmp -s "$OUT" "$T/nested.txt" &&
	ok "nested: the merged report reads back to the same report" ||
	bad "nested: the merged report reads back to the same report" "exit $rc, $(diff "$T/nested.txt" "$OUT" | head -n 4)"
