// SPDX-License-Identifier: GPL-2.0
/*
 * misses.c - what the kernel skipped: per hook, the calls it did not run
 * the hook's programs for, read from the kernel's counters (misses.h)
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "hooks.h"
#include "lockaudit.h"
#include "misses.h"
#include "pin.h"
#include "report.h"

/* from the kernel's UAPI (the build host's headers may predate them) */
#define LINK_TYPE_TRACING    2 /* BPF_LINK_TYPE_TRACING: fentry, fexit */
#define LINK_TYPE_PERF_EVENT 7 /* BPF_LINK_TYPE_PERF_EVENT: kprobes */
#define PERF_EVENT_KPROBE    3 /* BPF_PERF_EVENT_KPROBE (6.6+) */
#define PERF_EVENT_KRETPROBE 4 /* BPF_PERF_EVENT_KRETPROBE */

/*
 * struct bpf_link_info up to perf_event.kprobe.missed, laid out as Linux
 * 6.7 and later have it. Older kernels' struct is 48 bytes: they return a
 * shorter info_len, and they do not count kprobe programs' misses either
 * (both came in one series, 6.7: "bpf: Count missed stats in
 * trace_call_bpf", "bpf: Add missed value to kprobe perf link info").
 */
struct link_info {
	__u32 type, id, prog_id, pad;
	union {
		struct {
			__u32 type; /* enum bpf_perf_event_type */
			__u32 pad;
			__u64 func_name;
			__u32 name_len, offset;
			__u64 addr;
			__u64 missed; /* kprobe.missed: the kprobe not run */
		} perf_event;
		__u64 any[5];
	};
};
_Static_assert(offsetof(struct link_info, perf_event.missed) == 48,
	       "bpf_link_info.perf_event.kprobe.missed is at 48");
#define LINK_INFO_MISSED_END (offsetof(struct link_info, perf_event.missed) + 8)
#define PROG_INFO_MISSES_END                                                   \
	(offsetof(struct bpf_prog_info, recursion_misses) + 8)

static int real_obj_info(int fd, void *info, __u32 *len)
{
	return bpf_obj_get_info_by_fd(fd, info, len) ? -errno : 0;
}

static int real_link_fd(__u32 id)
{
	int fd = bpf_link_get_fd_by_id(id);

	return fd < 0 ? -errno : fd;
}

static int real_prog_fd(__u32 id)
{
	int fd = bpf_prog_get_fd_by_id(id);

	return fd < 0 ? -errno : fd;
}

static int real_meta(int map_fd, struct la_meta *meta)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(map_fd, &zero, meta) ? -errno : 0;
}

static void real_close(int fd)
{
	close(fd);
}

const struct la_misses_ops misses__ops = {
	.obj_info = real_obj_info,
	.link_fd_by_id = real_link_fd,
	.prog_fd_by_id = real_prog_fd,
	.meta = real_meta,
	.close = real_close,
};

/* the program's own count (recursion_misses), plus the kprobe's */
static uint64_t prog_misses(const struct la_misses_ops *ops, __u32 prog_id,
			    uint64_t kprobe_missed)
{
	struct bpf_prog_info pi;
	__u32 len = sizeof(pi);
	uint64_t n = LA_UNKNOWN;
	int fd = ops->prog_fd_by_id(prog_id);

	if (fd < 0)
		return LA_UNKNOWN;
	memset(&pi, 0, sizeof(pi));
	/* a kernel before 5.12 has no recursion_misses: shorter info */
	if (!ops->obj_info(fd, &pi, &len) && len >= PROG_INFO_MISSES_END &&
	    !strncmp(pi.name, "la_", 3)) {
		n = pi.recursion_misses;
		if (__builtin_add_overflow(n, kprobe_missed, &n) ||
		    n > LA_COUNT_MAX)
			n = LA_COUNT_MAX;
	}
	ops->close(fd);
	return n;
}

uint64_t misses__link(const struct la_misses_ops *ops, int fd, __u32 id)
{
	struct link_info li;
	__u32 len = sizeof(li);
	uint64_t n = LA_UNKNOWN;
	int lfd = fd;
	bool kprobe;

	if (lfd < 0)
		lfd = id ? ops->link_fd_by_id(id) : -ENOENT;
	if (lfd < 0)
		return LA_UNKNOWN;
	memset(&li, 0, sizeof(li));
	if (ops->obj_info(lfd, &li, &len) || (id && li.id != id))
		goto out;
	kprobe = li.type == LINK_TYPE_PERF_EVENT &&
		 (li.perf_event.type == PERF_EVENT_KPROBE ||
		  li.perf_event.type == PERF_EVENT_KRETPROBE);
	if (li.type != LINK_TYPE_TRACING && !kprobe)
		goto out; /* not a link lockaudit makes */
	if (kprobe && len < LINK_INFO_MISSED_END)
		goto out; /* before 6.7: kprobe programs' skips not counted */
	n = prog_misses(ops, li.prog_id, kprobe ? li.perf_event.missed : 0);
out:
	if (lfd != fd)
		ops->close(lfd);
	return n;
}

/* hook slot i's entry (exit false) or exit program's misses */
static uint64_t hook_misses(const struct la_misses_ops *ops,
			    const struct la_hooks *h, size_t i, bool exit,
			    struct la_meta *meta)
{
	const struct la_hook *hk = &h->hook[i];
	int fd = hooks__link_fd(hk, exit);
	__u32 id;

	if (!hk->attached)
		return 0; /* no program: nothing skipped */
	if (!h->adopted)
		return fd >= 0 ? misses__link(ops, fd, 0)
		       : exit  ? 0 /* no exit hooked */
			       : LA_UNKNOWN;
	if (!meta)
		return LA_UNKNOWN;
	id = *pin__link_id(meta, i, exit);
	return id ? misses__link(ops, -1, id) : exit ? 0 : LA_UNKNOWN;
}

void misses__read(const struct la_misses_ops *ops, const struct la_hooks *h,
		  uint64_t (*missed)[2])
{
	struct la_meta meta;
	bool have_meta = false;

	if (h->adopted)
		have_meta =
			h->maps.meta >= 0 && !ops->meta(h->maps.meta, &meta);
	for (size_t i = 0; i < h->nr; i++)
		for (int k = 0; k < 2; k++)
			missed[i][k] = hook_misses(ops, h, i, k,
						   have_meta ? &meta : NULL);
}
