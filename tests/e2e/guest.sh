#!/bin/sh
# Runs inside the guest (see tests/e2e/run.sh). Usage: guest.sh U L O N K [ARG...]
#   U/L/O: la_test's unlocked / locked / held-by-other calls (auto attach)
#   N: remove+rescan cycles of the e1000e PCI device
#   K: the same la_test calls again, each K, with --attach kprobe
#   ARG: more la_test parameters (e.g. fresh=1)
# Prints each result file between "@@BEGIN name" and "@@END name" lines.
U=$1 L=$2 O=$3 N=$4 K=$5
F=20 # phase 3: la_test bench=F settle=5000 (tests/e2e/check.py knows F)
shift 5
dmesg -n 1
fail() { echo "guest: FAIL $*"; exit 1; }
dump() { echo "@@BEGIN $1"; cat "$2"; echo "@@END $1"; }

wait_for() { # wait_for FILE PATTERN
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 600 ] && fail "timeout waiting for '$2' in $1"
		sleep 0.1
	done
}
stop_wait() { # stop_wait PID: wait for it, 60 s at most (then say so, kill it); sets rc
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "guest: lockaudit (pid $1) still running 60 s after SIGINT"
			grep -E '^(State|voluntary|nonvoluntary)' /proc/"$1"/status
			echo "wchan $(cat /proc/"$1"/wchan 2>/dev/null) syscall $(cat /proc/"$1"/syscall 2>/dev/null)"
			cat /proc/"$1"/stack 2>/dev/null | head -n 20
			sleep 2
			grep -E '^(State|voluntary|nonvoluntary)' /proc/"$1"/status
			cat /proc/"$1"/stat
			tail -n 20 /tmp/run3.out
			kill -KILL "$1"
			break
		fi
		sleep 0.1
	done
	wait "$1"
	rc=$?
}
wait_eth() { # wait until the e1000e device is bound again
	i=0
	while ! ls /sys/bus/pci/drivers/e1000e/ 2>/dev/null | grep -q '^0000'; do
		i=$((i + 1)); [ $i -gt 300 ] && fail "e1000e did not bind"
		sleep 0.1
	done
}

lockaudit probes --json >/tmp/probes.json || fail "probes exited $?"
dump probes /tmp/probes.json

# ---- phase 1: auto attach (fentry), e1000e probe, la_test, rescans ----
lockaudit run --json /tmp/fentry.json --events /tmp/events.jsonl >/tmp/run1.out 2>&1 &
pid=$!
wait_for /tmp/run1.out watching
insmod "$LA_E1000E" || fail "insmod e1000e"
wait_eth
insmod "$LA_TESTMOD" unlocked="$U" locked="$L" other="$O" "$@" || fail "insmod la_test"
j=0
while [ $j -lt "$N" ]; do
	dev=$(ls /sys/bus/pci/drivers/e1000e/ | grep '^0000' | head -n 1)
	echo 1 >"/sys/bus/pci/devices/$dev/remove"
	echo 1 >/sys/bus/pci/rescan
	wait_eth
	j=$((j + 1))
done
kill -INT $pid
wait $pid
echo "run1 exit $?"
cat /tmp/run1.out
dump fentry /tmp/fentry.json
dump events /tmp/events.jsonl

# ---- phase 2: kprobe attach, la_test again ----
rmmod la_test || fail "rmmod la_test"
lockaudit run --attach kprobe --json /tmp/kprobe.json >/tmp/run2.out 2>&1 &
pid=$!
wait_for /tmp/run2.out watching
insmod "$LA_TESTMOD" unlocked="$K" locked="$K" other="$K" "$@" || fail "insmod la_test (2)"
kill -TERM $pid
wait $pid
echo "run2 exit $?"
cat /tmp/run2.out
dump kprobe /tmp/kprobe.json

