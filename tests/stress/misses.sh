#!/bin/bash
# Stress: calls the kernel skips are counted. On x86_64 7.3-rt, 4 kthreads
# make 200,000 calls of acpi_dma_configure_id under a kprobe while a BPF
# map-syscall loop (tests/stress/hammer.c) holds bpf_prog_active on each
# CPU: trace_call_bpf() skips the program for some calls, and lockaudit
# must report them as missed: counted + missed == N exactly, missed > 0
# (check_misses.py). Usage: tests/stress/misses.sh [N [THREADS [SECONDS]]]
set -uo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-200000} T=${2:-4} S=${3:-60}
hammer=${LA_HAMMER:-$top/build/hammer}
[ -x "$hammer" ] || { echo "  misses: no $hammer (make build/hammer)"; exit 1; }
guest misses --kernel 7.3-rt --add "$hammer" -- "$N" "$T" "$S" &&
	$PY "$here/check_misses.py" "$log" "$N"
