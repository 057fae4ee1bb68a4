// SPDX-License-Identifier: GPL-2.0
/*
 * callers.c - the fast path's callers table (the only kernel state user
 * space writes, through the mmapped array map): map, enter, stamp, read
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "attribute.h"
#include "callers.h"
#include "env.h"
#include "hooks.h"
#include "report.h"

#define CALLERS_SIZE (LA_MAX_CALLERS * sizeof(struct la_caller))
#define STAMP_MIN_NS 100000000ULL /* 100 ms */

void callers__map(struct la_callers *t, int fd)
{
	t->fd = fd;
	if (fd < 0)
		return;
	t->mem = mmap(NULL, CALLERS_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		      fd, 0);
	if (t->mem != MAP_FAILED) {
		/* entries pinned state holds already */
		for (__u32 i = 0; i < LA_MAX_CALLERS; i++)
			if (t->mem[i].caller)
				t->used[t->nused++] = i;
	} else {
		t->mem = NULL;
		fprintf(stderr,
			"lockaudit: warning: cannot map the callers "
			"table (%s); every call takes the whole "
			"stack\n",
			strerror(errno));
	}
}

void callers__unmap(struct la_callers *t)
{
	if (t->mem)
		munmap(t->mem, CALLERS_SIZE);
	t->mem = NULL;
}

int collect__enter_caller_at(struct la_caller *tab, __u64 caller, __u64 tag,
			     __u64 dev, const struct la_key *rep, __u64 rep_ns,
			     bool *added)
{
	__u32 idx = la_caller_slot(caller, tag), i;

	*added = false;
	if (!caller)
		return -EINVAL;
	for (i = 0; i < LA_CALLER_PROBES; i++) {
		struct la_caller *e = &tab[(idx + i) & (LA_MAX_CALLERS - 1)];
		__u64 cur = __atomic_load_n(&e->caller, __ATOMIC_ACQUIRE);

		if (cur == caller && e->tag == tag)
			return (int)((idx + i) & (LA_MAX_CALLERS - 1));
		if (cur)
			continue;
		/* a free slot: never counted into (nothing matches it) */
		e->rep = *rep;
		e->rep_ns = rep_ns;
		e->seen_count = 0;
		e->seen_ns = rep_ns;
		e->devs[0] = dev; /* seen on the full path that reported it */
		__atomic_store_n(&e->tag, tag, __ATOMIC_RELEASE);
		/* last: from here on the programs count this caller here */
		__atomic_store_n(&e->caller, caller, __ATOMIC_RELEASE);
		*added = true;
		return (int)((idx + i) & (LA_MAX_CALLERS - 1));
	}
	return -ENOSPC;
}

/*
 * A site whose culprit is its immediate caller (the frame right above the
 * entry point), new in this module generation (the generation is part of
 * the key): enter that caller for this generation, so its later calls are
 * counted without a stack walk. Attribution of those calls is the same by
 * construction; the generation in the tag keeps it exact (after a module
 * change no entry matches until the programs report the site again, as a
 * new site of the new generation).
 */
void callers__enter(struct la_callers *t, const struct la_event *e,
		    const char *entry, char (*frames)[FRAME_LEN], size_t n)
{
	char *ptrs[LA_MAX_STACK], fn[128];
	struct la_key rep;
	struct la_attr a;
	bool added = false;
	__u32 flags;
	size_t i;
	int ret;

	/* a holder to name needs the full path on every call */
	if (!t->mem || e->state == LA_HELD_OTHER)
		return;
	for (i = 0; i < n; i++)
		ptrs[i] = frames[i];
	la_attribute(entry, ptrs, n, &a);
	if (a.group != LA_GROUP_DRIVER || a.culprit != a.first + 1 ||
	    strcmp(la_frame_func(frames[a.first], fn, sizeof(fn)), entry))
		return;
	flags = e->flags & ~LA_F_NEW_SITE;
	memset(&rep, 0, sizeof(rep));
	rep.hook = e->hook;
	rep.state = e->state;
	rep.flags = flags;
	rep.nr_ips = (__u32)n;
	rep.gen = e->modgen;
	memcpy(rep.ips, e->ips, sizeof(rep.ips));
	ret = collect__enter_caller_at(
		t->mem, e->ips[a.culprit],
		LA_CALLER_TAG(e->modgen, e->hook, e->state, flags), e->dev.ptr,
		&rep, e->ts_ns, &added);
	/* a slot taken now (not one entered before): watch its count */
	if (added && t->nused < LA_MAX_CALLERS)
		t->used[t->nused++] = (__u32)ret;
	/* no free slot near its own: its calls keep taking the full path
	 * (exact, only slower); said once */
	if (ret < 0 && !t->failed) {
		t->failed = true;
		fprintf(stderr,
			"lockaudit: warning: cannot enter %s for counting "
			"without a stack walk (%s); its calls, and those of "
			"later such callers, keep taking the whole stack\n",
			frames[a.culprit], strerror(-ret));
	}
}

/*
 * Calls counted at a caller carry no time of their own (a clock read would
 * be most of their cost): the collector notes when it sees a count grow.
 */
void callers__stamp(struct la_callers *t, bool force)
{
	unsigned long long now = env__boot_ns();
	__u32 i;

	if (!t->mem || (!force && now - t->stamped_ns < STAMP_MIN_NS))
		return;
	t->stamped_ns = now;
	for (i = 0; i < t->nused; i++) {
		struct la_caller *e = &t->mem[t->used[i]];
		__u64 n = __atomic_load_n(&e->count, __ATOMIC_RELAXED);

		if (n != e->seen_count) {
			e->seen_count = n;
			e->seen_ns = now;
		}
	}
}

/* Calls counted by their caller: into the site they were entered from. */
int callers__read(struct la_callers *t, const struct la_hooks *h,
		  const struct ksyms *ks, struct la_report *r)
{
	struct la_caller v;
	__u32 i;

	if (t->fd < 0)
		return 0;
	callers__stamp(t, true);
	for (i = 0; i < LA_MAX_CALLERS; i++) {
		if (t->mem) {
			v = t->mem[i];
		} else if (bpf_map_lookup_elem(t->fd, &i, &v)) {
			return -errno;
		}
		if (!v.caller || v.rep.hook >= h->nr ||
		    v.tag != LA_CALLER_TAG(v.tag >> LA_CALLER_TAG_GEN_SHIFT, v.rep.hook, v.rep.state,
					   v.rep.flags))
			continue;
		const struct la_hook_def *d = h->hook[v.rep.hook].def;

		collect__caller_to_report(ks, d, h->probe_lock_addr != 0, &v,
					  r);
		/* counted there only: part of the hook's totals */
		if (v.rep.state < LA_NR_STATES)
			report__hook_rule(r, d->func, d->rule, d->src,
					  (int)d->path.hold)
				->calls[v.rep.state] += v.count;
	}
	return 0;
}
