#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/hotplug.sh, in the guest: load e1000e and virtio_net, run
# lockaudit (--interval 5, --events), print "@@READY hotplug", then wait for
# the host's sentinel device (pci-testdev, 1b36:0005) to appear; stop
# lockaudit with SIGINT and print the report and a per-call summary of the
# events (entry state device driver context).
. /add/guest-common.sh
insmod "$LA_E1000E" || fail "insmod e1000e"
modprobe virtio_net || fail "modprobe virtio_net"
for d in /sys/bus/pci/devices/*; do
	[ "$(cat $d/class)" = 0x060400 ] || continue
	echo "@@PORT $(basename $d) $(ls $d/pci_bus 2>/dev/null | head -n 1)"
done
start_la /tmp/run.out --races --json /tmp/hp.json --interval 5 --events /tmp/hp.jsonl
echo "@@READY hotplug"
t0=$(now)
sentinel() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor)" = 0x1b36 ] && [ "$(cat $d/device)" = 0x0005 ] && return 0
	done
	return 1
}
i=0
while ! sentinel; do
	i=$((i + 1)); [ $i -gt 3000 ] && fail "no sentinel device after 1500 s"
	sleep 0.5
done
sleep 1
echo "@@GUEST_S $(echo "$(now) $t0" | awk '{printf "%.2f", $1 - $2}')"
echo "@@HWM_KB $(awk '/^VmHWM:/ {print $2}' "/proc/$la_pid/status")"
# progress lines (--interval without a terminal) are those printed before SIGINT
grep -v -e '^new site' -e '^    ' -e 'watching' /tmp/run.out >/tmp/progress
# the report as --interval 5 last rewrote it while running
cp /tmp/hp.json /tmp/hp.pre.json 2>/dev/null && echo "@@PRE_EXISTS 1"
stop_la INT
echo "@@EXIT $la_rc"
echo "@@PROGRESS_LINES $(grep -c . /tmp/progress)"
head -n 3 /tmp/progress
tail -n 8 /tmp/run.out
dump hotplug /tmp/hp.json
[ -f /tmp/hp.pre.json ] && dump hotplug-pre /tmp/hp.pre.json
echo "@@EVENTS $(grep -c . /tmp/hp.jsonl)"
echo "@@BEGIN events-summary"
awk 'function get(k) {
	if (match($0, "\"" k "\":\"[^\"]*\""))
		return substr($0, RSTART + length(k) + 4, RLENGTH - length(k) - 5)
	return "null"
}
{
	ctx = index($0, "really_probe+") ? "probe" : index($0, "iommu_bus_notifier+") ? "notifier" : "other"
	print get("entry_point"), get("lock_state"), get("name"), get("driver"), ctx
}' /tmp/hp.jsonl | sort | uniq -c
echo "@@END events-summary"