# ---- phase 3: calls counted at their caller (no --events, no --races) ----
# bench=F settle=MS: one call from la_bench_call, a pause for lockaudit to
# learn that caller, then F more calls from it; again after each reload (a
# new module generation: the caller is learnt again; and where the reload
# lands at an old address, the loads' calls must still be told apart)
rmmod la_test || fail "rmmod la_test (2)"
# the pause must cover user space reading kallsyms again after the load:
# under TCG that took more than 1.5 s on arm64 7.3, and on x86_64 7.3 (-rt)
# on a busy host, so 5 s everywhere
settle=5000
for mode in auto kprobe; do
	# a fresh output file: the previous round's "watching" must not pass
	# for this one's (a background job ignores SIGINT until lockaudit
	# installs its handler, so a SIGINT sent before then was lost)
	rm -f /tmp/run3.out
	lockaudit run --attach $mode --json /tmp/fast.json >/tmp/run3.out 2>&1 &
	pid=$!
	wait_for /tmp/run3.out watching
	# the reload must land where an earlier load was (the case under
	# test: the same text address, told apart by module generation); the
	# module area reuses a freed range only once the kernel has purged it
	# lazily, so that is usual, not certain (x86_64 6.1-rt, kprobe: 1 of
	# 18 rounds landed lower): reload, 4 loads at most, until it does
	seen=""
	n=0
	while [ $n -lt 4 ]; do
		n=$((n + 1))
		echo "phase3 $mode: insmod $n"
		insmod "$LA_TESTMOD" bench="$F" settle=$settle || fail "insmod la_test bench ($n)"
		text=$(cat /sys/module/la_test/sections/.text)
		echo "phase3 $mode: la_test $n text $text"
		case " $seen " in *" $text "*) break ;; esac
		seen="$seen $text"
		[ $n -lt 4 ] || break
		echo "phase3 $mode: rmmod $n"
		rmmod la_test || fail "rmmod la_test (bench $n)"
	done
	echo "phase3 $mode: stopping lockaudit"
	kill -INT $pid
	stop_wait $pid
	echo "run3 $mode exit $rc"
	rmmod la_test || fail "rmmod la_test (bench)"
	dump fast-$mode /tmp/fast.json
done

# ---- phase 4: the IOMMU core racing a lock holder ----
# la_test core_other=C: C platform devices added while la_core_holder holds
# their locks, so iommu_bus_notifier -> iommu_probe_device runs with the lock
# held by another task (the holder lets each go once the add was notified)
C=3
rm -f /tmp/run4.out
lockaudit run --json /tmp/core.json >/tmp/run4.out 2>&1 &
pid=$!
wait_for /tmp/run4.out watching
insmod "$LA_TESTMOD" core_other=$C "$@" || fail "insmod la_test core_other"
echo "phase4: $(dmesg | grep -o 'la_test: core_other=.*' | tail -n 1)"
kill -INT $pid
stop_wait $pid
echo "run4 exit $rc"
rmmod la_test || fail "rmmod la_test (core_other)"
dump core-text /tmp/run4.out
dump core /tmp/core.json

# ---- phase 5: drops forced, with the test build ----
# LA_TEST_FILL fills the module-record map and the in-flight map before
# attaching: la_test's load and unload records are both lost (2), and every
# call on an entry point whose exit is hooked (--races) goes untracked
rm -f /tmp/run5.out
LA_TEST_FILL=mods,inflight /add/lockaudit-test run --races --json /tmp/drops.json >/tmp/run5.out 2>&1 &
pid=$!
wait_for /tmp/run5.out watching
insmod "$LA_TESTMOD" unlocked="$U" "$@" || fail "insmod la_test (drops)"
rmmod la_test || fail "rmmod la_test (drops)"
kill -INT $pid
stop_wait $pid
echo "run5 exit $rc"
grep '^lockaudit: test build: map ' /tmp/run5.out
dump drops /tmp/drops.json

# ---- phase 6: rules as data (--rules /add/la_test.rules) ----
# la_test rules=R: each kind of call R times from its own caller (see
# tests/kmod/la_test.c); with fentry where it attaches, then (where run.sh
# asks: /add/rules-kprobe) kprobes. Then the example rule files resolved
# against this kernel (lockaudit rules).
R=3
modes=auto
[ -f /add/rules-kprobe ] && modes="auto kprobe"
[ -f /add/la_test.rules ] || modes= # (run.sh adds it on five cells)
ip link set lo up 2>/dev/null
for mode in $modes; do
	rm -f /tmp/run6.out /tmp/metrics.txt
	# Prometheus: --metrics serves them while it runs (snapshot each second)
	lockaudit run --rules /add/la_test.rules --attach $mode --json /tmp/rules.json \
		--interval 1 --metrics 127.0.0.1:9464 >/tmp/run6.out 2>&1 &
	pid=$!
	wait_for /tmp/run6.out watching
	insmod "$LA_TESTMOD" rules=$R "$@" || fail "insmod la_test rules"
	echo "phase6-$mode: $(dmesg | grep -o 'la_test: rules=.*' | tail -n 1)"
	rmmod la_test || fail "rmmod la_test (rules)"
	# a snapshot taken after la_test's calls were collected (each tick
	# symbolizes new sites: seconds under emulation on arm64): until one
	# has la_test's last kind, 120 s at most
	i=0
	while :; do
		wget -q -O /tmp/metrics.txt http://127.0.0.1:9464/metrics
		wrc=$?
		grep -q 'function="la_vma_other"' /tmp/metrics.txt && break
		i=$((i + 1)); [ $i -ge 120 ] && break
		sleep 1
	done
	echo "metrics-$mode wget exit $wrc"
	dump metrics-$mode /tmp/metrics.txt
	kill -INT $pid
	stop_wait $pid
	echo "run6-$mode exit $rc"
	dump rules-text-$mode /tmp/run6.out
	dump rules-$mode /tmp/rules.json
