# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2154 # rc: set by run() in run.sh
#
# Prometheus metrics, sourced by tests/cli/run.sh: `collect --metrics` on
# pinned state made by tests/cli/pinfake (maps only, in a private bpffs
# under $T; root), its exact lines (hostile module and function names
# escaped), promtool check metrics; the options' errors; and the HTTP server
# of `run --metrics` through tests/cli/metricsserve (run needs BPF).

METRICSSERVE=${METRICSSERVE:-$(dirname "$BIN")/metricsserve}
PINFAKE=${PINFAKE:-$(dirname "$BIN")/pinfake}
MB=$T/mbpf

# ---- options -----------------------------------------------------------

expect "metrics: run --metrics without a port" 2 "invalid --metrics '127.0.0.1'" \
	"$BIN" run --metrics 127.0.0.1
expect "metrics: run --metrics with a host name" 2 "invalid --metrics 'localhost:9892'" \
	"$BIN" run --metrics localhost:9892
expect "metrics: run --metrics port out of range" 2 "invalid --metrics '127.0.0.1:65536'" \
	"$BIN" run --metrics 127.0.0.1:65536
expect "metrics: --metrics-max-sites -1" 2 "invalid --metrics-max-sites '-1'" \
	"$BIN" collect --metrics-max-sites -1
expect "metrics: --metrics-max-sites 1.5" 2 "invalid --metrics-max-sites '1.5'" \
	"$BIN" run --metrics-max-sites 1.5
expect "metrics: collect --metrics -" 2 "--metrics wants a file name" \
	"$BIN" collect --metrics -
expect "metrics: collect --metrics into a missing directory" 7 \
	"cannot write the metrics to '/nonexistent/dir/m.prom'" \
	"$BIN" collect --metrics /nonexistent/dir/m.prom
expect "metrics: collect --json and --metrics one file" 2 "are the same file" \
	"$BIN" collect --json "$T/same.prom" --metrics "$T/same.prom"
expect "metrics: run --help lists --metrics" 0 "--metrics=ADDR:PORT" "$BIN" run --help
expect "metrics: collect --help lists --metrics" 0 "--metrics=FILE" "$BIN" collect --help

# ---- the HTTP server -----------------------------------------------------

if [ ! -x "$METRICSSERVE" ]; then
	bad "metrics: http server" "no helper $METRICSSERVE (make build/metricsserve)"
else
	cp tests/unit/data/report.golden.om "$T/b.om"
	printf '# TYPE x gauge\nx 1\n# EOF\n' >"$T/a.om"
	/usr/bin/python3 tests/cli/metrics_http.py "$METRICSSERVE" "$T/a.om" \
		"$T/b.om" >"$OUT" 2>"$ERR"
	prc=$?
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "metrics: ${line#ok   }" ;;
		"FAIL "*) bad "metrics: ${line#FAIL }" "see above" ;;
		esac
	done <"$OUT"
	[ "$prc" -eq 0 ] || bad "metrics: tests/cli/metrics_http.py" \
		"exit $prc: $(tail -n 2 "$ERR" | tr '\n' ' ')"
	# a port in use is refused before anything is attached
	coproc MS { "$METRICSSERVE" 127.0.0.1:0; }
	read -r _ port <&"${MS[0]}"
	expect "metrics: run --metrics on a port in use" 7 \
		"cannot serve metrics: cannot listen on 127.0.0.1:$port: Address already in use" \
		"$BIN" run --metrics "127.0.0.1:$port"
	echo quit >&"${MS[1]}"
	wait "$MS_PID"
fi

# ---- collect --metrics on pinned state ------------------------------------

