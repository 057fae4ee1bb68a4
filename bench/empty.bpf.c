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
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/*
 * Component costs (bench/run.sh: bench/guest.sh part-N configurations, the
 * pieces table of docs/benchmarks.md): the fentry program does the
 * pieces of lockaudit's fast path selected here, one bit each (program
 * parts_fentry; empty_fentry is the empty program).
 */
const volatile __u32 work;
#define W_KTIME	 (1u << 0) /* bpf_ktime_get_boot_ns */
#define W_TASK	 (1u << 1) /* bpf_get_current_task */
#define W_PROBE8 (1u << 2) /* bpf_probe_read_kernel, 8 bytes */
#define W_CALLER (1u << 3) /* bpf_probe_read_kernel, 32 bytes off ctx */
#define W_HASH	 (1u << 4) /* hash map lookup, 32-byte key, hit */
#define W_PCPU	 (1u << 5) /* per-CPU array counter, atomic add */
#define W_DIRECT (1u << 6) /* typed load of arg0->mutex.owner */
#define W_SLOT	 (1u << 7) /* array slot by hash, compare, atomic add */
#define W_BASE	 (1u << 8) /* none of them: the switch alone (the baseline) */

struct hkey {
	__u64 w[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct hkey);
	__type(value, __u64);
} hmap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} pcpu SEC(".maps");

struct cslot {
	__u64 caller, tag, count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2048);
	__type(key, __u32);
	__type(value, struct cslot);
} amap SEC(".maps");

__u64 sink;

/* the baseline: nothing at all (the pieces live in parts_fentry, so that
 * their switches cost the empty program nothing) */
SEC("fentry")
int empty_fentry(void *ctx)
{
	return 0;
}

/* LA_EMPTY_WORK=MASK: the pieces selected by work, nothing else */
SEC("fentry")
int parts_fentry(void *ctx)
{
	__u64 acc = 0;

	if (work & W_KTIME)
		acc += bpf_ktime_get_boot_ns();
	if (work & W_TASK)
		acc += bpf_get_current_task();
	if (work & W_PROBE8) {
		__u64 v = 0, a = 0;

		bpf_get_func_arg(ctx, 0, &a);
		bpf_probe_read_kernel(&v, sizeof(v), (void *)a);
		acc += v;
	}
	if (work & W_CALLER) {
		__u64 nr = bpf_get_func_arg_cnt(ctx), w[4];

		if (nr <= 6 &&
		    !bpf_probe_read_kernel(w, sizeof(w), (char *)ctx + nr * 8))
			acc += w[2];
	}
	if (work & W_HASH) {
		struct hkey k = {.w = {1, 2, 3, 4}};
		__u64 *v = bpf_map_lookup_elem(&hmap, &k);

		if (v)
			__sync_fetch_and_add(v, 1);
	}
	if (work & W_PCPU) {
		__u32 zero = 0;
		__u64 *v = bpf_map_lookup_elem(&pcpu, &zero);

		if (v)
			__sync_fetch_and_add(v, 1);
	}
	if (work & W_DIRECT) {
		struct device *dev;

		asm volatile("%0 = *(u64 *)(%1 + 0)" : "=r"(dev) : "r"(ctx));
		if (dev)
			acc += dev->mutex.owner.counter;
	}
	if (work & W_SLOT) {
		/* a scalar to hash (the verifier refuses arithmetic on ctx) */
		__u32 k = (bpf_get_func_ip(ctx) * 0x9e3779b97f4a7c15ULL) >> 53;
		struct cslot *v = bpf_map_lookup_elem(&amap, &k);

		if (v && v->caller == 0 && v->tag == 0)
			__sync_fetch_and_add(&v->count, 1);
	}
	if (acc == 1)
		sink = acc;
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
