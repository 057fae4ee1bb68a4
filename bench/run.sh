#!/bin/bash
# bench/run.sh - lockaudit overhead benchmark (make bench).
#
# One guest boot (tests/vm/run, x86_64, TCG) per kernel, one after the
# other, measures:
#  - the per-call cost of acpi_dma_configure_id called in a tight loop by
#    tests/kmod/la_test (bench=N if the module has it, else unlocked=N timed
#    from kernel log timestamps), with no auditor, an empty fentry program,
#    an empty kprobe program (bench/empty), lockaudit --attach fentry,
#    lockaudit --attach kprobe and, when the host has it, bpftrace;
#  - the start-up of `lockaudit run` (all hooks, and one hook): launch to
#    its "watching" line, wall and CPU time;
#  - e1000e remove + rescan throughput with no auditor, with `lockaudit
#    run` (all hooks) and with `lockaudit run --races`.
# Prints a table per kernel and writes docs/benchmarks.md (bench/report.py),
# every kernel in one table per measurement.
#
# Usage: bench/run.sh [--kernel K[,K...]]... [--calls N] [--reps R]
#                     [--cycles C] [--configs CFG[,CFG...]] [--no-bpftrace]
#                     [--timing auto|insmod] [--clock icount|wall]
#                     [--target entry|vma] [--out FILE]
# Defaults: --kernel 6.12,7.3 --calls 200000 --reps 5 --cycles 100
#           --configs all --clock icount --out docs/benchmarks.md
# --kernel: 6.1, 6.12, 7.3, ... (tests/vm cells), repeatable.
# --configs: the per-call configurations to measure (bench/guest.sh CONFIGS:
#   none, empty-fentry, empty-kprobe, lockaudit-fentry, ...); a shorter run.
# --cycles 0: no hotplug runs.
# --timing insmod forces the unlocked=N fallback even if la_test has bench=.
# --target vma: a rule on a hot function instead: find_vma called in a
#   tight loop under mmap_read_lock (la_test bench_vma=1), lockaudit with
#   --rules rules/mmap.rules; per-call configurations only.
# --clock icount (default): qemu -icount shift=0,sleep=off: the guest's
#   clock advances one ns per guest instruction executed and jumps over idle
#   time, so every time the guest measures is a count of instructions: the
#   same from run to run, whatever else the host does. --clock wall: the
#   guest's clock follows the host's (TCG speed, noisy; the old way).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

invoked="bash bench/run.sh${*:+ $*}"
kernels= calls=200000 reps=5 cycles=100 bpftrace=1 timing=auto configs=all
clock=icount target=entry
out=docs/benchmarks.md
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernels="$kernels ${2:?}"; shift 2 ;;
	--configs) configs=${2:?}; shift 2 ;;
	--calls) calls=${2:?}; shift 2 ;;
	--reps) reps=${2:?}; shift 2 ;;
	--cycles) cycles=${2:?}; shift 2 ;;
	--no-bpftrace) bpftrace=0; shift ;;
	--timing) timing=${2:?}; shift 2 ;;
	--clock) clock=${2:?}; shift 2 ;;
	--target) target=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	-h | --help) sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
done
log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }
read -ra kernels <<<"$(echo "${kernels:-6.12,7.3}" | tr ',' ' ')"
for n in "$reps" "$calls" "$cycles"; do
	case $n in '' | *[!0-9]*) die "--calls, --reps, --cycles: a number, not '$n'" ;; esac