# the file collect --metrics must write for `pinfake DIR sites`
metrics_want() {
	cat <<EOF
# HELP lockaudit_info lockaudit's version and the kernel it watches.
# TYPE lockaudit_info gauge
lockaudit_info{version="$VERSION",kernel="$(uname -r)",arch="$(uname -m)"} 1
# HELP lockaudit_calls_total Calls of a watched entry point audited, by the state of its rule's lock (the rule's FILE:LINE: a function may have several).
# TYPE lockaudit_calls_total counter
lockaudit_calls_total{entry_point="acpi_dma_configure_id",lock_state="held",rule="<built-in>/iommu.rules:8"} 7
lockaudit_calls_total{entry_point="acpi_dma_configure_id",lock_state="unlocked",rule="<built-in>/iommu.rules:8"} 5
lockaudit_calls_total{entry_point="acpi_dma_configure_id",lock_state="held_by_other",rule="<built-in>/iommu.rules:8"} 1
lockaudit_calls_total{entry_point="acpi_dma_configure_id",lock_state="read_held",rule="<built-in>/iommu.rules:8"} 0
lockaudit_calls_total{entry_point="iommu_probe_device",lock_state="held",rule="<built-in>/iommu.rules:11"} 0
lockaudit_calls_total{entry_point="iommu_probe_device",lock_state="unlocked",rule="<built-in>/iommu.rules:11"} 0
lockaudit_calls_total{entry_point="iommu_probe_device",lock_state="held_by_other",rule="<built-in>/iommu.rules:11"} 0
lockaudit_calls_total{entry_point="iommu_probe_device",lock_state="read_held",rule="<built-in>/iommu.rules:11"} 0
# HELP lockaudit_violations_total Calls that broke their rule (the built-in one: without the device lock held by the caller; outermost calls, nested ones are folded in), by site: culprit module and function (driver group), entry point, lock state, severity, group, IOMMU-core path (core group) and the rule's FILE:LINE.
# TYPE lockaudit_violations_total counter
EOF
	if [ "$1" != cut ]; then
		cat <<'EOF'
lockaudit_violations_total{module="ba\"d\\mod\ny",function="ev\"il\\fn\nx",entry_point="acpi_dma_configure_id",lock_state="unlocked",severity="high",group="driver",path="",rule="<built-in>/iommu.rules:8"} 5
lockaudit_violations_total{module="la_test",function="la_call_other",entry_point="acpi_dma_configure_id",lock_state="held_by_other",severity="high",group="driver",path="",rule="<built-in>/iommu.rules:8"} 1
EOF
	else
		cat <<'EOF'
lockaudit_violations_total{module="ba\"d\\mod\ny",function="ev\"il\\fn\nx",entry_point="acpi_dma_configure_id",lock_state="unlocked",severity="high",group="driver",path="",rule="<built-in>/iommu.rules:8"} 5
EOF
	fi
	cat <<EOF
# HELP lockaudit_violation_sites_cut_total Violation series not exported: over the cap (--metrics-max-sites), the least severe and latest seen first.
# TYPE lockaudit_violation_sites_cut_total counter
lockaudit_violation_sites_cut_total $([ "$1" = cut ] && echo 1 || echo 0)
# HELP lockaudit_concurrent_total Calls that entered for a device while another task was inside a watched function for it (--races).
# TYPE lockaudit_concurrent_total counter
lockaudit_concurrent_total 0
# HELP lockaudit_dropped_total What the kernel side could not keep, by kind (the JSON report's totals.dropped; no sample: this kernel does not count that kind).
# TYPE lockaudit_dropped_total counter
lockaudit_dropped_total{kind="sites"} 0
lockaudit_dropped_total{kind="events"} 2
lockaudit_dropped_total{kind="stack_errors"} 0
lockaudit_dropped_total{kind="concurrent"} 0
lockaudit_dropped_total{kind="tracking"} 0
lockaudit_dropped_total{kind="modules"} 0
lockaudit_dropped_total{kind="names"} 0
lockaudit_dropped_total{kind="paths"} 0
lockaudit_dropped_total{kind="missed_exit"} 0
# HELP lockaudit_hook_attached 1 if the entry point is watched (mode fentry or kprobe), 0 if absent.
# TYPE lockaudit_hook_attached gauge
lockaudit_hook_attached{entry_point="acpi_dma_configure_id",mode="fentry",rule="<built-in>/iommu.rules:8"} 1
lockaudit_hook_attached{entry_point="iommu_probe_device",mode="absent",rule="<built-in>/iommu.rules:11"} 0
EOF
}

