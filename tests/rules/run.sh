#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/rules/run.sh TEST_BINARY LOCKAUDIT - rule resolution against the
# Debian kernels' real BTF (make rules-btf-test). The vmlinux files come
# from the headers packages, fetched into the cache ($LA_CACHE, default
# .cache/vm) through tests/vm/lib.sh (la_prepare_headers); the unit test
# binary gets their paths as LA_BTF_* and asserts exact offsets and
# messages; then `lockaudit rules --btf` on the shipped example files must
# print exactly the lines below.
set -u
if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
	echo "usage: $0 build/rules-btf/test_rules_btf build/lockaudit" >&2
	exit 2
fi
TEST=$(readlink -f "$1")
BIN=$(readlink -f "$2")
cd "$(dirname "$0")/../.." || exit 2
# shellcheck source=../vm/lib.sh
. tests/vm/lib.sh

# la_vmlinux ARCH KVER VAR: VAR=the kernel's vmlinux (with BTF)
la_vmlinux() {
	local LA_KREL=''
	la_kernel_select "$1" "$2"
	la_prepare_headers
	[ -f "$LA_KBUILD_DIR/vmlinux" ] || la_die "no vmlinux in $LA_KBUILD_DIR"
	export "$3=$LA_KBUILD_DIR/vmlinux"
}
la_vmlinux x86_64 6.12 LA_BTF_X86_64_6_12
la_vmlinux x86_64 7.3 LA_BTF_X86_64_7_3
la_vmlinux x86_64 7.3-rt LA_BTF_X86_64_7_3_RT
la_vmlinux arm64 7.3 LA_BTF_ARM64_7_3

fail=0
"$TEST" || fail=1

T=$(mktemp -d /tmp/lockaudit-rules.XXXXXX) || exit 2
trap 'rm -rf "$T"' EXIT
# expect NAME RC WANT_STDOUT WANT_STDERR CMD...: exact output and exit code
expect() {
	local name=$1 rc=$2 out=$3 err=$4 got
	shift 4
	"$@" >"$T/out" 2>"$T/err"
	got=$?
	if [ "$got" -ne "$rc" ]; then
		echo "FAIL $name: exit $got, want $rc"; fail=1; return
	fi
	if ! diff -u <(printf '%s' "$out") "$T/out"; then
		echo "FAIL $name: stdout"; fail=1; return
	fi
	if ! diff -u <(printf '%s' "$err") "$T/err"; then
		echo "FAIL $name: stderr"; fail=1; return
	fi
	echo "ok   $name"
}

expect "rules --btf 7.3: the example files" 0 \
"rules/pci-reset.rules:4: pci_reset_function_locked: device_lock_assert(&dev->dev) -> mutex at arg0(dev) +0x160
rules/rtnl.rules:6: rtnl_is_locked: ASSERT_RTNL() -> mutex at rtnl_mutex(address at attach time) +0x0
rules/rtnl.rules:8: __netdev_notify_peers: ASSERT_RTNL() -> mutex at rtnl_mutex(address at attach time) +0x0
rules/rtnl.rules:9: netdev_rx_handler_unregister: ASSERT_RTNL() -> mutex at rtnl_mutex(address at attach time) +0x0
rules/mmap.rules:3: find_vma: mmap_assert_locked(mm) -> rwsem at arg0(mm) +0x198
rules/iommu-group.rules:3: iommu_setup_default_domain: lockdep_assert_held(&group->mutex) -> mutex at arg0(group) +0x68
" "6 rules: 6 resolved, 0 absent from this kernel, 0 errors
" "$BIN" rules --btf "$LA_BTF_X86_64_7_3" rules/pci-reset.rules \
	rules/rtnl.rules rules/mmap.rules rules/iommu-group.rules

printf 'find_vma: mmap_assert_write_locked(mm)\nfind_vma: device_lock_assert(mm)\n' >"$T/t.rules"
expect "rules --btf 7.3-rt --json" 9 \
'{"schema":"lockaudit.rules/1","rules":[{"file":"'"$T"'/t.rules","line":1,"function":"find_vma","module":null,"assertion":"mmap_assert_write_locked(mm)","status":"resolved","lock":"rwsem","hold":"write","path":{"base":"arg","name":"mm","arg":0,"address":null,"derefs":0,"offsets":[440],"text":"arg0(mm) +0x1b8"},"problems":[]},{"file":"'"$T"'/t.rules","line":2,"function":"find_vma","module":null,"assertion":"device_lock_assert(mm)","status":"error","lock":null,"hold":"any","path":null,"problems":["'"$T"'/t.rules:2:30: error: device_lock_assert needs a struct device *, not struct mm_struct *"]}]}
' "$T/t.rules:2:30: error: device_lock_assert needs a struct device *, not struct mm_struct *
2 rules: 1 resolved, 0 absent from this kernel, 1 errors
" "$BIN" rules --json --btf "$LA_BTF_X86_64_7_3_RT" "$T/t.rules"

# the same JSON is what docs/rules.schema.json says
"$BIN" rules --json --btf "$LA_BTF_X86_64_7_3_RT" "$T/t.rules" >"$T/j.json" 2>/dev/null
if /usr/bin/python3 tests/unit/validate.py docs/rules.schema.json "$T/j.json"; then
	echo "ok   rules --json: valid against docs/rules.schema.json"
else
	echo "FAIL rules --json: not valid against docs/rules.schema.json"; fail=1
fi

# the built-in file on arm64 7.3: the OF entry points are there
"$BIN" rules --btf "$LA_BTF_ARM64_7_3" >"$T/out" 2>"$T/err"
if [ $? -eq 0 ] && grep -qxF "<built-in>/iommu.rules:7: of_dma_configure_id: device_lock_assert(dev) -> mutex at arg0(dev) +0x90" "$T/out" &&
	[ "$(tail -n 1 "$T/err")" = "13 rules: 9 resolved, 4 absent from this kernel, 0 errors" ]; then
	echo "ok   rules --btf arm64 7.3: the built-in file"
else
	echo "FAIL rules --btf arm64 7.3: the built-in file"; cat "$T/out" "$T/err"; fail=1
fi
exit $fail