done
# ---- phase 6b: rules on a module's functions (/add/module.rules) ----
# e1000e's probe and remove, their parameter from the module's own BTF:
# the NIC unbound and bound again through sysfs (the driver core holds the
# device lock around both), each mode once
[ -f /add/module.rules ] || modes=
for mode in $modes; do
	dev=$(ls /sys/bus/pci/drivers/e1000e/ | grep '^0000' | head -n 1)
	[ -n "$dev" ] || fail "phase 6b: e1000e bound to no device"
	rm -f /tmp/run6b.out
	lockaudit run --rules /add/module.rules --attach $mode --json /tmp/module.json \
		>/tmp/run6b.out 2>&1 &
	pid=$!
	wait_for /tmp/run6b.out watching
	echo "$dev" >/sys/bus/pci/drivers/e1000e/unbind || fail "unbind $dev"
	echo "$dev" >/sys/bus/pci/drivers/e1000e/bind || fail "bind $dev"
	wait_eth
	kill -INT $pid
	stop_wait $pid
	echo "run6b-$mode exit $rc"
	dump module-rules-$mode /tmp/module.json
done
for f in /add/iommu-group.rules /add/mmap.rules /add/pci-reset.rules /add/rtnl.rules; do
	[ -f "$f" ] || continue
	lockaudit rules --json "$f" >/tmp/rules-check.json 2>/tmp/rules-check.err
	echo "rules-check $(basename "$f") exit $?"
	dump "rules-check-$(basename "$f" .rules)" /tmp/rules-check.json
	dump "rules-check-err-$(basename "$f" .rules)" /tmp/rules-check.err
done

# ---- phase 7: 256 rules at once (where run.sh made candidates) ----
# Of the candidate rules (tests/e2e/scale-rules.sh), those whose function
# ftrace and kprobes can attach to (and whose name is the kernel's only),
# the first 256: all attached as kprobes
# (the one kprobe program, a cookie each); and a run with the first 64,
# each an fentry clone of its own where the trampoline takes the function,
# else the kprobe (every clone is verified on its own: 256 of them take
# over 5 minutes under emulation, see docs/rules.md)
if [ -f /add/scale.rules ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	mount -t debugfs nodev /sys/kernel/debug 2>/dev/null
	cut -d' ' -f1 /sys/kernel/tracing/available_filter_functions | sort -u >/tmp/ftrace.txt
	# not on the kprobe blacklist, and not a name several functions share
	# (a kprobe by name refuses an ambiguous one)
	{ awk '{ print $NF }' /sys/kernel/debug/kprobes/blacklist
	  awk '$2 ~ /^[tT]$/ { print $3 }' /proc/kallsyms | sort | uniq -d; } | sort -u >/tmp/kpbl.txt
	awk -F: 'FILENAME == ARGV[1] { ok[$1] = 1; next }
		FILENAME == ARGV[2] { delete ok[$1]; next }
		($1 in ok) && n < 256 { print; n++ }' \
		/tmp/ftrace.txt /tmp/kpbl.txt /add/scale.rules >/tmp/scale.rules
	head -n 64 /tmp/scale.rules >/tmp/scale64.rules
	echo "scale: $(wc -l </tmp/scale.rules) rules"
	lockaudit probes --rules /tmp/scale.rules --attach kprobe --json >/tmp/scale-probes.json 2>/tmp/scale.err
	echo "scale-probes-kprobe exit $?"
	dump scale-probes-kprobe /tmp/scale-probes.json
	dump scale-err-kprobe /tmp/scale.err
	lockaudit run --rules /tmp/scale64.rules --duration 2 --json /tmp/scale-run.json >/tmp/scale-run.out 2>&1
	echo "scale-run exit $?"
	dump scale-run /tmp/scale-run.json
	dump scale-rules /tmp/scale.rules
fi

# ---- hostile environments that need a real kernel ----
sysctl -w kernel.kptr_restrict=2 >/dev/null
lockaudit run --duration 1 >/tmp/kptr.out 2>&1
echo "kptr exit $?"
cat /tmp/kptr.out
sysctl -w kernel.kptr_restrict=0 >/dev/null
absent=$(grep -o '"function":"[a-z_0-9]*","present":false' /tmp/probes.json |
	head -n 1 | cut -d'"' -f4)
lockaudit run --duration 1 --hooks "$absent" >/tmp/none.out 2>&1
echo "nohooks exit $?"
cat /tmp/none.out
echo "guest: done"
