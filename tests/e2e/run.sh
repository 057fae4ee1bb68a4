#!/bin/bash
# End-to-end: boot Debian kernels in qemu, run lockaudit while e1000e probes,
# la_test makes known unlocked/locked/held-by-other calls and the NIC is
# removed and rescanned; assert exact counts (tests/e2e/check.py). On the
# x86_64 6.1, 6.12 and 7.3 and the arm64 7.3 cells also the boot/collect
# (pinned) scenario
# (tests/e2e/check_boot.py).
# Usage: tests/e2e/run.sh [ARCH/KERNEL...]   (default: the whole matrix)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cells=("$@")
logdir=$top/build/e2e
if [ ${#cells[@]} -eq 0 ]; then
	cells=(x86_64/6.1 x86_64/6.12 x86_64/6.1-rt x86_64/6.12-rt x86_64/7.3 x86_64/7.3-rt
		arm64/6.1 arm64/6.12 arm64/7.3)
	rm -rf "$logdir" # a full run: docs/kernels.md is generated from it
fi
U=5 L=3 O=4 N=3 K=2
W=3 C=2 # boot/collect: la_test's calls from a work item and on a child device
adds=() # more files for the guest (tests/vm/run --add)
mkdir -p "$logdir"
pass=0 fail=0

guest() { # guest ARCH KERNEL LOG SCRIPT ARGS...: run SCRIPT in the guest
	local arch=$1 k=$2 log=$3 script=$4 rc
	shift 4
	"$top/tests/vm/run" --arch "$arch" --kernel "$k" --timeout 600 \
		--add "$top/tests/e2e/$script" "${adds[@]}" -- sh "/add/$script" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc != 0 ]; then
		echo "  FAIL $arch/$k: guest exited $rc; last lines of ${log#$top/}:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
	return $rc
}

for c in "${cells[@]}"; do
	case "$c" in */*) arch=${c%%/*} k=${c#*/} ;; *) arch=x86_64 k=$c ;; esac
	extra=()
	[ "$arch" = arm64 ] && extra=(fresh=1) # one device per call: see check.py
	log=$logdir/console-$arch-$k.log
	echo "== e2e $arch $k (console log: ${log#$top/})"
	testbin=$top/build/lockaudit-test
	[ "$arch" = arm64 ] && testbin=$top/build/arm64/lockaudit-test
	adds=(--add "$testbin") # phase 5: drops forced by the test build
	# phase 6: rules as data, and the example rule files (the issue's five
	# kernels: mutex and rwsem, plain and PREEMPT_RT, x86_64 and arm64)
	case "$arch/$k" in x86_64/6.1 | x86_64/6.12 | x86_64/7.3 | x86_64/7.3-rt | arm64/7.3)
		for r in "$top/tests/e2e/la_test.rules" "$top/tests/e2e/module.rules" \
			"$top"/rules/{iommu-group,mmap,pci-reset,rtnl}.rules; do
			adds+=(--add "$r")
		done
		;;
	esac
	# phase 6 with kprobes too (one cell per arch and the RT one)
	case "$arch/$k" in x86_64/7.3 | x86_64/7.3-rt | arm64/7.3)
		adds+=(--add "$top/tests/e2e/rules-kprobe") ;;
	esac
	# phase 7: 256 rules at once, where the kernel's vmlinux is at hand
	case "$arch/$k" in x86_64/7.3)
		bin=$top/build/lockaudit
		if "$top/tests/e2e/scale-rules.sh" "$arch" "$k" "$bin" "$logdir/scale-$arch-$k.rules"; then
			adds+=(--add "$logdir/scale-$arch-$k.rules:/add/scale.rules")
		else
			echo "  FAIL $arch/$k: no candidate rules for the 256-rule check"
			fail=$((fail + 1))
		fi
		;;
	esac
	if guest "$arch" "$k" "$log" guest.sh $U $L $O $N $K "${extra[@]}" &&
		/usr/bin/python3 "$top/tests/e2e/check.py" "$log" "$arch" "$k" $U $L $O $N $K; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi

	if [ "$arch/$k" = x86_64/7.3 ]; then
		log=$logdir/console-$arch-$k-sample.log
		echo "== e2e $arch $k boot sample (console log: ${log#$top/})"
		if LA_NO_EARLY=1 guest "$arch" "$k" "$log" guest-sample.sh &&
			/usr/bin/python3 "$top/tests/e2e/check_sample.py" "$log" "$arch-$k"; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
		fi
	fi

	case "$arch/$k" in x86_64/6.1 | x86_64/6.12 | x86_64/7.3 | arm64/7.3) ;; *) continue ;; esac
	log=$logdir/console-$arch-$k-boot.log
	echo "== e2e $arch $k boot/collect (console log: ${log#$top/})"
	if guest "$arch" "$k" "$log" guest-boot.sh $U $O $K $W $C &&
		/usr/bin/python3 "$top/tests/e2e/check_boot.py" "$log" "$arch-$k" $U $O $K $W $C; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "e2e: $pass passed, $fail failed"
[ $fail = 0 ]
