/* SPDX-License-Identifier: GPL-2.0 */
/*
 * races.bpf.h - concurrency (--races): which task is inside a watched
 * function for which device (maps "inflight", "task_devs"), entered and
 * left with the hook slot's entry and exit programs, and the race recorded
 * (map "races") when a second task enters for a device while the first is
 * still inside.
 */
#ifndef LA_RACES_BPF_H
#define LA_RACES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "lockaudit.h"
#include "maps.bpf.h"
#include "facts.bpf.h"

/* A new race's initial value, built in the per-CPU scratch on a miss only. */
struct race_init {
	struct la_scratch *sc;
	__u64 now;
};

static __always_inline const void *race_fill(void *arg)
{
	struct race_init *ri = arg;

	__builtin_memset(&ri->sc->race, 0, sizeof(ri->sc->race));
	ri->sc->race.first_ns = ri->now;
	return &ri->sc->race;
}

static __always_inline void record_race(struct la_inflight *in, __u32 slot,
					struct la_key *key, struct device *dev,
					__u64 now)
{
	__u32 zero = 0;
	struct la_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);
	struct race_init ri;
	struct la_race *r;

	if (!sc)
		return;
	__builtin_memset(&sc->rkey, 0, sizeof(sc->rkey));
	sc->rkey.hook[0] = in->hook;
	sc->rkey.hook[1] = slot;
	sc->rkey.nr_ips[0] = in->nr_ips;
	sc->rkey.nr_ips[1] = key->nr_ips;
	sc->rkey.gen = key->gen;
	__builtin_memcpy(sc->rkey.ips[0], in->ips, sizeof(in->ips));
	__builtin_memcpy(sc->rkey.ips[1], key->ips, sizeof(key->ips));
	ri.sc = sc;
	ri.now = now;
	r = map_lookup_or_try_init(&races, &sc->rkey, NULL, race_fill, &ri);
	if (!r) {
		count(LA_CNT_RACE_DROPS);
		return;
	}
	__sync_fetch_and_add(&r->count, 1);
	r->last_ns = now;
	r->pid[0] = in->pid;
	r->pid[1] = (__u32)bpf_get_current_pid_tgid();
	__builtin_memcpy(r->comm[0], in->comm, sizeof(in->comm));
	bpf_get_current_comm(r->comm[1], sizeof(r->comm[1]));
	read_dev(&r->dev, dev);
}

/* Entry: note that this task is inside for dev; another task inside for
 * the same device is the race the missing lock permits. */
static __always_inline void
track_enter(__u32 slot, void *obj, struct la_key *key, __u64 task, __u64 now)
{
	__u64 dev = (__u64)obj, id = bpf_get_current_pid_tgid();
	struct la_task_devs *td;
	struct la_inflight *in;
	__u32 zero = 0;

	td = map_lookup_or_try_init(&task_devs, &id, &zero_task_devs, NULL,
				    NULL);
	if (!td) {
		count(LA_CNT_TRACK_DROPS);
		return;
	}
	if (td->depth < LA_MAX_NEST)
		td->dev[td->depth & (LA_MAX_NEST - 1)] = dev;
	td->depth++;

	in = bpf_map_lookup_elem(&inflight, &dev);
	if (in && in->task == task) {
		in->depth++;
		return;
	}
	if (in) {
		record_race(in, slot, key, obj, now);
		return;
	}
	{
		struct la_scratch *sc = bpf_map_lookup_elem(&scratch, &zero);

		if (!sc)
			return;
		sc->in.task = task;
		sc->in.pid = (__u32)id;
		sc->in.depth = 1;
		sc->in.hook = slot;
		sc->in.nr_ips = key->nr_ips;
		bpf_get_current_comm(sc->in.comm, sizeof(sc->in.comm));
		__builtin_memcpy(sc->in.ips, key->ips, sizeof(key->ips));
		if (bpf_map_update_elem(&inflight, &dev, &sc->in, BPF_NOEXIST))
			count(LA_CNT_TRACK_DROPS);
	}
}

/* Exit: this task leaves its innermost watched call. */
static __always_inline int track_exit(void)
{
	__u64 id = bpf_get_current_pid_tgid(), task = bpf_get_current_task();
	struct la_task_devs *td = bpf_map_lookup_elem(&task_devs, &id);
	struct la_inflight *in;
	__u64 dev;

	if (!td || !td->depth)
		return 0;
	td->depth--;
	if (td->depth < LA_MAX_NEST) {
		dev = td->dev[td->depth & (LA_MAX_NEST - 1)];
		in = bpf_map_lookup_elem(&inflight, &dev);
		if (in && in->task == task && --in->depth == 0)
			bpf_map_delete_elem(&inflight, &dev);
	}
	if (!td->depth)
		bpf_map_delete_elem(&task_devs, &id);
	return 0;
}

#endif /* LA_RACES_BPF_H */
