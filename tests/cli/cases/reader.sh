# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Reading reports (`lockaudit report FILE...`): hostile and broken input is
# refused with exit 9 and one line, never a hang, crash or wrapped count;
# names are escaped on the terminal. Sourced by tests/cli/run.sh.

H=$DATA/hostile

# ---- not a regular file, too big: exit 9 at once ---------------------------

TMO=5
expect "reader: /dev/zero is refused, no hang" 9 "/dev/zero: not a regular file (a device)" \
	"$BIN" report /dev/zero
expect "reader: /dev/urandom is refused, no hang" 9 "not a regular file (a device)" \
	"$BIN" report /dev/urandom
mkfifo "$T/fifo"
expect "reader: a FIFO is refused, no hang" 9 "fifo: not a regular file (a FIFO)" \
	"$BIN" report "$T/fifo"
truncate -s 268435457 "$T/big.json"
expect "reader: a file above 256 MiB is refused" 9 "big.json: larger than 256 MiB" \
	"$BIN" report "$T/big.json"
rm -f "$T/big.json"
ln -s "$(pwd)/$GOLDEN" "$T/link.json"
expect "reader: a symlink to a report is read" 0 "DRIVERS calling without the device lock" \
	"$BIN" report "$T/link.json"
TMO=20

# ---- malformed content: exit 9, the file and the field named ----------------

expect "reader: a null frame in a concurrent finding's stack" 9 \
	"concurrent-null-frame.json: wrong type for an item of 'stack'" \
	"$BIN" report $H/concurrent-null-frame.json
expect "reader: two reports in one file" 9 "two-reports.json: not valid JSON" \
	"$BIN" report $H/two-reports.json
expect "reader: NaN" 9 "nan-duration.json: not a number of seconds (0 to 1e12) in 'duration_s'" \
	"$BIN" report $H/nan-duration.json
expect "reader: invalid UTF-8" 9 "invalid-utf8.json: not valid JSON (invalid utf-8" \
	"$BIN" report $H/invalid-utf8.json
expect "reader: a count of 2^64" 9 "count-2p64.json: number out of range in 'count'" \
	"$BIN" report $H/count-2p64.json

# ---- one run merged twice: refused ------------------------------------------

expect "reader: the same report twice" 9 "is merged already" \
	"$BIN" report $GOLDEN $GOLDEN
/usr/bin/python3 - "$GOLDEN" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
r = json.load(open(src))
# a later --interval snapshot of the same run: same started, more counts
r["duration_s"] = 90.0
r["drivers"][0]["sites"][0]["count"] += 7
json.dump(r, open(out + "/snap.json", "w"))
# another run, counts near 2^64
r = json.load(open(src))
r["started"] = "2024-03-05T00:00:00Z"
r["drivers"][0]["sites"][0]["count"] = 18446744073709551000
json.dump(r, open(out + "/huge.json", "w"))
r["started"] = "2024-03-06T00:00:00Z"
json.dump(r, open(out + "/huge2.json", "w"))
PY
expect "reader: two snapshots of one run" 9 "snap.json: the run on 'testhost' (kernel 6.1.0-18-amd64) started 2024-03-01T12:00:00Z is merged already" \
	"$BIN" report $GOLDEN "$T/snap.json"
expect "reader: merging another run writes its runs" 0 "merged reports" \
	"$BIN" report $GOLDEN "$T/huge.json" --json "$T/merged.json"
expect "reader: a merged report's runs are not merged again" 9 \
	"huge.json: the run on 'testhost' (kernel 6.1.0-18-amd64) started 2024-03-05T00:00:00Z is merged already" \
	"$BIN" report "$T/merged.json" "$T/huge.json"
run $VALIDATE docs/report.schema.json "$T/merged.json"
[ "$rc" -eq 0 ] && ok "reader: a report with runs validates against the schema" ||
	bad "reader: a report with runs validates against the schema" "$(head -n 3 "$ERR")"

# ---- counts near 2^64: round trip, or refused; never wrapped ----------------

expect "reader: a count near 2^64 is read" 0 "18446744073709551000 calls" \
	"$BIN" report "$T/huge.json" --json "$T/huge-out.json"
expect "reader: ... and what it wrote reads back" 0 "18446744073709551000 calls" \
	"$BIN" report "$T/huge-out.json"
expect "reader: sums above 2^64-2 are refused" 9 \
	"huge2.json: merged sum above 2^64-2 of 'count'" \
	"$BIN" report "$T/huge.json" "$T/huge2.json"

# ---- names are escaped on the terminal --------------------------------------

expect "reader: control characters in names" 0 "forged: 0]" \
	"$BIN" report $H/control-names.json
if [ "$rc" -eq 0 ]; then
	if LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]' "$OUT"; then
		bad "reader: no control character reaches the terminal" \
			"$(LC_ALL=C grep -n $'[\x01-\x09\x0b-\x1f\x7f]' "$OUT" | head -2 | cat -v)"
	elif [ "$(grep -c '^DRIVERS' "$OUT")" -ne 1 ]; then
		bad "reader: no control character reaches the terminal" "a forged DRIVERS line"
	elif ! grep -qF '[la_test\x0a\x0aDRIVERS calling' "$OUT" ||
		! grep -qF '(\x1b[2J\x1b]0;pwned\x07)' "$OUT"; then
		bad "reader: no control character reaches the terminal" "escapes not found"
	else
		ok "reader: no control character reaches the terminal"
	fi
fi
