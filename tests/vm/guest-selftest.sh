#!/bin/sh
# Runs inside the guest (tests/vm/run --add tests/vm/guest-selftest.sh -- sh /add/guest-selftest.sh).
# Loads e1000e and la_test (unlocked=3 locked=2 other=4) under the function
# tracer (with func_stack_trace) and checks:
#   - the NIC probed (eth0) and la_test printed its summary;
#   - the entry point (x86_64: acpi_dma_configure_id, arm64:
#     of_dma_configure_id) was called 3/2/4 times from
#     la_call_unlocked/locked/other and >=1 time from pci_dma_configure
#     (the e1000e probe);
#   - arm64: of_iommu_configure follows every la_call_* entry call, and
#     iommu_probe_device is reached from la_call_unlocked's first call only
#     (one shared device: later calls find the fwspec set).
# Then rmmod la_test and insmod it again with fresh=1 (one new platform
# device per call), checking the same entry counts and, on arm64, that every
# call reaches of_iommu_configure and iommu_probe_device.
# Then N=3 (LA_HP_CYCLES) cycles of sysfs remove + rescan of the e1000e
# device: prints per cycle "count func <-caller ctx=C" for the entry point,
# pci_dma_configure, iommu_probe_device (arm64: + of_iommu_configure) and the
# distinct stacks; on 7.x kernels checks them exactly (core path from
# iommu_bus_notifier once, driver probe once).
# Prints "count func <- caller" and "count func ctx=C", where C is the first
# frame of the call's stack among la_call_unlocked/locked/other, really_probe
# (a driver probe), iommu_bus_notifier (device_add) or "-" (none of them).
fail=0
T=/sys/kernel/tracing
case "$LA_ARCH" in
arm64) entry=of_dma_configure_id funcs="of_dma_configure_id of_iommu_configure iommu_probe_device" ;;
*) entry=acpi_dma_configure_id funcs="acpi_dma_configure_id iommu_probe_device" ;;
esac
for f in $funcs; do
	grep -qx "$f" $T/available_filter_functions || { echo "selftest: $f not traceable"; }
done
echo "$funcs" >$T/set_ftrace_filter 2>/dev/null
echo function >$T/current_tracer
echo 1 >$T/options/func_stack_trace
echo 1 >$T/tracing_on
echo "selftest: iommu groups before: $(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
insmod "$LA_E1000E" || fail=1
i=0; while [ $i -lt 100 ] && ! [ -e /sys/class/net/eth0 ]; do sleep 0.1; i=$((i+1)); done
echo "selftest: --- la_test"
echo "selftest: la_test" >$T/trace_marker
insmod "$LA_TESTMOD" unlocked=3 locked=2 other=4 || fail=1
echo 0 >$T/tracing_on
echo 0 >$T/options/func_stack_trace
echo "selftest: iommu groups after: $(ls /sys/kernel/iommu_groups 2>/dev/null | wc -l)"
for d in /sys/bus/pci/devices/* /sys/bus/platform/devices/la_test; do
	[ -e "$d/iommu_group" ] && echo "selftest: $(basename $d) iommu_group=$(basename $(readlink $d/iommu_group))"
done
dmesg | grep -E 'e1000e|la_test|virtio_iommu|iommu:|DMAR|smmu' | tail -n 20
parse_trace() {
grep -v '^#' $T/trace >/tmp/trace
echo "selftest: traced calls (count func <- caller):"
sed -n 's/.*: \([a-z_0-9.]*\) <-\([a-z_0-9.]*\).*/\1 <- \2/p' /tmp/trace | sort | uniq -c
# One line per traced call: "func ctx" (stack frames follow the event line).
awk '
function flush() { if (fn != "") print fn, (ctx == "" ? "-" : ctx); fn = ""; ctx = "" }
/ => / { s = $0; sub(/.* => /, "", s); sub(/[ +].*/, "", s)
	if (ctx == "" && s ~ /^(la_call_(unlocked|locked|other)|really_probe|iommu_bus_notifier)$/) ctx = s
	next }
/<stack trace>/ { next }
/: [a-z_0-9.]+ <-/ { flush(); s = $0; sub(/ <-.*/, "", s); sub(/.*: /, "", s); fn = s; next }
END { flush() }' /tmp/trace >/tmp/calls
echo "selftest: traced calls (count func ctx=first of la_call_*/really_probe/iommu_bus_notifier in the stack):"
sort /tmp/calls | uniq -c | sed 's/ \([^ ]*\)$/ ctx=\1/'
# Per la_call_* call, in order: which functions each entry call reached
# (arm64: "E" = of_dma_configure_id, "O" = of_iommu_configure, "P" = iommu_probe_device).
if [ "$LA_ARCH" = arm64 ]; then
	for c in la_call_unlocked la_call_locked la_call_other; do
		echo "selftest: sequence $c: $(awk -v c=$c '$2 == c { printf "%s", ($1 == "of_dma_configure_id" ? " E" : $1 == "of_iommu_configure" ? "O" : $1 == "iommu_probe_device" ? "P" : "?") }' /tmp/calls)"
	done
