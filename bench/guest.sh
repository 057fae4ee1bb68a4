#!/bin/sh
# Runs inside the guest (see bench/run.sh).
# Usage: guest.sh N REPS CYCLES BPFTRACE [TIMING [CONFIGS [SETTLE [TARGET]]]]
#   N:       calls of the entry point per measurement
#   REPS:    repetitions of every configuration (per-call, start-up, hotplug)
#   CYCLES:  e1000e remove + rescan cycles per hotplug measurement (0: none)
#   BPFTRACE: 1 to measure bpftrace too (/usr/bin/bpftrace in the initramfs)
#   TIMING:  auto (default: bench=N if la_test has it, else insmod) or insmod
#   CONFIGS: per-call configurations, comma-separated (default all: the
#            list in CONFIGS below, in its order)
#   SETTLE:  ms between the untimed first call and the timed loop (2000)
#   TARGET:  entry (default: acpi_dma_configure_id, lockaudit's built-in
#            rules) or vma (find_vma under mmap_read_lock, la_test
#            bench_vma=1, lockaudit --rules /add/mmap.rules; per-call only)
# Machine-readable lines (parsed by bench/run.sh):
#   @@MODE bench|insmod
#   @@KREL <uname -r>
#   @@CALL <config> <rep> <ns_per_call>
#   @@HP <config> <rep> <cycles> <seconds> <busy CPU seconds: tasks' run
#        time on all CPUs, /proc/schedstat>
#   @@MEM <config> <VmHWM kB> <VmRSS kB>
#   @@SKIP <config> <reason>
#   @@ATTACH <config> <lockaudit's "watching ..." line>
#   @@START <config> <rep> <wall_cs> <cpu_ticks>
#            (lockaudit run's start-up: launch to its "watching" line, in
#            1/100 s; its utime + stime then, in ticks of USER_HZ = 100)
N=$1 REPS=$2 CYCLES=$3 BPFTRACE=$4 TIMING=${5:-auto} PICK=${6:-all}
SETTLE=${7:-2000} # ms: see measure_once
TARGET=${8:-entry}
FN=acpi_dma_configure_id WATCH="--hooks $FN" BENCH_ARGS=
if [ "$TARGET" = vma ]; then
	FN=find_vma WATCH="--rules /add/mmap.rules" BENCH_ARGS=bench_vma=1
	CYCLES=0 BPFTRACE=0 # per-call only
fi
dmesg -n 1
fail() { echo "bench-guest: FAIL $*"; exit 1; }

# kernel timestamp (seconds, us resolution) of the last dmesg line matching $1
kts() { dmesg | grep "$1" | tail -n 1 | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'; }
# seconds a - b as decimal string -> microseconds (integer)
us() { echo "$1" | sed 's/\.//; s/^0*//'; }

wait_for() { # wait_for FILE PATTERN [TENTHS]
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt "${3:-600}" ] && return 1
		sleep 0.1
	done
}

# Prefer the module's own in-kernel timing (bench=N); else time unlocked=N
# from kernel log timestamps and subtract a 1-call load.
MODE=insmod
[ "$TIMING" = auto ] && grep -q 'parmtype=bench:' "$LA_TESTMOD" && MODE=bench
echo "@@MODE $MODE"
echo "@@KREL $(uname -r)"

