#!/bin/bash
# Stress, guest-side loops: sysfs remove+rescan and driver unbind+bind of the
# e1000e device under lockaudit; exact counts (check_loops.py).
# Usage: tests/stress/loops.sh [RESCANS [BINDS]]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
NR=${1:-100} NB=${2:-100}
guest loops -- "$NR" "$NB" && $PY "$here/check_loops.py" "$log" "$NR" "$NB"
