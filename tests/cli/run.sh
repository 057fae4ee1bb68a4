#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/cli/run.sh BINARY - host-side tests of the lockaudit command line.
#
# Needs no BPF: the host kernel refuses BPF tracing programs, so every case
# stops before loading (argument checks, preflight) or uses `report`, which
# only reads JSON. Also validates the golden JSON report and a sample
# `probes --json` output against docs/*.schema.json (python3-jsonschema).
#
# Each case asserts the exact exit code and a key phrase of the output and
# prints one line; the last line is "N passed, N failed". Exit status is 1
# if any case failed. The unprivileged cases (exit 4) need root and setpriv
# to drop to uid 65534; without them they are reported as skipped.
set -u

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: $0 path/to/lockaudit" >&2
	exit 2
fi
BIN=$(readlink -f "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
DATA=tests/unit/data
GOLDEN=$DATA/report.golden.json
VALIDATE="/usr/bin/python3 tests/unit/validate.py"
VERSION=$(sed -n 's/^VERSION := //p' Makefile)

T=$(mktemp -d /tmp/lockaudit-cli.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"

pass=0
failed=0
skipped=0
OUT=$T/stdout
ERR=$T/stderr

ok() {
	pass=$((pass + 1))
	echo "ok   $1"
}

bad() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
	if [ -s "$ERR" ]; then
		sed 's/^/       stderr: /' "$ERR" | head -5
	fi
}

skip() {
	skipped=$((skipped + 1))
	echo "skip $1: $2"
}

# run CMD...: stdout to $OUT, stderr to $ERR, exit code in $rc (124: the
# command did not finish within $TMO seconds)
TMO=20
run() {
	timeout "$TMO" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}

# expect NAME RC PHRASE CMD...
#   exit code must be RC; for RC != 0 the message is on stderr: its first
#   line contains PHRASE and starts with the program name ("lockaudit",
#   "lockaudit run", or argv[0] from the top-level parser); a usage error (RC 2
#   from the option parser) may add argp's "Try ... --help" hint, any other
#   failure is exactly one line. For RC 0, PHRASE is looked for in stdout.
expect() {
	local name=$1 want=$2 phrase=$3 first lines
	shift 3
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, want $want"
		return
	fi
	if [ "$want" -eq 0 ]; then
		if ! grep -qF -- "$phrase" "$OUT"; then
			bad "$name" "stdout lacks '$phrase'"
			return
		fi
		ok "$name"
		return
	fi
	first=$(head -n 1 "$ERR")
	lines=$(wc -l <"$ERR")
	case $first in
	*"$phrase"*) ;;
	*)
		bad "$name" "message '$first' lacks '$phrase'"
		return
		;;
	esac
	case $first in
	lockaudit*: | lockaudit*:\ * | */lockaudit:\ *) ;;
	*)
		bad "$name" "message '$first' does not start with the program name"
		return
		;;
	esac
	if [ "$lines" -ne 1 ] && ! grep -q "^Try \`lockaudit" "$ERR"; then
		bad "$name" "message is $lines lines, want one"
		return
	fi
	if [ -s "$OUT" ]; then
		bad "$name" "unexpected output on stdout"
		return
	fi
	ok "$name"
}

# ---- schemas --------------------------------------------------------------

if ! /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	bad "schema: python3-jsonschema" "not installed"
else
	run $VALIDATE docs/report.schema.json "$GOLDEN"
	[ "$rc" -eq 0 ] && ok "schema: golden report validates" ||
		bad "schema: golden report validates" "$(head -n 3 "$ERR")"
	run $VALIDATE docs/probes.schema.json $DATA/probes.sample.json
	[ "$rc" -eq 0 ] && ok "schema: sample probes --json validates" ||
		bad "schema: sample probes --json validates" "$(head -n 3 "$ERR")"
	# the schema must reject a probes document and vice versa
	run $VALIDATE docs/report.schema.json $DATA/probes.sample.json
	[ "$rc" -eq 1 ] && ok "schema: report schema rejects probes output" ||
		bad "schema: report schema rejects probes output" "exit $rc, want 1"
fi

# ---- usage errors: exit 2 -------------------------------------------------

expect "unknown global flag" 2 "unrecognized option '--bogus'" "$BIN" --bogus
expect "unknown run flag" 2 "unrecognized option '--bogus'" "$BIN" run --bogus
expect "unknown report flag" 2 "unrecognized option '--duration=5'" \
	"$BIN" report --duration=5 $GOLDEN
