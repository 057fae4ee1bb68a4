#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/flood.sh, in the guest.  Usage: guest-flood.sh N THREADS
. /add/guest-common.sh
N=$1 T=$2
start_la /tmp/run.out --json /tmp/flood.json
t0=$(now)
insmod "$LA_TESTMOD" flood="$N" threads="$T" unlocked=0 locked=0 other=0 || fail "insmod la_test"
t1=$(now)
echo "@@INSMOD_S $(echo "$t1 $t0" | awk '{printf "%.2f", $1 - $2}')"
dmesg | grep 'la_test: flood='
echo "@@HWM_KB $(awk '/^VmHWM:/ {print $2}' "/proc/$la_pid/status")"
echo "@@RSS_KB $(awk '/^VmRSS:/ {print $2}' "/proc/$la_pid/status")"
t0=$(now)
stop_la INT
echo "@@STOP_S $(echo "$(now) $t0" | awk '{printf "%.2f", $1 - $2}')"
echo "@@EXIT $la_rc"
tail -n 20 /tmp/run.out
dump flood /tmp/flood.json
