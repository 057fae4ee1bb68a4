#!/bin/bash
# Stress: kill -9 lockaudit run --json F --interval 1; F must be complete and
# valid (check_sigkill.py).  Usage: tests/stress/sigkill.sh
set -uo pipefail
. "$(dirname "$0")/lib.sh"
guest sigkill -- && $PY "$here/check_sigkill.py" "$log"
