// SPDX-License-Identifier: GPL-2.0
/*
 * empty.bpf.c - the baseline for bench/run.sh: programs that do nothing.
 * bench/empty.c attaches an entry program (fentry or kprobe), optionally
 * with its exit twin (fexit or kretprobe, as lockaudit does), to a named
 * function, so the measured added cost is the attach mechanism's alone.
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

SEC("fexit")
int empty_fexit(void *ctx)
{
	return 0;
}

SEC("kprobe")
int empty_kprobe(struct pt_regs *ctx)
{
	return 0;
}

SEC("kretprobe")
int empty_kretprobe(struct pt_regs *ctx)
{
	return 0;
}
