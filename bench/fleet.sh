#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/fleet.sh - `lockaudit report` over a fleet: N reports made by
# bench/gen-fleet.py from the real reports in tests/unit/data/fleet
# (make bench-fleet; docs/benchmarks.md, "Fleet merging").
#
# Times with /usr/bin/time -v (wall, user and system seconds, maximum RSS):
#   all     lockaudit report DIR/*.json --json OUT (text to a file)
#   parts   the same reports merged in 10 parts, then the 10 merged reports
#           merged again; its JSON must be the same bytes as all's
# and prints a Markdown table. Generated files are kept in the work
# directory and reused.
#
# Usage: bench/fleet.sh [--bin PATH] [--reports N] [--dir DIR]
# Defaults: --bin build/lockaudit --reports 10000 --dir build/bench-fleet
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

bin=build/lockaudit n=10000 dir=build/bench-fleet
while [ $# -gt 0 ]; do
	case "$1" in
	--bin)
		bin=$2
		shift 2
		;;
	--reports)
		n=$2
		shift 2
		;;
	--dir)
		dir=$2
		shift 2
		;;
	*)
		echo "usage: $0 [--bin PATH] [--reports N] [--dir DIR]" >&2
		exit 2
		;;
	esac
done
[ -x "$bin" ] || {
	echo "$0: $bin: not built" >&2
	exit 1
}
R=tests/unit/data/fleet
gen=$dir/reports-$n
if [ ! -e "$gen/.done" ]; then
	rm -rf "$gen"
	/usr/bin/python3 bench/gen-fleet.py "$gen" --reports "$n" \
		$R/real-x86_64-6.1.json $R/real-x86_64-6.12.json \
		$R/real-arm64-7.3.json || exit 1
	touch "$gen/.done"
fi
files=("$gen"/*.json)
mb=$(du -cm "${files[@]}" | tail -1 | cut -f1)

# timed NAME CMD...: a table row from /usr/bin/time -v
timed() {
	local name=$1 t=$dir/time.txt f=$dir/${1%% *}
	shift
	if ! /usr/bin/time -v -o "$t" "$@" >"$f.txt" 2>"$f.err"; then
		echo "$0: $name failed: $(head -3 "$f.err")" >&2
		exit 1
	fi
	awk -v name="$name" -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, p, ":"); wall = (n == 3) ? p[1] * 3600 + p[2] * 60 + p[3] : p[1] * 60 + p[2] }
		/User time/ { user = $2 } /System time/ { sys = $2 }
		/Maximum resident/ { rss = $2 }
		END { printf "| %s | %.2f | %.2f | %.2f | %.1f |\n", name, wall, user, sys, rss / 1024 }' "$t"
}

echo "Conditions: $n reports ($mb MB), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | wall s | user s | sys s | max RSS MB |"
echo "|---|---:|---:|---:|---:|"
timed all "$bin" report "${files[@]}" --json "$dir/all.json"
step=$(((n + 9) / 10)) parts=()
for ((i = 0; i < n; i += step)); do
	"$bin" report "${files[@]:i:step}" --json "$dir/part-$i.json" \
		>/dev/null || exit 1
	parts+=("$dir/part-$i.json")
done
timed "parts (10 merged reports)" "$bin" report "${parts[@]}" \
	--json "$dir/parts.json"
echo
if cmp -s "$dir/all.json" "$dir/parts.json"; then
	echo "The 10 merged parts merged again: the same JSON as all reports at once."
else
	echo "$0: the parts merged again differ from all at once" >&2
	exit 1
fi
grep -m1 '^fleet:' "$dir/all.txt"
