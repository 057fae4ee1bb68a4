#!/bin/bash
# All stress tests (x86_64 6.12 guests): hotplug (QMP, 300 cycles), loops
# (100 rescans + 100 rebinds), flood (1,000,000 calls from 4 threads), race
# (concurrent finding), sigkill (--interval report survives kill -9),
# misses (x86_64 7.3-rt: calls the kernel skipped are counted as missed).
# Prints per-test results and timings, then "N passed, N failed".
# Usage: tests/stress/run.sh [TEST...]   (default: all six)
# Console logs: build/stress/ (LA_STRESS_LOGS).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(hotplug loops flood race sigkill misses)
pass=0 fail=0 summary=()
t_all=$SECONDS
for t in "${tests[@]}"; do
	[ -x "$here/$t.sh" ] || { echo "stress: unknown test $t" >&2; exit 2; }
	echo "== stress $t"
	t0=$SECONDS
	if "$here/$t.sh"; then
		r=PASS pass=$((pass + 1))
	else
		r=FAIL fail=$((fail + 1))
	fi
	summary+=("$r $t ($((SECONDS - t0)) s)")
done
echo "== stress summary (total $((SECONDS - t_all)) s)"
printf '  %s\n' "${summary[@]}"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
