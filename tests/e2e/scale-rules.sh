#!/bin/bash
# tests/e2e/scale-rules.sh ARCH KVER LOCKAUDIT OUT: candidates for the
# 256-rule check (tests/e2e/guest.sh phase 7): every function of the
# kernel's BTF named *dev* (but tracepoint stubs) whose parameter `dev` is
# a struct device *, as
# "FUNC: device_lock_assert(dev)", resolved by `lockaudit rules --btf`
# against the kernel's own vmlinux. The guest keeps those ftrace can attach
# to, and the first 256 of them.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -eq 4 ] || { echo "usage: $0 ARCH KVER LOCKAUDIT OUT" >&2; exit 2; }
# shellcheck source=tests/vm/lib.sh
. "$top/tests/vm/lib.sh"
LA_KREL=''
la_kernel_select "$1" "$2"
la_prepare_headers
vmlinux=$LA_KBUILD_DIR/vmlinux
[ -f "$vmlinux" ] || la_die "no vmlinux in $LA_KBUILD_DIR"
bpftool btf dump file "$vmlinux" |
	sed -n "s/^\[[0-9]*\] FUNC '\([a-z_0-9]*dev[a-z_0-9]*\)'.*/\1/p" |
	grep -Ev '^(__bpf_trace_|__traceiter_|trace_event_raw_event_|perf_trace_)' |
	sort -u | sed 's/$/: device_lock_assert(dev)/' >"$4.all"
# exit 9: most of them have no such parameter; the JSON says which do
"$3" rules --btf "$vmlinux" --json "$4.all" >"$4.json" 2>/dev/null || true
/usr/bin/python3 - "$4.json" "$4" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ok = [r["function"] for r in doc["rules"] if r["status"] == "resolved"]
with open(sys.argv[2], "w") as f:
    for fn in ok:
        f.write(f"{fn}: device_lock_assert(dev)\n")
print(f"scale-rules: {len(ok)} candidate rules of {len(doc['rules'])} for {sys.argv[2]}")
PY
rm -f "$4.all" "$4.json"
