#!/bin/bash
# End-to-end: boot each x86_64 Debian kernel, run lockaudit while e1000e
# probes, la_test makes known unlocked/locked/held-by-other calls and the
# NIC is removed and rescanned; assert exact counts (tests/e2e/check.py).
# Usage: tests/e2e/run.sh [KERNEL...]   (default: 6.1 6.12)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
U=5 L=3 O=4 N=3 K=2
logdir=$top/build/e2e
mkdir -p "$logdir"
pass=0 fail=0
for k in "${kernels[@]}"; do
	log=$logdir/console-x86_64-$k.log
	echo "== e2e x86_64 $k (console log: ${log#$top/})"
	"$top/tests/vm/run" --kernel "$k" --timeout 400 \
		--add "$top/tests/e2e/guest.sh" -- sh /add/guest.sh $U $L $O $N $K \
		>"$log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		echo "  FAIL x86_64 $k: guest exited $rc; last lines:"
		tail -n 30 "$log" | sed 's/^/    /'
		fail=$((fail + 1))
		continue
	fi
	if /usr/bin/python3 "$top/tests/e2e/check.py" "$log" "x86_64-$k" $U $L $O $N $K; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi

	log=$logdir/console-x86_64-$k-boot.log
	echo "== e2e x86_64 $k boot/collect (console log: ${log#$top/})"
	"$top/tests/vm/run" --kernel "$k" --timeout 400 \
		--add "$top/tests/e2e/guest-boot.sh" -- sh /add/guest-boot.sh $U $O $K \
		>"$log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		echo "  FAIL x86_64 $k boot/collect: guest exited $rc; last lines:"
		tail -n 30 "$log" | sed 's/^/    /'
		fail=$((fail + 1))
	elif /usr/bin/python3 "$top/tests/e2e/check_boot.py" "$log" "x86_64-$k" $U $O $K; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
