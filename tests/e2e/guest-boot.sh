#!/bin/sh
# Runs inside the guest (see tests/e2e/run.sh). Usage: guest-boot.sh U O K W C
# `lockaudit boot`, then drivers load (e1000e, la_test with U unlocked, O
# held-by-other, W work-item and C child-device calls), la_test is removed,
# `lockaudit collect` reports.
# Then `lockaudit run` adopts the pinned state, la_test makes K unlocked
# calls, run is killed with SIGKILL, and a final `collect --detach` must
# still hold everything.
U=$1 O=$2 K=$3 W=$4 C=$5
dmesg -n 1
fail() { echo "guest: FAIL $*"; exit 1; }
dump() { echo "@@BEGIN $1"; cat "$2"; echo "@@END $1"; }

# collect racing boot: boot pins into a new directory and renames it into
# place, so every collect sees nothing pinned (11) or all of it (0)
rm -f /tmp/boot.done
(
	while :; do
		d=0; [ -e /tmp/boot.done ] && d=1
		lockaudit collect >/dev/null 2>&1
		echo "race collect exit $?"
		[ $d = 1 ] && break
	done
) >/tmp/race.out 2>&1 &
rpid=$!
lockaudit boot >/tmp/boot.out 2>&1
echo "boot exit $?"
touch /tmp/boot.done
wait $rpid
cat /tmp/race.out
cat /tmp/boot.out
lockaudit boot >/tmp/boot2.out 2>&1
echo "boot-again exit $?"
insmod "$LA_E1000E" || fail "insmod e1000e"
insmod "$LA_TESTMOD" unlocked="$U" locked=1 other="$O" wq="$W" child="$C" || fail "insmod la_test"
rmmod la_test || fail "rmmod la_test"
lockaudit collect --json /tmp/collect1.json >/tmp/collect1.out 2>&1
echo "collect1 exit $?"
dump collect1 /tmp/collect1.json
# kernel addresses hidden: collect cannot name frames, says why (exit 6)
sysctl -w kernel.kptr_restrict=2 >/dev/null
lockaudit collect >/tmp/kptr.out 2>&1
echo "collect-kptr exit $?"
sed 's/^/kptr: /' /tmp/kptr.out
sysctl -w kernel.kptr_restrict=0 >/dev/null

lockaudit run >/tmp/run.out 2>&1 &
pid=$!
i=0
while ! grep -q watching /tmp/run.out; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "run did not start"; sleep 0.1
done
insmod "$LA_TESTMOD" unlocked="$K" || fail "insmod la_test (2)"
kill -KILL $pid
wait $pid 2>/dev/null
lockaudit collect --detach --json /tmp/collect2.json >/tmp/collect2.out 2>&1
echo "collect2 exit $?"
dump collect2 /tmp/collect2.json
[ -e /sys/fs/bpf/lockaudit ] && echo "pinned state left behind"
lockaudit collect >/dev/null 2>&1
echo "collect3 exit $?"
echo "guest: done"
