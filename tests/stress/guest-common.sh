# shellcheck shell=sh
# Sourced by the tests/stress guest scripts (busybox sh).
dmesg -n 1
fail() { echo "guest: FAIL $*"; exit 1; }
dump() { echo "@@BEGIN $1"; cat "$2"; echo; echo "@@END $1"; }
now() { cut -d' ' -f1 /proc/uptime; } # seconds since boot, 0.01 s
wait_for() { # wait_for FILE PATTERN [TENTHS]
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt "${3:-600}" ] && fail "timeout waiting for '$2' in $1"
		sleep 0.1
	done
}
# start_la OUT ARGS...: lockaudit run ARGS in the background, wait until it watches
start_la() {
	out=$1; shift
	lockaudit run "$@" >"$out" 2>&1 &
	la_pid=$!
	i=0
	while ! grep -q watching "$out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 600 ] || ! kill -0 "$la_pid" 2>/dev/null; then
			cat "$out"; fail "lockaudit run $* did not start"
		fi
		sleep 0.1
	done
}
# stop_la SIG: signal lockaudit, wait, print @@EXIT-<tag> status
stop_la() {
	kill -"$1" "$la_pid"
	wait "$la_pid"
	la_rc=$?
}
