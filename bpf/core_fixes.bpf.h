/* SPDX-License-Identifier: GPL-2.0 */
/*
 * core_fixes.bpf.h - kernel layouts that differ across the supported
 * kernels (6.1..7.3), read through CO-RE: the bpf_rdonly_cast kfunc (6.2+,
 * weak), struct mutex and struct rw_semaphore plain and PREEMPT_RT, struct module
 * before and since 6.4 (text ranges), and the typed (plain load) or probed
 * reads of a device's mutex owner and registered bit.
 */
#ifndef LA_CORE_FIXES_BPF_H
#define LA_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"
#include "maps.bpf.h"

extern void *bpf_rdonly_cast(const void *obj__ign,
			     __u32 btf_id__k) __ksym __weak;

/* struct module before 6.4: one core layout, text first */
struct module_layout___old {
	void *base;
	unsigned int size;
	unsigned int text_size;
} __attribute__((preserve_access_index));

struct module___old {
	struct module_layout___old core_layout;
	struct module_layout___old init_layout;
} __attribute__((preserve_access_index));

/* struct mutex on PREEMPT_RT: built on rt_mutex_base, owner has one flag bit */
struct mutex___rt {
	struct rt_mutex_base rtmutex;
} __attribute__((preserve_access_index));

/* struct mutex otherwise: atomic owner word with three flag bits */
struct mutex___plain {
	atomic_long_t owner;
} __attribute__((preserve_access_index));

/* struct rw_semaphore on PREEMPT_RT: rwbase_rt, a reader count biased by
 * READER_BIAS (1 << 31) while readers may enter, WRITER_BIAS (1 << 30) once
 * a writer holds it, and the writer's rt_mutex */
struct rwbase_rt___la {
	atomic_t readers;
	struct rt_mutex_base rtmutex;
} __attribute__((preserve_access_index));

struct rw_semaphore___rt {
	struct rwbase_rt___la rwbase;
} __attribute__((preserve_access_index));

/* struct rw_semaphore otherwise: count (bit 0 writer locked, readers from
 * bit 8) and owner (the writer; bit 0 set: a reader's, not to be trusted) */
struct rw_semaphore___plain {
	atomic_long_t count;
	atomic_long_t owner;
} __attribute__((preserve_access_index));

#define LA_RWSEM_WRITER_LOCKED 1UL
#define LA_RWSEM_READER_SHIFT  8
#define LA_RWSEM_READER_OWNED  1UL
#define LA_RWSEM_OWNER_FLAGS   3UL
#define LA_RWBASE_READER_BIAS  (1U << 31)
#define LA_RWBASE_WRITER_BIAS  (1U << 30)

/* What a plain rwsem's count says: LA_HELD_OTHER when a writer holds it
 * (its owner word then names it: rwsem_writer) */
static __always_inline __u32 rwsem_count_state(__u64 c)
{
	if (c & LA_RWSEM_WRITER_LOCKED)
		return LA_HELD_OTHER;
	return (c >> LA_RWSEM_READER_SHIFT) ? LA_READ_HELD : LA_UNLOCKED;
}

/* The writer a plain rwsem's owner word names; 0 if it is a reader's */
static __always_inline __u64 rwsem_writer(__u64 o)
{
	return (o & LA_RWSEM_READER_OWNED) ? 0 : o & ~LA_RWSEM_OWNER_FLAGS;
}

/* What PREEMPT_RT's reader count says: LA_HELD_OTHER when a writer holds
 * it (its rt_mutex then names it: rwbase_writer) */
static __always_inline __u32 rwbase_state(__u32 r)
{
	if (r & LA_RWBASE_READER_BIAS)
		return (r & ~LA_RWBASE_READER_BIAS) ? LA_READ_HELD : LA_UNLOCKED;
	/* not yet WRITER_BIAS: a writer waits for the readers to leave */
	return r == LA_RWBASE_WRITER_BIAS ? LA_HELD_OTHER : LA_READ_HELD;
}

/* The writer of a PREEMPT_RT rwsem (a task pointer with a flag bit, which
 * the verifier will not let a program mask: probe-read) */
static __always_inline __u64 rwbase_writer(void *l)
{
	struct rw_semaphore___rt *s = l;

	return (__u64)BPF_CORE_READ(s, rwbase.rtmutex.owner) & ~1ULL;
}

/*
 * An rwsem's state: LA_UNLOCKED, LA_READ_HELD (readers, never named), or
 * LA_HELD_OTHER with *owner the writer (0 if it is not recorded yet: the
 * instant between taking the lock and setting the owner; the caller
 * compares it with the current task).
 */
static __always_inline __u32 rwsem_state(void *l, __u64 *owner)
{
	__u32 st;

	*owner = 0;
	if (bpf_core_field_exists(struct rw_semaphore___rt, rwbase)) {
		struct rw_semaphore___rt *s = l;

		st = rwbase_state(BPF_CORE_READ(s, rwbase.readers.counter));
		if (st == LA_HELD_OTHER)
			*owner = rwbase_writer(l);
		return st;
	}
	if (bpf_core_field_exists(struct rw_semaphore___plain, count)) {
		struct rw_semaphore___plain *s = l;

		st = rwsem_count_state(BPF_CORE_READ(s, count.counter));
		if (st == LA_HELD_OTHER)
			*owner = rwsem_writer(BPF_CORE_READ(s, owner.counter));
		return st;
	}
	return LA_NR_STATES; /* a layout not known here: not judged */
}