expect "unknown command" 2 "unknown command 'frob'" "$BIN" frob
expect "no command" 2 "no command given" "$BIN"
expect "run --duration abc" 2 "invalid duration 'abc'" "$BIN" run --duration abc
expect "run --duration -1" 2 "invalid duration '-1'" "$BIN" run --duration -1
expect "run --duration 0" 2 "invalid duration '0'" "$BIN" run --duration 0
expect "run --duration nan" 2 "invalid duration 'nan'" "$BIN" run --duration nan
expect "run --duration 5s" 2 "invalid duration '5s'" "$BIN" run --duration 5s
expect "run --duration without value" 2 "requires an argument" "$BIN" run --duration
expect "run --attach bogus" 2 "invalid attach mode 'bogus'" "$BIN" run --attach bogus
expect "run --interval 0" 2 "invalid interval '0'" "$BIN" run --interval 0
expect "run --interval abc" 2 "invalid interval 'abc'" "$BIN" run --interval abc
expect "boot --attach bogus" 2 "invalid attach mode 'bogus'" "$BIN" boot --attach bogus
expect "boot --hooks nosuchfn" 3 "unknown hook 'nosuchfn'" "$BIN" boot --hooks nosuchfn
expect "collect --bogus" 2 "unrecognized option '--bogus'" "$BIN" collect --bogus
expect "collect --json unwritable" 7 "cannot write the report to '/nonexistent/dir/r.json'" \
	"$BIN" collect --json /nonexistent/dir/r.json
expect "probes --attach bogus" 2 "invalid attach mode 'bogus'" "$BIN" probes --attach bogus
expect "run stray argument" 2 "unexpected argument 'extra'" "$BIN" run extra
expect "run --json - --events -" 2 "cannot both use stdout" \
	"$BIN" run --json - --events -
expect "report without a file" 2 "no report file given" "$BIN" report

# ---- preflight, in the order a user fixes things --------------------------

expect "run --hooks nosuchfn" 3 "unknown hook 'nosuchfn'" "$BIN" run --hooks nosuchfn
expect "run --hooks list with one unknown" 3 "unknown hook 'nosuchfn'" \
	"$BIN" run --hooks acpi_dma_configure_id,nosuchfn
expect "probes --hooks nosuchfn" 3 "unknown hook 'nosuchfn'" "$BIN" probes --hooks nosuchfn
expect "run --json into a missing directory" 7 \
	"cannot write the report to '/nonexistent/dir/r.json'" \
	"$BIN" run --json /nonexistent/dir/r.json
expect "run --events into a missing directory" 7 \
	"cannot write events to '/nonexistent/dir/e.jsonl'" \
	"$BIN" run --events /nonexistent/dir/e.jsonl
expect "hooks are checked before the output" 3 "unknown hook 'nosuchfn'" \
	"$BIN" run --hooks nosuchfn --json /nonexistent/dir/r.json

if [ "$(id -u)" -ne 0 ]; then
	skip "unprivileged cases" "need root to drop privileges"
	skip "run --btf /nonexistent" "needs root to get past the capability check"
elif ! command -v setpriv >/dev/null; then
	skip "unprivileged cases" "setpriv not found"
	expect "run --btf /nonexistent" 5 "cannot read BTF file '/nonexistent'" \
		"$BIN" run --btf /nonexistent
else
	cp "$BIN" "$T/lockaudit" && chmod 755 "$T/lockaudit"
	NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	expect "run as an unprivileged user" 4 "needs CAP_BPF and CAP_PERFMON" \
		"${NOBODY[@]}" "$T/lockaudit" run
	expect "probes as an unprivileged user" 4 "needs CAP_BPF" \
		"${NOBODY[@]}" "$T/lockaudit" probes --json
	expect "unprivileged: output checked before privileges" 7 \
		"cannot write the report to '/nonexistent/dir/r.json'" \
		"${NOBODY[@]}" "$T/lockaudit" run --json /nonexistent/dir/r.json
	expect "run --btf /nonexistent" 5 "cannot read BTF file '/nonexistent'" \
		"$BIN" run --btf /nonexistent
	expect "probes --btf /nonexistent" 5 "cannot read BTF file '/nonexistent'" \
		"$BIN" probes --btf /nonexistent
	expect "boot as an unprivileged user" 4 "needs CAP_BPF" \
		"${NOBODY[@]}" "$T/lockaudit" boot
	expect "collect as an unprivileged user" 4 "needs CAP_BPF" \
		"${NOBODY[@]}" "$T/lockaudit" collect
	# root without CAP_SYS_ADMIN (CAP_BPF and CAP_PERFMON kept): loading
	# is refused before libbpf fails on BPF_BTF_GET_NEXT_ID (EINVAL)
	NOADMIN=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin)
	for c in run probes boot; do
		expect "$c as root without CAP_SYS_ADMIN" 4 \
			"loading the BPF programs needs CAP_SYS_ADMIN too" \
			"${NOADMIN[@]}" "$BIN" $c
	done
	if [ ! -e /sys/fs/bpf/lockaudit ]; then
		expect "collect with nothing pinned" 11 "nothing pinned under /sys/fs/bpf/lockaudit" \
			"$BIN" collect
	fi
fi

# ---- report: bad input, exit 9 --------------------------------------------

printf 'lockaudit: watching 12 entry points\n' >"$T/notjson.json"
printf '{"schema": "lockaudit.probes/1", "hooks": []}\n' >"$T/probes.json"
cp $DATA/probes.sample.json "$T/probes-sample.json"

