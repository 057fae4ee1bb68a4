#!/bin/bash
# bench/report-scale.sh - how `lockaudit report` scales with the size of the
# reports it merges and sorts (make bench-report; docs/report-scale.md).
#
# Generates reports (bench/gen-report.py, cached in the work directory) and
# times `lockaudit report FILES --json OUT` on each (with --text: the text
# report only, no JSON written), with /usr/bin/time
# (wall and CPU seconds, maximum RSS), under a CPU-time limit per run:
#   sites-N      N distinct sites (70% driver in N/160 modules, core,
#                unclassified, held), 4 example devices each, 20 races
#   drivers-8192 8,192 driver sites in 50 modules, 16 example devices each
#   merge-N      the sites-N file merged with the same sites from another
#                host (sites-N-b; every site merges)
# Prints a Markdown table: wall and CPU (user + system) seconds, median and
# fastest of the repetitions; CPU microseconds per site; max RSS and RSS
# over the input's size. On a busy machine the CPU time is the steadier.
#
# Usage: bench/report-scale.sh [--bin PATH] [--sizes "10000 50000 ..."]
#                              [--reps R] [--limit SECONDS] [--dir DIR]
#                              [--no-merge] [--no-drivers] [--text]
# Defaults: --bin build/lockaudit --sizes "10000 50000 100000 200000"
#           --reps 3 --limit 120 --dir build/bench-report
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

bin=build/lockaudit sizes="10000 50000 100000 200000" reps=3 limit=120
dir=build/bench-report merge=1 drivers=1 json=(--json)
while [ $# -gt 0 ]; do
	case "$1" in
	--bin) bin=${2:?}; shift 2 ;;
	--sizes) sizes=${2:?}; shift 2 ;;
	--reps) reps=${2:?}; shift 2 ;;
	--limit) limit=${2:?}; shift 2 ;;
	--dir) dir=${2:?}; shift 2 ;;
	--no-merge) merge=0; shift ;;
	--no-drivers) drivers=0; shift ;;
	--text) json=(); shift ;;
	-h | --help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "report-scale: unknown option $1" >&2; exit 2 ;;
	esac
done
log() { echo "report-scale: $*" >&2; }
die() { log "$*"; exit 1; }
[ -x "$bin" ] || die "no binary $bin (make build/lockaudit)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (Debian package time)"
case "$reps$limit" in *[!0-9]*) die "--reps and --limit take numbers" ;; esac
mkdir -p "$dir" || die "cannot create $dir"

# gen NAME ARGS...: $dir/NAME.json, generated once
gen() {
	local name=$1 f=$dir/$1.json
	shift
	if [ ! -s "$f" ]; then
		log "generating $f ($*)"
		if ! /usr/bin/python3 bench/gen-report.py "$f.tmp" "$@" ||
			! mv "$f.tmp" "$f"; then
			die "generating $f failed"
		fi
	fi
}

# one run: prints "wall cpu rss_kb", or "- - rss_kb" if it failed or hit
# the CPU-time limit
once() {
	local t=$dir/time.out
	(ulimit -t "$limit"; exec /usr/bin/time -o "$t" -f "%e %U %S %M %x" \
		"$bin" report "$@" ${json[@]+"${json[@]}" "$dir/out.json"}) \
		>"$dir/out.txt" \
		2>"$dir/err.txt"
	local wall user sys rss
	read -r wall user sys rss _ < <(tail -n 1 "$t")
	case "$(head -n 1 "$t")" in
	Command*) echo "- - $rss" ;; # failed, or killed at the limit
	*) echo "$wall $(awk "BEGIN { print $user + $sys }") $rss" ;;
	esac
}

# case NAME SITES FILES...: REPS runs, one table row
row() {
	local name=$1 nsites=$2 times=() cpus=() rss=0 bytes=0 f r wall cpu kb
	shift 2
	for f in "$@"; do bytes=$((bytes + $(stat -c %s "$f"))); done
	for ((r = 0; r < reps; r++)); do
		read -r wall cpu kb < <(once "$@")
		[ "$kb" -gt "$rss" ] && rss=$kb
		if [ "$wall" = - ]; then
			times=(-)
			break
		fi
		times+=("$wall")
		cpus+=("$cpu")
	done
	if [ "${times[0]}" = - ]; then
		printf '| %s | %d | %.1f | stopped | > %d | | %d | |\n' \
			"$name" "$nsites" "$(awk "BEGIN { print $bytes / 1048576 }")" \
			"$limit" "$((rss / 1024))"
		return
	fi
	python3 - "$name" "$nsites" "$bytes" "$rss" "${times[*]}" \
		"${cpus[*]}" <<-'EOF'
		import statistics, sys
		name, n, size, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
		wall = [float(x) for x in sys.argv[5].split()]
		cpu = [float(x) for x in sys.argv[6].split()]
		med = statistics.median(cpu)
		print("| %s | %d | %.1f | %.2f (%.2f) | %.2f (%.2f) | %.1f | %d | %.1fx |" % (
		    name, n, size / 1048576, statistics.median(wall), min(wall),
		    med, min(cpu), med / n * 1e6, rss // 1024, rss * 1024 / size))
	EOF
}

for n in $sizes; do
	gen "sites-$n" --sites "$n" --devices 4 --races 20
	# the same sites from another host: a run is merged only once
	[ "$merge" = 1 ] &&
		gen "sites-$n-b" --sites "$n" --devices 4 --races 20 --host bench-b
done
[ "$drivers" = 1 ] &&
	gen drivers-8192 --sites 8192 --modules 50 --drivers-only --devices 16

echo "lockaudit report: $($bin --version 2>/dev/null | head -n 1)," \
	"$reps runs each, ${json[0]:-text only}, CPU-time limit $limit s," \
	"$(nproc) CPUs," \
	"load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| case | sites | input MB | wall s, median (fastest) | CPU s, median (fastest) | CPU us/site | max RSS MB | RSS/input |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
[ "$drivers" = 1 ] && row drivers-8192 8192 "$dir/drivers-8192.json"
for n in $sizes; do
	row "sites-$n" "$n" "$dir/sites-$n.json"
done
if [ "$merge" = 1 ]; then
	for n in $sizes; do
		row "merge-$n (x2)" "$((2 * n))" "$dir/sites-$n.json" \
			"$dir/sites-$n-b.json"
	done
fi
rm -f "$dir/out.json" "$dir/out.txt" "$dir/err.txt" "$dir/time.out"
