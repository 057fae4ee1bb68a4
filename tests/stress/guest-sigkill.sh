#!/bin/sh
# shellcheck disable=SC1091,SC2154 # guest-common.sh is added at /add
# tests/stress/sigkill.sh, in the guest: lockaudit run --json F --interval 1,
# la_test unlocked=5, sleep 3, kill -9: F must be complete (rewritten atomically).
. /add/guest-common.sh
start_la /tmp/run.out --json /tmp/k.json --interval 1
insmod "$LA_TESTMOD" unlocked=5 || fail "insmod la_test"
sleep 3
stop_la KILL
echo "@@EXIT $la_rc"
ls -la /tmp/ | grep 'k\.json'
echo "@@TMPFILES $(ls -a /tmp | grep -c 'k\.json.')"
tail -n 20 /tmp/run.out
[ -f /tmp/k.json ] && echo "@@EXISTS 1"
dump sigkill /tmp/k.json