expect "report missing.json" 9 "missing.json: No such file or directory" \
	"$BIN" report "$T/missing.json"
expect "report on a non-JSON file" 9 "notjson.json: not valid JSON" \
	"$BIN" report "$T/notjson.json"
expect "report on a wrong-schema JSON" 9 \
	"not a lockaudit report (schema 'lockaudit.probes/1'" \
	"$BIN" report "$T/probes.json"
expect "report on probes --json output" 9 "not a lockaudit report" \
	"$BIN" report "$T/probes-sample.json"
expect "report: one bad file fails the merge" 9 "notjson.json: not valid JSON" \
	"$BIN" report $GOLDEN "$T/notjson.json"
expect "report --json into a missing directory" 7 \
	"cannot write the report to '/nonexistent/dir/o.json'" \
	"$BIN" report $GOLDEN --json /nonexistent/dir/o.json

# ---- report: rendering and merging ----------------------------------------

expect "report golden renders text" 0 "DRIVERS calling without the device lock" \
	"$BIN" report $GOLDEN
if [ "$rc" -eq 0 ]; then
	if diff -u $DATA/report.golden.txt "$OUT" >"$T/diff"; then
		ok "report golden: text equals report.golden.txt"
	else
		bad "report golden: text equals report.golden.txt" \
			"$(head -n 12 "$T/diff" | tr '\n' '|')"
	fi
fi

# a second report: another kernel, started earlier
/usr/bin/python3 - "$GOLDEN" "$T" <<'EOF'
import json, sys
src, out = sys.argv[1], sys.argv[2]
r = json.load(open(src))
r["kernel"] = "6.8.0-rc1"
r["started"] = "2024-02-29T08:00:00Z"
json.dump(r, open(out + "/b.json", "w"), indent=2)
r["hostname"] = ""
json.dump(r, open(out + "/nohost.json", "w"), indent=2)
EOF

expect "report a.json b.json --json out.json" 0 "merged reports" \
	"$BIN" report $GOLDEN "$T/b.json" --json "$T/out.json"
if [ -f "$T/out.json" ]; then
	run $VALIDATE docs/report.schema.json "$T/out.json"
	[ "$rc" -eq 0 ] && ok "merged report validates against the schema" ||
		bad "merged report validates against the schema" "$(head -n 3 "$ERR")"
	run /usr/bin/python3 - "$GOLDEN" "$T/out.json" <<'EOF'
import json, sys
a, m = (json.load(open(p)) for p in sys.argv[1:3])
assert m["sources"] == 2, m["sources"]
assert m["kernel"] == "6.1.0-18-amd64, 6.8.0-rc1", m["kernel"]
assert m["started"] == "2024-02-29T08:00:00Z", m["started"]
assert m["totals"]["calls_audited"] == 2 * a["totals"]["calls_audited"]
for g in ("drivers", "core"):
    assert [x["violations"] * 1 for x in m[g]] == [2 * x["violations"] for x in a[g]], g
    for ga, gm in zip(a[g], m[g]):
        for sa, sm in zip(ga["sites"], gm["sites"]):
            assert sm["count"] == 2 * sa["count"]
            assert sm["devices"] == sa["devices"], "devices not deduplicated"
EOF
	[ "$rc" -eq 0 ] && ok "merged report: counts doubled, kernels joined, sources 2" ||
		bad "merged report: counts doubled, kernels joined, sources 2" "$(tail -n 1 "$ERR")"
else
	bad "merged report validates against the schema" "no $T/out.json"
fi

expect "report --json - writes only JSON to stdout" 0 '"schema":"lockaudit.report/2"' \
	"$BIN" report $GOLDEN --json -
if [ "$rc" -eq 0 ]; then
	cp "$OUT" "$T/stdout.json"
	run $VALIDATE docs/report.schema.json "$T/stdout.json"
	[ "$rc" -eq 0 ] && ok "report --json - validates against the schema" ||
		bad "report --json - validates against the schema" "$(head -n 3 "$ERR")"
fi

# merging a report whose hostname is "" after one with a name must finish
TMO=5
expect "report merge with an empty hostname terminates" 0 "merged reports" \
	"$BIN" report $GOLDEN "$T/nohost.json"
TMO=20

# ---- version and help -----------------------------------------------------

expect "--version" 0 "lockaudit $VERSION" "$BIN" --version
expect "--help lists the commands" 0 "report    render (and merge) saved JSON reports" "$BIN" --help
expect "run --help lists --duration" 0 "--duration=SEC" "$BIN" run --help

# ---- cases by area (tests/cli/cases/*.sh, sourced in name order) ----------

for f in tests/cli/cases/*.sh; do
	[ -e "$f" ] || continue
	# shellcheck source=/dev/null
	. "$f"
	TMO=20
done

[ "$skipped" -gt 0 ] && echo "($skipped skipped)"
echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