fi
}
parse_trace
cnt() { awk -v f="$1" -v c="$2" '$1 == f && $2 == c { n++ } END { print n + 0 }' /tmp/calls; }
[ -e /sys/class/net/eth0 ] && echo "selftest: eth0 present" || { echo "selftest: FAIL no eth0"; fail=1; }
e=${entry%%_*}
dmesg | grep -q "la_test: unlocked=3 locked=2 other=4 entry=$e" || { echo "selftest: FAIL la_test summary"; fail=1; }
for pair in unlocked:3 locked:2 other:4; do
	n=$(grep -c "$entry <-la_call_${pair%%:*}\$" /tmp/trace)
	[ "$n" = "${pair#*:}" ] || { echo "selftest: FAIL la_call_${pair%%:*}: $n calls, want ${pair#*:}"; fail=1; }
	if [ "$LA_ARCH" = arm64 ]; then
		n=$(cnt of_iommu_configure la_call_${pair%%:*})
		[ "$n" = "${pair#*:}" ] || { echo "selftest: FAIL of_iommu_configure under la_call_${pair%%:*}: $n, want ${pair#*:}"; fail=1; }
	fi
done
n=$(grep -c "$entry <-pci_dma_configure" /tmp/trace)
[ "$n" -ge 1 ] || { echo "selftest: FAIL no $entry from pci_dma_configure (e1000e probe)"; fail=1; }
if [ "$LA_ARCH" = arm64 ]; then
	n=$(cnt iommu_probe_device la_call_unlocked)
	[ "$n" -ge 1 ] || { echo "selftest: FAIL la_test's of_dma_configure_id never reached iommu_probe_device"; fail=1; }
	[ -e /sys/bus/platform/devices/la_test/iommu_group ] || { echo "selftest: FAIL la_test has no iommu group"; fail=1; }
fi

echo "selftest: --- la_test fresh=1"
rmmod la_test || { echo "selftest: FAIL rmmod la_test"; fail=1; }
echo >$T/trace
echo 1 >$T/options/func_stack_trace
echo 1 >$T/tracing_on
insmod "$LA_TESTMOD" unlocked=3 locked=2 other=4 fresh=1 || fail=1
echo 0 >$T/tracing_on
echo 0 >$T/options/func_stack_trace
dmesg | grep 'la_test: unlocked' | tail -n 1
parse_trace
for pair in unlocked:3 locked:2 other:4; do
	for f in $funcs; do
		[ "$f" = iommu_probe_device ] && [ "$LA_ARCH" != arm64 ] && continue
		n=$(cnt "$f" "la_call_${pair%%:*}")
		[ "$n" = "${pair#*:}" ] || { echo "selftest: FAIL fresh=1: $f under la_call_${pair%%:*}: $n, want ${pair#*:}"; fail=1; }
	done
done

# ---- hotplug: N cycles of sysfs remove + rescan of the e1000e device --------
# Each rescan re-adds the device (device_add -> bus notifier) and e1000e
# probes it again (really_probe).  Per call: "cycle func <-caller ctx" (ctx as
# above).  7.x: the IOMMU core calls dma_configure itself from
# iommu_probe_device (unlocked), before the driver probe does it again with
# the device lock held; the per-cycle counts are checked exactly (see
# tests/vm/README.md).  Other kernels: printed only.
HP_N=${LA_HP_CYCLES:-3}
echo "selftest: --- hotplug: $HP_N x (remove + rescan) of the e1000e device"
echo "selftest: kallsyms iommu_probe_device_lock: $(grep -qw iommu_probe_device_lock /proc/kallsyms && echo present || echo absent)"
echo "selftest: btf vmlinux md5: $(md5sum /sys/kernel/btf/vmlinux 2>/dev/null | cut -d' ' -f1)"
rmmod la_test || { echo "selftest: FAIL rmmod la_test (fresh=1)"; fail=1; }
hp_funcs="$entry pci_dma_configure iommu_probe_device"
[ "$LA_ARCH" = arm64 ] && hp_funcs="$hp_funcs of_iommu_configure"
dev=
for d in /sys/bus/pci/drivers/e1000e/0*; do [ -e "$d" ] && dev=$(basename "$d"); done
if [ -z "$dev" ]; then
	echo "selftest: FAIL no PCI device bound to e1000e"; fail=1
