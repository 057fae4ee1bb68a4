# shellcheck shell=bash
# ---- a kernel that refuses tracing: one line says why ----------------------
# This host refuses every fentry load with EPERM and has no kprobes (as the
# CI machines do); elsewhere the case is skipped, saying so.

run "$BIN" run -v --duration 1
if [ "$rc" -eq 8 ] && grep -q "fentry.*Operation not permitted" "$ERR"; then
	perhook=$(grep -c "^lockaudit: [a-z_0-9]*: " "$ERR")
	run "$BIN" run --duration 1
	lines=$(wc -l <"$ERR")
	if [ "$rc" -ne 8 ]; then
		bad "tracing refused: exit 8" "exit $rc"
	elif ! grep -q "^lockaudit: this kernel refuses BPF tracing programs (fentry: Operation not permitted): kernel lockdown, an LSM or a seccomp policy; and has no kprobes" "$ERR"; then
		bad "tracing refused: one line names the cause" "$(cat "$ERR")"
	elif [ "$lines" -gt 3 ]; then
		bad "tracing refused: at most 3 lines" "$lines lines"
	elif grep -q "^lockaudit: [a-z_0-9]*: fentry" "$ERR"; then
		bad "tracing refused: per-hook reasons only with -v" "$(cat "$ERR")"
	else
		ok "tracing refused: exit 8, $lines lines, the cause named once (-v: $perhook per-hook lines)"
	fi
	if [ "$perhook" -lt 2 ]; then
		bad "tracing refused: -v keeps the per-hook reasons" "$perhook lines"
	else
		ok "tracing refused: -v keeps the per-hook reasons ($perhook)"
	fi
else
	skip "tracing refused" "this kernel does not refuse fentry with EPERM (exit $rc)"
fi