seq_i=0
measure_once() { # prints ns per call (decimal)
	if [ $MODE = bench ]; then
		dmesg -c >/dev/null
		# settle: one untimed call and a pause first, so the timed loop
		# sees each auditor in its steady state (lockaudit learns a
		# caller from its first call); the same for every configuration
		insmod "$LA_TESTMOD" bench="$N" settle="$SETTLE" $BENCH_ARGS || return 1
		rmmod la_test
		# the median batch of 1000 calls (la_test's own timing); the
		# mean over all calls from a la_test without batches
		l=$(dmesg | grep 'la_test: bench=' | tail -n 1)
		case $l in
		*batch_median=*) echo "$l" | sed -n 's/.* batch_median=\([0-9.]*\).*/\1/p' ;;
		*) echo "$l" | sed -n 's/.* ns_per_call=\([0-9.]*\).*/\1/p' ;;
		esac
		return 0
	fi
	seq_i=$((seq_i + 1))
	dmesg -c >/dev/null
	echo "la_bench: mark a$seq_i" >/dev/kmsg
	insmod "$LA_TESTMOD" unlocked=1 || return 1
	t1=$(kts "la_test: unlocked=1 ")
	rmmod la_test
	echo "la_bench: mark b$seq_i" >/dev/kmsg
	insmod "$LA_TESTMOD" unlocked="$N" || return 1
	tn=$(kts "la_test: unlocked=$N ")
	rmmod la_test
	a=$(us "$(kts "la_bench: mark a$seq_i\$")") t1=$(us "$t1")
	b=$(us "$(kts "la_bench: mark b$seq_i\$")") tn=$(us "$tn")
	[ -n "$a" ] && [ -n "$t1" ] && [ -n "$b" ] && [ -n "$tn" ] || return 1
	# (load of N calls - load of 1 call) / (N - 1), in ns with 2 decimals
	d=$(( (tn - b) - (t1 - a) ))
	x=$(( d * 100000 / (N - 1) ))
	printf '%d.%02d\n' $((x / 100)) $((x % 100))
}

measure() { # measure CONFIG
	r=1
	while [ $r -le "$REPS" ]; do
		v=$(measure_once) || { echo "@@SKIP $1 insmod failed"; return 1; }
		[ -n "$v" ] || { echo "@@SKIP $1 no result line in dmesg"; return 1; }
		echo "@@CALL $1 $r $v"
		r=$((r + 1))
	done
}

mem() { # mem CONFIG PID
	h=$(sed -n 's/^VmHWM:[ \t]*\([0-9]*\).*/\1/p' "/proc/$2/status")
	s=$(sed -n 's/^VmRSS:[ \t]*\([0-9]*\).*/\1/p' "/proc/$2/status")
	echo "@@MEM $1 ${h:-0} ${s:-0}"
}

stop() { # stop PID: SIGINT and wait (SIGKILL after 60 s)
	kill -INT "$1" 2>/dev/null
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "bench-guest: pid $1 ignored SIGINT for 60 s, killing it"
			kill -KILL "$1"
			break
		fi
		usleep 100000
	done
	wait "$1"
}

# start_bg CONFIG LOG PATTERN CMD...: start CMD in the background, wait until
# LOG shows PATTERN; sets $bg
start_bg() {
	cfg=$1 log=$2 pat=$3
	shift 3
	# empty first: the pattern from an earlier run in the same log file
	# must not pass for this one's (the shell may truncate it only after
	# the first check)
	: >"$log"
	"$@" >"$log" 2>&1 &
	bg=$!
	if ! wait_for "$log" "$pat" 1200; then
		echo "@@SKIP $cfg did not attach: $(tr '\n' ' ' <"$log" | cut -c1-300)"
		kill -INT $bg 2>/dev/null; wait $bg
		return 1
	fi
}

# ---- per-call cost of the hooked entry point ----
# Every configuration is attached, measured once and detached in each round,
# and the rounds alternate the order: the emulator's speed drifts between
# states over minutes (seen here: whole runs 30-60% apart), and this way a
# slow stretch hits every configuration alike instead of one.
#   empty-*: the attach mechanism alone (entry, or the entry + exit pair
#            lockaudit --races hooks); part-N: one piece of lockaudit's fast
#            path alone in an otherwise empty fentry program (bench/empty.bpf.c,
#            LA_EMPTY_WORK bit mask); lockaudit-*-races: the exit hooked too,
#            every call tracked (full stack walk)
CONFIGS="none empty-fentry empty-kprobe empty-fentry-fexit empty-kprobe-kretprobe
lockaudit-fentry lockaudit-kprobe part-256 part-1 part-2 part-4 part-8 part-16 part-32
part-64 part-128 lockaudit-fentry-races lockaudit-kprobe-races"
CONFIGS=$(echo $CONFIGS)
if [ "$PICK" != all ]; then # keep the picked ones, in the list's order
	picked=
	for c in $CONFIGS; do
		case ",$PICK," in *",$c,"*) picked="$picked $c" ;; esac
	done
	for c in $(echo "$PICK" | tr ',' ' '); do
		case " $CONFIGS " in *" $c "*) ;;
		*) echo "@@SKIP $c unknown configuration" ;; esac
	done
	CONFIGS=$picked