# metrics_same NAME WANT GOT: the files are equal
metrics_same() {
	if diff -u "$2" "$3" >"$T/mdiff"; then
		ok "$1"
	else
		bad "$1" "$(head -n 12 "$T/mdiff" | tr '\n' '|')"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	skip "metrics: collect --metrics cases" "need root to mount bpffs and create BPF maps"
elif [ ! -x "$PINFAKE" ]; then
	bad "metrics: collect --metrics cases" "no helper $PINFAKE (make build/pinfake)"
elif ! mkdir -p "$MB" || ! mount -t bpf bpf "$MB" 2>"$ERR"; then
	bad "metrics: collect --metrics cases" "cannot mount bpffs on $MB: $(head -n 1 "$ERR")"
else
	trap 'umount "$MB" 2>/dev/null; rm -rf "$T"' EXIT
	"$PINFAKE" "$MB/s" sites
	mkdir -m 0755 "$T/textfile"
	expect "metrics: collect --metrics writes the textfile" 0 \
		"ba\"d\\\\mod\\x0ay: 5 violations at 1 site" \
		"$BIN" collect --pin-dir "$MB/s" --metrics "$T/textfile/lockaudit.prom"
	metrics_want all >"$T/want.prom"
	metrics_same "metrics: collect --metrics: exact lines, hostile names escaped" \
		"$T/want.prom" "$T/textfile/lockaudit.prom"
	run ls -A "$T/textfile"
	pin_ok_m=$(tr '\n' ' ' <"$OUT")
	[ "$pin_ok_m" = "lockaudit.prom " ] &&
		ok "metrics: collect --metrics leaves no temporary file" ||
		bad "metrics: collect --metrics leaves no temporary file" "$pin_ok_m"
	if ! command -v promtool >/dev/null; then
		bad "metrics: promtool check metrics" "promtool not installed (make deps: prometheus)"
	else
		run promtool check metrics <"$T/textfile/lockaudit.prom"
		[ "$rc" -eq 0 ] && ok "metrics: promtool check metrics accepts the textfile" ||
			bad "metrics: promtool check metrics accepts the textfile" \
				"$(head -n 3 "$ERR" "$OUT" | tr '\n' ' ')"
		# promtool must be able to fail: a broken exposition is refused
		sed 's/^lockaudit_calls_total{/lockaudit_calls_total{"/' \
			"$T/textfile/lockaudit.prom" >"$T/broken.prom"
		run promtool check metrics <"$T/broken.prom"
		[ "$rc" -ne 0 ] && ok "metrics: promtool refuses a broken exposition" ||
			bad "metrics: promtool refuses a broken exposition" "exit 0"
	fi
	# the cap: one series kept (both high, first seen at once: by labels)
	expect "metrics: collect --metrics-max-sites 1" 0 "la_test" \
		"$BIN" collect --pin-dir "$MB/s" --metrics "$T/textfile/cut.prom" \
		--metrics-max-sites 1
	metrics_want cut >"$T/want-cut.prom"
	metrics_same "metrics: --metrics-max-sites 1: one series, one cut" \
		"$T/want-cut.prom" "$T/textfile/cut.prom"
	# a rewrite replaces the file whole (rename over it)
	printf 'stale\n' >"$T/textfile/lockaudit.prom"
	run "$BIN" collect --pin-dir "$MB/s" --metrics "$T/textfile/lockaudit.prom"
	metrics_same "metrics: collect --metrics replaces an old file" \
		"$T/want.prom" "$T/textfile/lockaudit.prom"
	# pinfake pins no links: the fentry hook's skipped runs cannot be
	# read (null, and no kind="missed" sample above), never 0; the absent
	# hook has no program (0); no exit hooked (0)
	run "$BIN" collect --pin-dir "$MB/s" --json "$T/missed.json"
	pin_missed=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print([(h["function"], h["missed"], h["missed_exit"]) for h in r["hooks"]],
      r["totals"]["dropped"]["missed"], r["totals"]["dropped"]["missed_exit"])' "$T/missed.json")
	[ "$pin_missed" = "[('acpi_dma_configure_id', None, 0), ('iommu_probe_device', 0, 0)] None 0" ] &&
		ok "collect: a hook whose pinned link cannot be read has missed null, not 0" ||
		bad "collect: a hook whose pinned link cannot be read has missed null, not 0" "$pin_missed"
	umount "$MB" || bad "metrics: unmount $MB" "umount failed"
	trap 'rm -rf "$T"' EXIT
fi
