# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The streaming reader (`lockaudit report` reads a report item by item, not
# as one json-c tree): a field twice is refused, errors inside the big arrays
# are found where they are, and a big report is read in little memory.
# Sourced by tests/cli/run.sh.

/usr/bin/python3 - "$GOLDEN" "$T" <<'PY'
import sys
src, out = sys.argv[1], sys.argv[2]
s = open(src).read()
# "held" twice: json-c kept the last one (an empty list) silently
open(out + "/dup-held.json", "w").write(s.replace('"held":[', '"held":[], "held":[', 1))
# a quote missing inside the first driver site's stack
open(out + "/no-quote.json", "w").write(
    s.replace('"la_call_unlocked+0x1c [la_test]"', '"la_call_unlocked+0x1c [la_test]', 1))
PY
expect "stream: a top-level field twice is refused" 9 \
	"dup-held.json: duplicate field 'held'" \
	"$BIN" report "$T/dup-held.json"
expect "stream: a quote missing inside a site: where it is" 9 \
	"no-quote.json: not valid JSON (object value separator ',' expected at byte" \
	"$BIN" report "$T/no-quote.json"