fi
SKIPPED=" "
start_cfg() { # start_cfg CONFIG: attach it (bg=PID), or bg= for none
	bg=
	case $1 in
	none) return 0 ;;
	empty-fentry) start_bg $1 /tmp/c.out attached /add/empty fentry $FN ;;
	empty-kprobe) start_bg $1 /tmp/c.out attached /add/empty kprobe $FN ;;
	empty-fentry-fexit)
		start_bg $1 /tmp/c.out attached /add/empty fentry+fexit $FN ;;
	empty-kprobe-kretprobe)
		start_bg $1 /tmp/c.out attached /add/empty kprobe+kretprobe $FN ;;
	part-*)
		start_bg $1 /tmp/c.out attached \
			env LA_EMPTY_WORK=${1#part-} /add/empty fentry $FN ;;
	lockaudit-fentry | lockaudit-kprobe)
		start_bg $1 /tmp/c.out watching \
			lockaudit run $WATCH --attach ${1#lockaudit-} ;;
	lockaudit-*-races)
		a=${1#lockaudit-}
		start_bg $1 /tmp/c.out watching \
			lockaudit run $WATCH --attach ${a%-races} --races ;;
	esac
}
one_call() { # one_call CONFIG ROUND
	case $SKIPPED in *" $1 "*) return ;; esac
	rm -f /tmp/c.out
	if ! start_cfg "$1"; then
		SKIPPED="$SKIPPED$1 "
		return
	fi
	case $1 in
	lockaudit-*) [ "$2" = 1 ] && echo "@@ATTACH $1 $(grep -m1 watching /tmp/c.out)" ;;
	esac
	if v=$(measure_once) && [ -n "$v" ]; then
		echo "@@CALL $1 $2 $v"
	else
		echo "@@SKIP $1 insmod failed or no result line in dmesg"
		SKIPPED="$SKIPPED$1 "
	fi
	case $1 in
	lockaudit-*) [ "$2" = 1 ] && mem $1 $bg ;;
	esac
	if [ -n "$bg" ]; then
		stop $bg
		rc=$?
		case $1 in lockaudit-*) echo "$1 exit $rc" ;; esac
	fi
}
rev=
for c in $CONFIGS; do rev="$c $rev"; done
r=1
while [ $r -le "$REPS" ]; do
	if [ $((r % 2)) = 1 ]; then order=$CONFIGS; else order=$rev; fi
	for c in $order; do one_call $c $r; done
	r=$((r + 1))
done
# ---- start-up of lockaudit run: launch to "watching" (attached, counting) ----
# cs: centiseconds since boot (/proc/uptime; the dmesg ring is too small to
# keep a start mark across 100 e1000e probes)
cs() { sed 's/ .*//; s/\.//; s/^0*//' /proc/uptime; }
cpu_ticks() { # utime + stime of PID (fields 14, 15; after "comm) ": 12, 13)
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
# shell builtins only (no grep every 10 ms competing with lockaudit for the
# emulated CPUs)
watching() { # watching FILE: has the file a "watching" line?
	while IFS= read -r l; do
		case $l in *watching*) return 0 ;; esac
	done <"$1"
	return 1
}
# start_up CONFIG REP ARGS...: time `lockaudit run ARGS` until it watches
start_up() {
	cfg=$1 rep=$2
	shift 2
	: >/tmp/s.out
	a=$(cs)
	lockaudit run "$@" >>/tmp/s.out 2>&1 &
	pid=$!
	i=0
	while ! watching /tmp/s.out; do
		i=$((i + 1))
		if [ $i -gt 12000 ] || ! kill -0 $pid 2>/dev/null; then
			echo "@@SKIP start-$cfg did not attach: $(tr '\n' ' ' </tmp/s.out | cut -c1-300)"
			kill -INT $pid 2>/dev/null; wait $pid
			return 1
		fi
		usleep 10000
	done
	b=$(cs)
	echo "@@START $cfg $rep $((b - a)) $(cpu_ticks $pid)"
	stop $pid >/dev/null
}
# all hooks (auto attach, as in the hotplug runs) and the one hook of the
# per-call runs; the order alternates from one round to the next (not for
# TARGET=vma: per-call only)
r=1
[ "$TARGET" = vma ] && r=$((REPS + 1))
while [ $r -le "$REPS" ]; do
	if [ $((r % 2)) = 1 ]; then
		start_up all $r; start_up one $r --hooks $FN
	else
		start_up one $r --hooks $FN; start_up all $r
	fi
	r=$((r + 1))