static __always_inline __u64 mutex_owner(void *m)
{
	if (bpf_core_field_exists(struct mutex___rt, rtmutex)) {
		struct mutex___rt *rm = m;

		return (__u64)BPF_CORE_READ(rm, rtmutex.owner) & ~1ULL;
	}
	if (bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *pm = m;

		return (__u64)BPF_CORE_READ(pm, owner.counter) & ~7ULL;
	}
	return 0;
}

/*
 * A rule's lock (LA_LOCK_PATH) read with plain fault-safe loads through
 * bpf_rdonly_cast (6.2+: have_cast) instead of a probe read per word: a
 * mutex's owner word, an rwsem's count and owner. The PREEMPT_RT owners are
 * task pointers with a flag bit (the verifier will not let a program mask
 * one): probe-read, as without the cast.
 */
static __always_inline __u64 mutex_owner_cast(void *m)
{
	if (bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *pm = bpf_rdonly_cast(
			m, bpf_core_type_id_kernel(struct mutex));

		return (__u64)pm->owner.counter & ~7ULL;
	}
	return mutex_owner(m);
}

static __always_inline __u32 rwsem_state_cast(void *l, __u64 *owner)
{
	__u32 st;

	*owner = 0;
	if (bpf_core_field_exists(struct rw_semaphore___plain, count)) {
		struct rw_semaphore___plain *s = bpf_rdonly_cast(
			l, bpf_core_type_id_kernel(struct rw_semaphore));

		st = rwsem_count_state(s->count.counter);
		if (st == LA_HELD_OTHER)
			*owner = rwsem_writer(s->owner.counter);
		return st;
	}
	if (bpf_core_field_exists(struct rw_semaphore___rt, rwbase)) {
		struct rw_semaphore___rt *s = bpf_rdonly_cast(
			l, bpf_core_type_id_kernel(struct rw_semaphore));

		st = rwbase_state(s->rwbase.readers.counter);
		if (st == LA_HELD_OTHER)
			*owner = rwbase_writer(l);
		return st;
	}
	return LA_NR_STATES;
}

/*
 * The owner and the registered bit (lock_facts) read with plain (fault-safe)
 * loads instead of bpf_probe_read_kernel calls, from a typed pointer: fentry's
 * argument comes typed from the traced function's BTF (struct device *); a
 * kprobe's is cast with bpf_rdonly_cast (6.2+). The PREEMPT_RT owner is a task
 * pointer with a flag bit, which the verifier will not let a program mask: it
 * is probe-read.
 */
static __always_inline struct device *dev_typed(void *obj, bool kprobe)
{
	if (!kprobe)
		return obj;
	return bpf_rdonly_cast(obj, bpf_core_type_id_kernel(struct device));
}

static __always_inline __u64 dev_mutex_owner_direct(struct device *dev)
{
	if (bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *pm = (void *)&dev->mutex;

		return (__u64)pm->owner.counter & ~7ULL;
	}
	return mutex_owner(&dev->mutex);
}

static __always_inline __u32 dev_registered_direct(struct device *dev)
{
	struct kobject *kobj = &dev->kobj;

	return BPF_CORE_READ_BITFIELD(kobj, state_in_sysfs);
}

/* The owner of iommu_probe_device_lock (a global the programs have no typed
 * pointer to): a cast and a plain load where the kernel allows (6.2+). */
static __always_inline __u64 probe_lock_owner(void)
{
	if (have_cast && bpf_core_field_exists(struct mutex___plain, owner)) {
		struct mutex___plain *m =
			bpf_rdonly_cast((void *)probe_lock_addr,
					bpf_core_type_id_kernel(struct mutex));

		return (__u64)m->owner.counter & ~7ULL;
	}
	return mutex_owner((void *)probe_lock_addr);
}

static __always_inline __u32 dev_registered(struct device *dev)
{
	struct kobject *kobj = &dev->kobj;

	return BPF_CORE_READ_BITFIELD_PROBED(kobj, state_in_sysfs);
}

/* A module's text (and __init text into m, if given): struct module___old
 * before 6.4, mem[] since. */
static __always_inline void module_text(struct module *mod, __u64 *base,
					__u64 *size, struct la_mod *m)
{
	if (bpf_core_field_exists(struct module___old, core_layout)) {
		struct module___old *o = (void *)mod;

		*base = (__u64)BPF_CORE_READ(o, core_layout.base);
		*size = BPF_CORE_READ(o, core_layout.text_size);
		if (m) {
			m->init_base =
				(__u64)BPF_CORE_READ(o, init_layout.base);
			m->init_size = BPF_CORE_READ(o, init_layout.text_size);
		}
	} else {
		*base = (__u64)BPF_CORE_READ(mod, mem[MOD_TEXT].base);
		*size = BPF_CORE_READ(mod, mem[MOD_TEXT].size);
		if (m) {
			m->init_base = (__u64)BPF_CORE_READ(
				mod, mem[MOD_INIT_TEXT].base);
			m->init_size =
				BPF_CORE_READ(mod, mem[MOD_INIT_TEXT].size);
		}
	}
}

#endif /* LA_CORE_FIXES_BPF_H */
