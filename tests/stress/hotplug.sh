#!/bin/bash
# Stress: >= 300 QMP device_add/device_del cycles (e1000e on rp1 and
# virtio-net-pci on rp2, alternating) into an x86_64 6.12 guest running
# lockaudit (--interval 5); a pci-testdev on rp3 tells the guest to stop it.
# Exact counts per kind (check_hotplug.py).  Usage: tests/stress/hotplug.sh [CYCLES]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
CYCLES=${1:-300}
sock=$(mktemp -u /tmp/la-qmp.XXXXXX.sock)
qlog=$logdir/hotplug-qmp.log
rm -f "$logdir/hotplug.log"
qa=()
for p in 1 2 3; do
	qa+=(--qemu-arg -device --qemu-arg "pcie-root-port,id=rp$p,chassis=$p,slot=$p,bus=pcie.0,addr=0x1$((p - 1))")
done
qa+=(--qemu-arg -qmp --qemu-arg "unix:$sock,server=on,wait=off")
guest hotplug "${qa[@]}" -- &
gpid=$!
t0=$SECONDS
$PY "$here/qmp_hotplug.py" "$sock" "$logdir/hotplug.log" "$CYCLES" >"$qlog" 2>&1
qrc=$?
sed 's/^/  /' "$qlog"
if [ $qrc != 0 ]; then
	# the guest waits for the sentinel: plug it ourselves is not possible
	# without QMP; the runner's timeout ends it
	echo "  hotplug: QMP driver failed ($qrc); waiting for the guest to time out"
fi
wait $gpid
grc=$?
rm -f "$sock"
[ $qrc = 0 ] && [ $grc = 0 ] && $PY "$here/check_hotplug.py" "$logdir/hotplug.log" "$qlog"