done
[ "$reps" -gt 0 ] || die "--reps must be at least 1"
settle=2000 # ms between la_test's first call and its timed loop
case $clock in
icount) qclock=(--qemu-arg -icount --qemu-arg shift=0,sleep=off) ;;
wall) qclock=() ;;
*) die "--clock: icount or wall, not '$clock'" ;;
esac
# --configs: the names of bench/guest.sh's CONFIGS list (checked here, not
# after a boot)
known=" $(sed -n '/^CONFIGS="/,/"$/p' bench/guest.sh | tr -d '"' | sed 's/^CONFIGS=//' | tr '\n' ' ') "
if [ "$configs" != all ]; then
	for c in ${configs//,/ }; do
		[[ $known == *" $c "* ]] || die "--configs: unknown '$c' (known: all,$(echo $known | tr ' ' ,))"
	done
fi

# Under icount every guest died at 1094 s of its uptime when it ran that
# long (twice, 6.12: a double fault in an emulated cmpxchg16b, RFLAGS with
# reserved bits set: QEMU 7.2's TCG near 2^40 ns of virtual time); runs that
# passed it are not trusted either. Estimate the guest time (per-call: the
# settle pause and ~0.8 s per configuration, the --races loops; start-up;
# hotplug: ~0.15 s per cycle and lockaudit's start) and refuse what would
# reach it.
if [ $clock = icount ]; then
	if [ "$configs" = all ]; then nconf=$(echo $known | wc -w); else nconf=$(echo "${configs//,/ }" | wc -w); fi
	est=$(awk -v r="$reps" -v n="$nconf" -v s="$settle" -v c="$calls" -v y="$cycles" \
		'BEGIN { printf "%d", 10 + r * (n * (s / 1000 + 0.8) + c * 3e-5 + 7 + (y ? 3 * (y * 0.15 + 3) : 0)) }')
	[ "$est" -le 1000 ] || die "--clock icount: this run needs about $est s of guest time per kernel; QEMU's TCG breaks near 1094 s under -icount: fewer --reps, --configs or --cycles per run, or --clock wall"
fi

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
adds=(--add bench/guest.sh --add $B/empty --add rules/mmap.rules)
case $target in
entry) ;;
vma) bpftrace=0 cycles=0 ;;
*) die "--target: entry or vma, not '$target'" ;;
esac
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

cmd="sh /add/guest.sh $calls $reps $cycles $bpftrace $timing $configs $settle $target"
# other guests on this host share its CPUs: say so in the report
others=$(pgrep -c -x 'qemu-system-.*' 2>/dev/null || true)
load0=$(cut -d' ' -f1-3 /proc/loadavg)
# a guard, not a budget: twice what a round took here (5 rounds of 1M calls
# and 100 cycles: ~19 min), as it scales with --reps, --calls, --cycles
# (a fixed 1200 s cut a --reps 10 run short in its hotplug rounds); plus
# the start-up rounds (two launches of lockaudit run each)
limit=$((600 + 2 * reps * (60 + calls * 40 / 1000000 + cycles * 9 / 10) + reps * 240))
# icount runs slower in wall time (the accounting; idle time is skipped)
[ $clock = icount ] && limit=$((limit * 2))
runs=() # report.py arguments, per kernel
measured=0
# boot: the guest for $kernel, console to $console; sets t0 and rc
boot() {
	t0=$(date +%s)
	tests/vm/run --kernel "$kernel" --mem $mem --timeout $limit "${adds[@]}" "${qclock[@]}" \
		-- "$cmd" >"$console" 2>&1
	rc=$?
}
for kernel in "${kernels[@]}"; do
	console=$B/console-x86_64-$kernel.log
	log "booting x86_64/$kernel: $cmd (console: $console)"
	boot
	if [ $rc = 125 ]; then
		# the guest died (under icount, see the 1094 s note above; or
		# another emulator flake): the whole boot once more, so that
		# every table has all its rounds
		cp "$console" "$console.died"
		log "x86_64/$kernel: the guest died ($console.died: $(grep -a -m1 -o 'Oops: [^[]*\|Kernel panic[^[]*' "$console" | head -n 1)); booting it again"
		boot
	fi
	t1=$(date +%s)
	log "x86_64/$kernel: guest exited $rc after $((t1 - t0)) s"
	if [ $rc != 0 ]; then
		tail -n 40 "$console" | sed 's/^/    /' >&2
		if ! grep -q '^@@\(CALL\|START\|HP\) ' "$console"; then
			log "x86_64/$kernel: no measurements (guest exit $rc)"
			continue
		fi
		log "x86_64/$kernel: guest failed part-way; reporting what was measured"
	fi
	measured=$((measured + 1))
	runs+=(--console "$console" --kernel "$kernel" --wall "$((t1 - t0))"
		--guest-exit "$rc")
done
[ $measured -gt 0 ] || die "no measurements from any kernel"

/usr/bin/python3 bench/report.py "${runs[@]}" --out "$out" \
	--calls "$calls" --reps "$reps" --cycles "$cycles" --clock "$clock" --settle "$settle" \
	--bpftrace-note "$bt_note" \
	--cmd "$cmd" --mem "$mem" --others "${others:-0}" --load0 "$load0" \
	--invoked "$invoked" --function "$([ "$target" = vma ] && echo find_vma || echo acpi_dma_configure_id)"
