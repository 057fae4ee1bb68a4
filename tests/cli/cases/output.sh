# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# tests/cli/cases/output.sh - output files (sourced by tests/cli/run.sh):
# paths refused before attaching (symlinks, non-regular files, directories,
# someone else's events file, one file named twice, an input as the
# output), the report's mode and how it gets there (umask, no chmod by
# path, the directory synced), and write errors (exit 7).
#
# On a host without BPF tracing `run` stops at attach (exit 8) and `collect`
# at "nothing pinned" (exit 11): a refusal must come first, as exit 7 (2 for
# a usage error) with the target untouched. --duration 1 keeps a run short
# on a host where attaching works.

O=$T/output
mkdir -p "$O"
cp "$GOLDEN" "$O/a.json"
cp "$GOLDEN" "$O/b.json"

# untouched NAME FILE CONTENT: FILE still holds exactly CONTENT
untouched() {
	if [ "$(cat "$2" 2>/dev/null)" = "$3" ]; then
		ok "$1"
	else
		bad "$1" "$2 was changed"
	fi
}

# ---- refused before attaching: exit 7 -------------------------------------

echo precious >"$O/target"
ln -s target "$O/ev.link"
expect "run --events SYMLINK is refused" 7 \
	"cannot write events to '$O/ev.link': it is a symbolic link" \
	"$BIN" run --duration 1 --events "$O/ev.link"
untouched "run --events SYMLINK: the target is untouched" "$O/target" precious
expect "run --json SYMLINK is refused" 7 \
	"cannot write the report to '$O/ev.link': it is a symbolic link" \
	"$BIN" run --duration 1 --json "$O/ev.link"
untouched "run --json SYMLINK: the target is untouched" "$O/target" precious
expect "collect --json SYMLINK is refused" 7 \
	"cannot write the report to '$O/ev.link': it is a symbolic link" \
	"$BIN" collect --json "$O/ev.link"
expect "report --json SYMLINK is refused" 7 \
	"cannot write the report to '$O/ev.link': it is a symbolic link" \
	"$BIN" report "$O/a.json" --json "$O/ev.link"
untouched "report --json SYMLINK: the target is untouched" "$O/target" precious
if [ -L "$O/ev.link" ]; then
	ok "report --json SYMLINK: the link is left in place"
else
	bad "report --json SYMLINK: the link is left in place" "it was replaced"
fi

ln -s nothing-here "$O/dangling"
expect "run --events DANGLING-SYMLINK is refused" 7 "it is a symbolic link" \
	"$BIN" run --duration 1 --events "$O/dangling"
if [ -e "$O/nothing-here" ]; then
	bad "run --events DANGLING-SYMLINK creates no target" "it did"
else
	ok "run --events DANGLING-SYMLINK creates no target"
fi

mkfifo "$O/fifo"
expect "run --events FIFO is refused" 7 \
	"cannot write events to '$O/fifo': not a regular file" \
	"$BIN" run --duration 1 --events "$O/fifo"
expect "run --json DIR is refused" 7 \
	"cannot write the report to '$O': it is a directory" \
	"$BIN" run --duration 1 --json "$O"
expect "run --json x.json/ is refused" 7 \
	"cannot write the report to '$O/x.json/': it names a directory" \
	"$BIN" run --duration 1 --json "$O/x.json/"
expect "report --json DIR is refused" 7 "it is a directory" \
	"$BIN" report "$O/a.json" --json "$O"

if [ "$(id -u)" -eq 0 ]; then
	echo theirs >"$O/nobody.jsonl"
	chown 65534 "$O/nobody.jsonl"
	expect "run --events FILE-OF-ANOTHER-USER is refused" 7 \
		"it is owned by uid 65534, not by the caller" \
		"$BIN" run --duration 1 --events "$O/nobody.jsonl"
	untouched "run --events FILE-OF-ANOTHER-USER: the file is untouched" \
		"$O/nobody.jsonl" theirs
else
	skip "run --events FILE-OF-ANOTHER-USER is refused" "needs root to chown"
fi

# ---- one file named twice: usage error, exit 2 ----------------------------

expect "run --json X --events X" 2 "are the same file" \
	"$BIN" run --duration 1 --json "$O/same" --events "$O/same"
expect "run --json X --events X, spelled differently" 2 "are the same file" \
	"$BIN" run --duration 1 --json "$O/same" --events "$O/../output/./same"
touch "$O/linked"
ln "$O/linked" "$O/hardlink"
expect "run --json X --events HARDLINK-TO-X" 2 "are the same file" \
	"$BIN" run --duration 1 --json "$O/linked" --events "$O/hardlink"
expect "report a.json b.json --json a.json" 2 "is also the input" \
	"$BIN" report "$O/a.json" "$O/b.json" --json "$O/a.json"
if cmp -s "$GOLDEN" "$O/a.json"; then
	ok "report: the input named as --json is untouched"
else
	bad "report: the input named as --json is untouched" "it was overwritten"
fi
expect "report a.json --json ./a.json, spelled differently" 2 \
	"is also the input" \
	"$BIN" report "$O/a.json" --json "$O/../output/a.json"

