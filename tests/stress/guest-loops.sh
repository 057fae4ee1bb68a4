#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/loops.sh, in the guest.  Usage: guest-loops.sh RESCANS BINDS
# With lockaudit running: insmod e1000e (the initial probe), RESCANS x sysfs
# remove + rescan of the e1000e device, then BINDS x driver unbind + bind.
. /add/guest-common.sh
NR=$1 NB=$2
D=/sys/bus/pci/drivers/e1000e
bound() { ls $D/ 2>/dev/null | grep '^0000' | head -n 1; }
wait_bound() {
	i=0
	while [ -z "$(bound)" ]; do
		i=$((i + 1)); [ $i -gt 300 ] && fail "e1000e did not bind"
		sleep 0.1
	done
}
start_la /tmp/run.out --json /tmp/loops.json --interval 5
insmod "$LA_E1000E" || fail "insmod e1000e"
wait_bound
dev=$(bound)
echo "@@DEV $dev"
t0=$(now)
j=0
while [ $j -lt "$NR" ]; do
	echo 1 >"/sys/bus/pci/devices/$dev/remove"
	echo 1 >/sys/bus/pci/rescan
	[ "$(bound)" = "$dev" ] || wait_bound
	j=$((j + 1))
done
t1=$(now)
echo "@@RESCANS $j"
echo "@@RESCAN_S $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}')"
j=0
while [ $j -lt "$NB" ]; do
	echo "$dev" >$D/unbind
	echo "$dev" >$D/bind
	[ "$(bound)" = "$dev" ] || fail "bind $dev failed"
	j=$((j + 1))
done
t2=$(now)
echo "@@BINDS $j"
echo "@@BIND_S $(echo "$t2 $t1" | awk '{printf "%.2f", $1 - $2}')"
echo "@@HWM_KB $(awk '/^VmHWM:/ {print $2}' "/proc/$la_pid/status")"
stop_la INT
echo "@@EXIT $la_rc"
grep -c . /tmp/run.out | sed 's/^/run output lines: /'
tail -n 5 /tmp/run.out
dump loops /tmp/loops.json
