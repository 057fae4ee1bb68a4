# Sourced by the tests/stress host scripts (bash).
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$top/tests/stress
logdir=${LA_STRESS_LOGS:-$top/build/stress}
mkdir -p "$logdir"
PY=/usr/bin/python3

# guest NAME [RUNNER-ARGS...] -- GUEST-ARGS...: boot x86_64 6.12 and run
# tests/stress/guest-NAME.sh with GUEST-ARGS; console to $logdir/NAME.log.
guest() {
	local name=$1 rc t0=$SECONDS
	shift
	local rargs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do rargs+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	log=$logdir/$name.log
	"$top/tests/vm/run" --arch x86_64 --kernel 6.12 --timeout "${LA_STRESS_TIMEOUT:-600}" \
		--add "$here/guest-common.sh" --add "$here/guest-$name.sh" "${rargs[@]}" \
		-- sh "/add/guest-$name.sh" "$@" >"$log" 2>&1
	rc=$?
	guest_secs=$((SECONDS - t0))
	echo "  $name: guest exited $rc after ${guest_secs}s (boot+test; console: ${log#$top/})"
	if [ $rc != 0 ]; then
		tail -n 30 "$log" | sed 's/^/    /'
	fi
	return $rc
}
