/* SPDX-License-Identifier: GPL-2.0 */
/*
 * misses.h - what the kernel skipped: per hook, the calls for which it did
 * not run the hook's programs, as the kernel counts them (the program's
 * recursion_misses; a kprobe's own missed count), or unknown where the
 * kernel does not count them.
 *
 * The kernel skips a program when another BPF program is running on that
 * CPU (kprobe programs, trace_call_bpf(): bpf_prog_active; on PREEMPT_RT
 * the running one can be preempted by another task that hits the kprobe),
 * when the same program is already running there (fentry/fexit, the
 * trampoline's prog->active), or when the kprobe itself is not run
 * (kprobe reentry, no free kretprobe instance). Counted by the kernel:
 * bpf_prog_info.recursion_misses for trampoline programs since 5.12 and
 * for kprobe programs since 6.7, which also gives bpf_link_info's
 * perf_event.kprobe.missed. Before 6.7 a kprobe hook's misses are unknown.
 */
#ifndef LA_MISSES_H
#define LA_MISSES_H

#include <linux/types.h>
#include <stdint.h>

struct la_hooks;
struct la_meta;

/* The BPF syscalls misses.c makes (misses__ops: libbpf's), replaceable
 * for tests. Each returns 0 / an fd, or -errno. */
struct la_misses_ops {
	int (*obj_info)(int fd, void *info, __u32 *len);
	int (*link_fd_by_id)(__u32 id);
	int (*prog_fd_by_id)(__u32 id);
	int (*meta)(int map_fd, struct la_meta *meta); /* key 0 */
	void (*close)(int fd);
};
extern const struct la_misses_ops misses__ops;

/*
 * The calls the kernel did not run the program of one link for: the link
 * as an fd this process holds (>= 0), else as a pinned link's kernel id;
 * LA_UNKNOWN (report.h) if the kernel does not count them, or the link or
 * its program cannot be read or is not lockaudit's (program name la_*).
 */
uint64_t misses__link(const struct la_misses_ops *ops, int fd, __u32 id);

/*
 * Every hook of h: missed[i][0] its entry program's, [1] its exit
 * program's (--races). 0 where there is no such program (not attached, no
 * exit hooked), LA_UNKNOWN where the kernel does not say. Hooks this
 * process attached are read through their links, adopted ones (pin.c)
 * through the link ids the meta map records.
 */
void misses__read(const struct la_misses_ops *ops, const struct la_hooks *h,
		  uint64_t (*missed)[2]);

#endif
