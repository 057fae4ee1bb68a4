#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/race.sh, in the guest.  Usage: guest-race.sh R
# la_test race=R (two kthreads la_race_a/la_race_b, unlocked, same device),
# then race=R race_locked=1, each under its own lockaudit run.
. /add/guest-common.sh
R=$1
start_la /tmp/run1.out --races --json /tmp/race.json
insmod "$LA_TESTMOD" race="$R" || fail "insmod la_test race=$R"
dmesg | grep 'la_test: race='
stop_la INT
echo "@@EXIT_RACE $la_rc"
tail -n 20 /tmp/run1.out
dump race /tmp/race.json
rmmod la_test || fail "rmmod la_test"
start_la /tmp/run2.out --races --json /tmp/locked.json
insmod "$LA_TESTMOD" race="$R" race_locked=1 || fail "insmod la_test race=$R race_locked=1"
dmesg | grep 'la_test: race=' | tail -n 1
stop_la INT
echo "@@EXIT_LOCKED $la_rc"
tail -n 20 /tmp/run2.out
dump locked /tmp/locked.json
