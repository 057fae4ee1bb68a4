#!/bin/bash
# Stress: 4 kthreads make 1,000,000 unlocked calls (la_test flood=) while
# lockaudit runs; exact count, peak RSS < 32 MiB, clean exit (check_flood.py).
# Usage: tests/stress/flood.sh [N [THREADS]]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-1000000} T=${2:-4}
guest flood -- "$N" "$T" && $PY "$here/check_flood.py" "$log" "$N"
