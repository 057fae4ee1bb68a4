#!/bin/sh
# Runs inside the guest (tests/vm/run --add tests/vm/guest-selftest.sh -- sh /add/guest-selftest.sh).
# Loads e1000e and la_test (unlocked=3 locked=2 other=4) under the function
# tracer and checks: NIC probed (eth0), la_test summary, 3/2/4 calls of
# acpi_dma_configure_id from la_call_unlocked/locked/other, >=1 from the
# e1000e probe (pci_dma_configure).  Prints counts of traced "func <- caller".
fail=0
T=/sys/kernel/tracing
funcs="acpi_dma_configure_id iommu_probe_device"
for f in $funcs; do
	grep -qx "$f" $T/available_filter_functions || { echo "selftest: $f not traceable"; }
done
echo "$funcs" >$T/set_ftrace_filter 2>/dev/null
echo function >$T/current_tracer
echo 1 >$T/tracing_on
echo "selftest: iommu groups before: $(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
insmod "$LA_E1000E" || fail=1
i=0; while [ $i -lt 50 ] && ! [ -e /sys/class/net/eth0 ]; do sleep 0.1; i=$((i+1)); done
insmod "$LA_TESTMOD" unlocked=3 locked=2 other=4 || fail=1
echo 0 >$T/tracing_on
echo "selftest: iommu groups after: $(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
for d in /sys/bus/pci/devices/* /sys/bus/platform/devices/la_test; do
	[ -e "$d/iommu_group" ] && echo "selftest: $(basename $d) iommu_group=$(basename $(readlink $d/iommu_group))"
done
dmesg | grep -E 'e1000e|la_test|virtio_iommu|iommu:|DMAR' | tail -n 20
grep -v '^#' $T/trace >/tmp/trace
echo "selftest: traced calls (count func <- caller):"
sed -n 's/.*: \([a-z_0-9.]*\) <-\([a-z_0-9.]*\).*/\1 <- \2/p' /tmp/trace | sort | uniq -c
[ -e /sys/class/net/eth0 ] && echo "selftest: eth0 present" || { echo "selftest: FAIL no eth0"; fail=1; }
dmesg | grep -q 'la_test: unlocked=3 locked=2 other=4 entry=acpi' || { echo "selftest: FAIL la_test summary"; fail=1; }
for pair in unlocked:3 locked:2 other:4; do
	n=$(grep -c "acpi_dma_configure_id <-la_call_${pair%%:*}\$" /tmp/trace)
	[ "$n" = "${pair#*:}" ] || { echo "selftest: FAIL la_call_${pair%%:*}: $n calls, want ${pair#*:}"; fail=1; }
done
n=$(grep -c 'acpi_dma_configure_id <-pci_dma_configure' /tmp/trace)
[ "$n" -ge 1 ] || { echo "selftest: FAIL no acpi_dma_configure_id from pci_dma_configure (e1000e probe)"; fail=1; }
[ $fail = 0 ] && echo "selftest: PASS" || echo "selftest: FAIL"
exit $fail
