#!/bin/bash
# bench/run.sh - lockaudit overhead benchmark (make bench).
#
# One guest boot (tests/vm/run, x86_64, TCG) measures:
#  - the per-call cost of acpi_dma_configure_id called in a tight loop by
#    tests/kmod/la_test (bench=N if the module has it, else unlocked=N timed
#    from kernel log timestamps), with no auditor, an empty fentry program,
#    an empty kprobe program (bench/empty), lockaudit --attach fentry,
#    lockaudit --attach kprobe and, when the host has it, bpftrace;
#  - e1000e remove + rescan throughput with no auditor and with `lockaudit
#    run` (all hooks).
# Prints a table and writes docs/benchmarks.md (from bench/report.py).
#
# Usage: bench/run.sh [--kernel 6.1|6.12|7.3|...] [--calls N] [--reps R]
#                     [--cycles C] [--no-bpftrace] [--timing auto|insmod]
#                     [--out FILE]
# Defaults: --kernel 6.12 --calls 200000 --reps 3 --cycles 100.
# --timing insmod forces the unlocked=N fallback even if la_test has bench=.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

invoked="bash bench/run.sh${*:+ $*}"
kernel=6.12 calls=200000 reps=3 cycles=100 bpftrace=1 timing=auto
out=docs/benchmarks.md
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?}; shift 2 ;;
	--calls) calls=${2:?}; shift 2 ;;
	--reps) reps=${2:?}; shift 2 ;;
	--cycles) cycles=${2:?}; shift 2 ;;
	--no-bpftrace) bpftrace=0; shift ;;
	--timing) timing=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
done
log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---- build: lockaudit and the empty-program loader ----
make -s all || die "building build/lockaudit failed"
B=build/bench
mkdir -p $B
# the Makefile's BPF_CFLAGS (vmlinux.h from 7.x BTF needs -fms-extensions)
clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -Ivmlinux/x86_64 \
	-fms-extensions -Wno-microsoft-anon-tag \
	-Wall -Werror -c bench/empty.bpf.c -o $B/empty.bpf.o || die "clang empty.bpf.c"
bpftool gen skeleton $B/empty.bpf.o name empty_bpf >$B/empty.skel.h.tmp &&
	mv $B/empty.skel.h.tmp $B/empty.skel.h || die "bpftool gen skeleton"
gcc -static -std=gnu11 -Wall -Wextra -Werror -O2 -g -I$B bench/empty.c \
	-lbpf -lelf -lz -o $B/empty || die "building bench/empty failed"

# ---- bpftrace: the host's binary and its shared libraries, if installed ----
adds=(--add bench/guest.sh --add $B/empty)
mem=1024
bt_note=
if [ $bpftrace = 1 ]; then
	if bt=$(command -v bpftrace); then
		for l in $(ldd "$bt" | grep -o '/[^ ]*'); do
			adds+=(--add "$(readlink -f "$l"):$l")
		done
		adds+=(--add "$(readlink -f "$bt"):/usr/bin/bpftrace")
		mem=2048 # ~200 MB of libraries (LLVM, clang) in the initramfs
		bt_note="bpftrace $(bpftrace --version 2>/dev/null | awk '{print $2}') from the host (Debian package), its shared libraries copied into the initramfs"
	else
		bpftrace=0
		bt_note="bpftrace skipped: not installed on the host (apt-get install bpftrace)"
		log "$bt_note"
	fi
else
	bt_note="bpftrace skipped: --no-bpftrace"
fi

console=$B/console-x86_64-$kernel.log
cmd="sh /add/guest.sh $calls $reps $cycles $bpftrace $timing"
# other guests on this host share its CPUs: say so in the report
others=$(pgrep -c -x 'qemu-system-.*' 2>/dev/null || true)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
log "booting x86_64/$kernel: $cmd (console: $console)"
# a guard, not a budget: twice what a round took here (5 rounds of 1M calls
# and 100 cycles: ~19 min), as it scales with --reps, --calls, --cycles
# (a fixed 1200 s cut a --reps 10 run short in its hotplug rounds)
limit=$((600 + 2 * reps * (60 + calls * 40 / 1000000 + cycles * 9 / 10)))
t0=$(date +%s)
tests/vm/run --kernel "$kernel" --mem $mem --timeout $limit "${adds[@]}" \
	-- "$cmd" >"$console" 2>&1
rc=$?
t1=$(date +%s)
log "guest exited $rc after $((t1 - t0)) s"
if [ $rc != 0 ]; then
	tail -n 40 "$console" | sed 's/^/    /' >&2
	grep -q '^@@CALL none ' "$console" || die "no measurements (guest exit $rc)"
	log "guest failed part-way; reporting what was measured"
fi

/usr/bin/python3 bench/report.py --console "$console" --out "$out" \
	--kernel "$kernel" --calls "$calls" --reps "$reps" --cycles "$cycles" \
	--wall "$((t1 - t0))" --guest-exit "$rc" --bpftrace-note "$bt_note" \
	--cmd "$cmd" --mem "$mem" --others "${others:-0}" --load0 "$load0" \
	--invoked "$invoked"