else
	echo "$hp_funcs" >$T/set_ftrace_filter
	echo >$T/trace
	echo 1 >$T/options/func_stack_trace
	echo 1 >$T/tracing_on
	c=1
	while [ $c -le "$HP_N" ]; do
		echo "la_cycle $c" >$T/trace_marker
		echo 1 >/sys/bus/pci/devices/$dev/remove
		echo 1 >/sys/bus/pci/rescan
		i=0; while [ $i -lt 100 ] && ! ls /sys/bus/pci/devices/$dev/net/ 2>/dev/null | grep -q .; do sleep 0.1; i=$((i+1)); done
		[ -e /sys/bus/pci/drivers/e1000e/$dev ] && ls /sys/bus/pci/devices/$dev/net/ 2>/dev/null | grep -q . ||
			{ echo "selftest: FAIL hotplug cycle $c: $dev not bound to e1000e again"; fail=1; }
		c=$((c+1))
	done
	echo 0 >$T/tracing_on
	echo 0 >$T/options/func_stack_trace
	echo "selftest: hotplug device $dev iommu_group=$(basename "$(readlink /sys/bus/pci/devices/$dev/iommu_group 2>/dev/null)" 2>/dev/null)"
	grep -v '^#' $T/trace >/tmp/hptrace
	# "cycle func <-caller ctx"; and the stack of each first (func, ctx) of
	# cycle 1 (frames up to the sysfs write), for the log.
	awk '
	function flush() { if (fn != "") print cyc, fn, "<-" caller, "ctx=" (ctx == "" ? "-" : ctx); fn = "" }
	/tracing_mark_write: la_cycle / { flush(); cyc = $NF; next }
	/ => / { s = $0; sub(/.* => /, "", s); sub(/[ +].*/, "", s)
		if (fn != "" && ctx == "" && s ~ /^(la_call_(unlocked|locked|other)|really_probe|iommu_bus_notifier)$/) ctx = s
		next }
	/<stack trace>/ { next }
	/: [a-z_0-9.]+ <-/ { flush(); s = $0; sub(/.*: /, "", s); fn = s; sub(/ <-.*/, "", fn)
		caller = s; sub(/.*<-/, "", caller); sub(/[ \t].*/, "", caller); ctx = ""; next }
	END { flush() }' /tmp/hptrace >/tmp/hpcalls
	awk '
	/tracing_mark_write: la_cycle / { cyc = $NF; next }
	/: [a-z_0-9.]+ <-/ { if (st != "") print st; st = ""; if (cyc == 1) { s = $0; sub(/.*: /, "", s); sub(/ <-.*/, "", s); st = s }; next }
	/ => / && st != "" { s = $0; sub(/.* => /, "", s); sub(/[ +].*/, "", s)
		if (s == "[FTRACE" || s == st) next
		if (s ~ /^(rescan_store|kernfs_fop_write_iter|vfs_write)$/) { print st " < " s " ..."; st = ""; next }
		st = st " < " s }
	END { if (st != "") print st }' /tmp/hptrace | awk '!seen[$0]++' | sed 's/^/selftest: hotplug stack: /'
	c=1
	while [ $c -le "$HP_N" ]; do
		awk -v c=$c '$1 == c { $1 = ""; print }' /tmp/hpcalls | sort | uniq -c | sed "s/^/selftest: hotplug cycle $c: /"
		c=$((c+1))
	done
	case "$LA_KVER" in
	7.*)
		# Per cycle, exactly: the core path (ctx=iommu_bus_notifier) once,
		# the driver probe (ctx=really_probe) once, nothing else.
		if [ "$LA_ARCH" = arm64 ]; then
			want="$entry <-pci_dma_configure ctx=iommu_bus_notifier
$entry <-pci_dma_configure ctx=really_probe
iommu_probe_device <-iommu_bus_notifier ctx=iommu_bus_notifier
of_iommu_configure <-of_dma_configure_id ctx=iommu_bus_notifier
of_iommu_configure <-of_dma_configure_id ctx=really_probe
pci_dma_configure <-__iommu_probe_device ctx=iommu_bus_notifier
pci_dma_configure <-really_probe ctx=really_probe"
		else
			want="$entry <-pci_dma_configure ctx=iommu_bus_notifier
$entry <-pci_dma_configure ctx=really_probe
iommu_probe_device <-iommu_bus_notifier ctx=iommu_bus_notifier
pci_dma_configure <-__iommu_probe_device ctx=iommu_bus_notifier
pci_dma_configure <-really_probe ctx=really_probe"
		fi
		c=1
		while [ $c -le "$HP_N" ]; do
			got=$(awk -v c=$c '$1 == c { $1 = ""; sub(/^ /, ""); print }' /tmp/hpcalls | sort)
			[ "$got" = "$(echo "$want" | sort)" ] ||
				{ echo "selftest: FAIL hotplug cycle $c: calls differ from the 7.x core path + probe (one each)"; fail=1; }
			c=$((c+1))
		done
		;;
	esac
fi

[ $fail = 0 ] && echo "selftest: PASS" || echo "selftest: FAIL"
exit $fail