done

# ---- hotplug throughput: e1000e remove + rescan ----
[ "$CYCLES" -gt 0 ] 2>/dev/null || REPS_HP=0
insmod "$LA_E1000E" || fail "insmod e1000e"
eth() { ls /sys/bus/pci/drivers/e1000e/ 2>/dev/null | grep '^0000' | head -n 1; }
wait_eth() {
	i=0
	while [ -z "$(eth)" ]; do
		i=$((i + 1)); [ $i -gt 3000 ] && fail "e1000e did not bind"
		usleep 10000
	done
}
wait_eth
# the time tasks ran, summed over the CPUs, in ms: /proc/schedstat's
# per-CPU run time (ns; 1/100 s ticks would not resolve a few ms per cycle)
run_ms() { awk '/^cpu/ { s += $8 } END { printf "%d", s / 1000000 }' /proc/schedstat; }
hotplug() { # hotplug CONFIG REP
	a=$(cs) ra=$(run_ms)
	j=0
	while [ $j -lt "$CYCLES" ]; do
		echo 1 >"/sys/bus/pci/devices/$(eth)/remove"
		echo 1 >/sys/bus/pci/rescan
		wait_eth
		j=$((j + 1))
	done
	b=$(cs) rb=$(run_ms)
	d=$((b - a))
	# busy: what every task ran meanwhile (lockaudit's user space and BPF
	# programs, the kernel's hotplug work in this shell and its workers)
	u=$((rb - ra))
	printf '@@HP %s %s %s %d.%02d %d.%03d\n' "$1" "$2" "$CYCLES" \
		$((d / 100)) $((d % 100)) $((u / 1000)) $((u % 1000))
}
one_hp() { # one_hp CONFIG REP
	if [ "$1" = none ]; then
		hotplug none "$2"
		return
	fi
	# lockaudit-all: lockaudit run; lockaudit-races: lockaudit run --races
	set -- "$1" "$2" $([ "$1" = lockaudit-races ] && echo --races)
	if start_bg "$1" /tmp/la.out watching lockaudit run $3; then
		[ "$2" = 1 ] && echo "@@ATTACH $1 $(grep -m1 watching /tmp/la.out)"
		hotplug "$1" "$2"
		mem "$1" $bg
		stop $bg
		echo "$1 exit $?"
		[ "$2" = 1 ] && sed -n '1,12p' /tmp/la.out
	fi
}
# alternate the order (none first, then lockaudit first, ...) so that any
# drift over the boot hits both configurations alike
r=1
while [ $r -le "${REPS_HP:-$REPS}" ]; do
	if [ $((r % 2)) = 1 ]; then
		one_hp none $r; one_hp lockaudit-all $r; one_hp lockaudit-races $r
	else
		one_hp lockaudit-races $r; one_hp lockaudit-all $r; one_hp none $r
	fi
	r=$((r + 1))
done

# ---- bpftrace (last: the heaviest, and the one most likely to misbehave) ----
if [ "$BPFTRACE" = 1 ]; then
	if start_bg bpftrace /tmp/bt.out 'bpftrace-ready' bpftrace -e \
		"BEGIN { printf(\"bpftrace-ready\\n\"); } kfunc:$FN { if ((args->dev->mutex.owner.counter & ~7) != (int64)curtask) { @[kstack] = count(); } }"; then
		measure bpftrace; mem bpftrace $bg; stop $bg
		echo "bpftrace exit $? (output lines: $(grep -c . /tmp/bt.out))"
	fi
fi
echo "bench-guest: done"
