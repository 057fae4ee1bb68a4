// SPDX-License-Identifier: GPL-2.0
/*
 * empty.bpf.c - the baseline for bench/run.sh: programs that do nothing.
 * bench/empty.c attaches one of them (fentry or kprobe) to a named function,
 * so the measured added cost is the attach mechanism's alone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("fentry")
int empty_fentry(void *ctx)
{
	return 0;
}

SEC("kprobe")
int empty_kprobe(struct pt_regs *ctx)
{
	return 0;
}