# ---- the written report: mode, no chmod by path, directory synced ---------

rm -f "$O/out.json"
(umask 077 && "$BIN" report "$O/a.json" --json "$O/out.json" >/dev/null)
mode=$(stat -c %a "$O/out.json" 2>/dev/null)
[ "$mode" = 600 ] && ok "report --json under umask 077 is 0600" ||
	bad "report --json under umask 077 is 0600" "mode ${mode:-missing}"
rm -f "$O/out.json"
(umask 027 && "$BIN" report "$O/a.json" --json "$O/out.json" >/dev/null)
mode=$(stat -c %a "$O/out.json" 2>/dev/null)
[ "$mode" = 640 ] && ok "report --json under umask 027 is 0640" ||
	bad "report --json under umask 027 is 0640" "mode ${mode:-missing}"

if ! command -v strace >/dev/null; then
	bad "report --json: no chmod by path" "strace not installed (make deps)"
else
	run strace -f -o "$O/trace" -e trace=chmod,fchmodat,fchmod \
		"$BIN" report "$O/a.json" --json "$O/out.json"
	if [ "$rc" -ne 0 ]; then
		bad "report --json: no chmod by path" "exit $rc under strace"
	elif grep -E '(^|[^f])chmod\(|fchmodat\(' "$O/trace" >"$T/diff"; then
		bad "report --json: no chmod by path" "$(head -n 1 "$T/diff")"
	elif ! grep -q 'fchmod([0-9]*, 06' "$O/trace"; then
		bad "report --json: no chmod by path" "no fchmod on the descriptor"
	else
		ok "report --json: no chmod by path, fchmod on the descriptor"
	fi
	# after the rename, the directory is opened and synced
	run strace -f -o "$O/trace" -e trace=rename,renameat,renameat2,openat,fsync \
		"$BIN" report "$O/a.json" --json "$O/out.json"
	if awk '/rename/ { r = 1 }
		r && /O_DIRECTORY/ && / = [0-9]+$/ { fd = $NF }
		fd != "" && $0 ~ "fsync\\(" fd "\\) += 0" { found = 1 }
		END { exit !found }' "$O/trace"; then
		ok "report --json: the directory is synced after the rename"
	else
		bad "report --json: the directory is synced after the rename" \
			"no fsync of an O_DIRECTORY descriptor after the rename"
	fi
fi

# ---- write errors: exit 7 -------------------------------------------------

if [ -w /dev/full ]; then
	# run() sends stdout to $OUT; these need it on /dev/full
	timeout "$TMO" "$BIN" report "$O/a.json" >/dev/full 2>"$ERR"
	rc=$?
	[ "$rc" -eq 7 ] && grep -q "^lockaudit: cannot write the report to stdout: No space left on device$" "$ERR" &&
		ok "report text to a full disk: exit 7" ||
		bad "report text to a full disk: exit 7" "exit $rc"
	timeout "$TMO" "$BIN" report "$O/a.json" --json - >/dev/full 2>"$ERR"
	rc=$?
	[ "$rc" -eq 7 ] && grep -q "No space left on device$" "$ERR" &&
		[ "$(wc -l <"$ERR")" -eq 1 ] &&
		ok "report --json - to a full disk: exit 7" ||
		bad "report --json - to a full disk: exit 7" "exit $rc"
	# the events file is written only after attaching; /dev/full is
	# refused before that, as not a regular file
	expect "run --events /dev/full is refused" 7 "not a regular file" \
		"$BIN" run --duration 1 --events /dev/full
else
	skip "write errors" "no /dev/full"
fi

# ---- the argument order of report, documented -----------------------------

expect "report --help: the arguments are the inputs, --json the output" 0 \
	"arguments are the inputs; --json takes the output as its value" \
	"$BIN" report --help

# `report --json a.json b.json`: to the eye two inputs, to argp the output
# a.json and the input b.json; an existing file named by --json before the
# inputs is refused, and stays as it was
cp "$GOLDEN" "$T/ord-a.json"
cp "$GOLDEN" "$T/ord-b.json"
sum_a=$(md5sum <"$T/ord-a.json")
expect "report --json EXISTING before the inputs refused" 2 "comes before the inputs and exists" \
	"$BIN" report --json "$T/ord-a.json" "$T/ord-b.json"
expect "report -j EXISTING before the inputs refused" 2 "comes before the inputs and exists" \
	"$BIN" report -j "$T/ord-a.json" "$T/ord-b.json"
if [ "$(md5sum <"$T/ord-a.json")" = "$sum_a" ]; then
	ok "report --json before the inputs: the file is untouched"
else
	bad "report --json before the inputs: the file is untouched" "changed"
fi
expect "report IN --json EXISTING (after the inputs) overwrites it" 0 "" \
	"$BIN" report "$T/ord-b.json" --json "$T/ord-a.json"
expect "report --json NEW before the inputs is fine" 0 "" \
	"$BIN" report --json "$T/ord-new.json" "$T/ord-b.json"
[ -s "$T/ord-new.json" ] && ok "report --json NEW before the inputs: written" ||
	bad "report --json NEW before the inputs: written" "missing or empty"
