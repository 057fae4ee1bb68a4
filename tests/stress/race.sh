#!/bin/bash
# Stress: two kthreads call the entry point on the same device at once
# (la_test race=R); lockaudit must report them as "concurrent"; with
# race_locked=1 it must not (check_race.py).  Usage: tests/stress/race.sh [R]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
R=${1:-20000}
guest race -- "$R" && $PY "$here/check_race.py" "$log" "$R"
