#!/bin/sh
# Runs inside the guest with LA_NO_EARLY=1 (see tests/e2e/run.sh): a boot
# sample with no buggy driver. `lockaudit boot` attaches before the IOMMU
# driver (virtio_iommu) registers, as the initramfs hook does on a real
# system; then the IOMMU registers and probes every present device while
# another task (la_test hold_pci=...) holds every PCI device's lock, e1000e
# loads and probes, and `lockaudit collect` reports.
dmesg -n 1
fail() { echo "guest: FAIL $*"; exit 1; }
lockaudit boot >/tmp/boot.out 2>&1 || fail "lockaudit boot: $(cat /tmp/boot.out)"
# every PCI device's lock held by another task (la_test's la_pci_holder)
# while the IOMMU registers: the core configures them all the same
bdfs=$(ls /sys/bus/pci/devices | tr '\n' ',')
bdfs=${bdfs%,}
insmod "$LA_TESTMOD" hold_pci="$bdfs" || fail "insmod la_test hold_pci"
echo "held pci: $bdfs"
t0=$(cut -d' ' -f1 /proc/uptime)
insmod "$LA_VIRTIO_IOMMU" || fail "insmod virtio_iommu"
echo "virtio_iommu loaded in $(awk -v a="$t0" '{printf "%.1f", $1 - a}' /proc/uptime) s"
rmmod la_test || fail "rmmod la_test"
insmod "$LA_E1000E" || fail "insmod e1000e"
i=0
while ! ls /sys/bus/pci/drivers/e1000e/ 2>/dev/null | grep -q '^0000'; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "e1000e did not bind"; sleep 0.1
done
n=0
for d in /sys/bus/pci/devices/*; do [ -e "$d/iommu_group" ] && n=$((n + 1)); done
echo "pci devices in iommu groups: $n"
lockaudit collect --detach --json /tmp/sample.json >/tmp/collect.out 2>&1
echo "collect exit $?"
cat /tmp/collect.out
echo "@@BEGIN sample"; cat /tmp/sample.json; echo "@@END sample"
