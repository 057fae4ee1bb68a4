#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/misses.sh, in the guest (PREEMPT_RT): lockaudit --attach
# kprobe on acpi_dma_configure_id while la_test makes N calls from T
# kthreads and /add/hammer holds bpf_prog_active on each CPU for S seconds.
# Usage: guest-misses.sh N THREADS SECONDS
. /add/guest-common.sh
N=$1 T=$2 S=$3
echo "@@UNAME $(uname -r) $(uname -v)"
start_la /tmp/run.out --attach kprobe --hooks acpi_dma_configure_id --json /tmp/misses.json
taskset 1 /add/hammer "$S" >/tmp/h0.out 2>&1 &
h0=$!
taskset 2 /add/hammer "$S" >/tmp/h1.out 2>&1 &
h1=$!
sleep 0.5
insmod "$LA_TESTMOD" flood="$N" threads="$T" unlocked=0 locked=0 other=0 || fail "insmod la_test"
dmesg | grep 'la_test: flood='
wait $h0 || fail "hammer on cpu0: $(cat /tmp/h0.out)"
wait $h1 || fail "hammer on cpu1: $(cat /tmp/h1.out)"
cat /tmp/h0.out /tmp/h1.out
stop_la INT
echo "@@EXIT $la_rc"
cat /tmp/run.out
dump misses /tmp/misses.json
