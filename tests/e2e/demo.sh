#!/bin/bash
# make demo: boot Debian's x86_64 kernel (default 6.12, LA_DEMO_KERNEL to
# change) in qemu, start lockaudit, load e1000e (a correct driver) and
# la_test (a deliberately buggy one), remove and rescan the NIC, stop
# lockaudit and show its per-driver report.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${LA_DEMO_KERNEL:-6.12}
cat >"$top/build/demo-guest.sh" <<'GUEST'
dmesg -n 1
echo "# lockaudit run --json /tmp/report.json &"
lockaudit run --json /tmp/report.json &
pid=$!
sleep 2
echo "# insmod e1000e.ko        (a correct driver: its probe path holds the lock)"
insmod "$LA_E1000E"
sleep 1
echo "# insmod la_test.ko unlocked=3 locked=2 other=2   (a buggy driver)"
insmod "$LA_TESTMOD" unlocked=3 locked=2 other=2
dev=$(ls /sys/bus/pci/drivers/e1000e/ | grep '^0000' | head -n 1)
echo "# echo 1 > /sys/bus/pci/devices/$dev/remove; echo 1 > /sys/bus/pci/rescan"
echo 1 >"/sys/bus/pci/devices/$dev/remove"
echo 1 >/sys/bus/pci/rescan
sleep 1
echo "# kill -INT lockaudit"
kill -INT $pid
wait $pid
echo "# head -c 600 /tmp/report.json"
head -c 600 /tmp/report.json; echo " ..."
GUEST
echo "Booting Debian's $kernel kernel in qemu (TCG, ~15 s; the first run downloads and unpacks it)..."
"$top/tests/vm/run" --kernel "$kernel" --add "$top/build/demo-guest.sh" -- sh /add/demo-guest.sh 2>&1 |
	sed -n '/LA_VM_START/,/LA_VM_EXIT/p' | grep -v '^LA_VM_'
