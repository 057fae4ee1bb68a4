#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/check.sh SUITE... - run each `make SUITE` in turn (all of them, even
# after a failure, so that one run shows every broken suite), then print the
# tally: one line per suite with its time, and "check: N passed, M failed".
# Exit status 1 if any suite failed. Used by `make check`.
set -u
MAKE=${MAKE:-make}
passed=0
failed=0
summary=()
for s in "$@"; do
	echo "==== make $s"
	t0=$(date +%s)
	if $MAKE --no-print-directory "$s"; then
		r=passed
		passed=$((passed + 1))
	else
		r=FAILED
		failed=$((failed + 1))
		echo "==== make $s FAILED"
	fi
	summary+=("check: $r $s ($(($(date +%s) - t0)) s)")
done
echo
printf '%s\n' "${summary[@]}"
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
