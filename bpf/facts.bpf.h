/* SPDX-License-Identifier: GPL-2.0 */
/*
 * facts.bpf.h - what a call is audited by: the watched lock's state for the
 * calling task (the device's mutex, or a rule's lock reached by its path) and
 * the facts that split a site (registered, probe lock held), shared by the fast
 * and the full path, and the record of the device (struct la_dev) that sites,
 * events and races keep.
 */
#ifndef LA_FACTS_BPF_H
#define LA_FACTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"

/* The task owning the lock of this kind (enum la_lock_kind), 0 if
 * unlocked. */
static __always_inline __u64 lock_owner(__u32 kind, void *obj)
{
	switch (kind) {
	case LA_LOCK_DEV_MUTEX: {
		struct device *dev = obj;

		return mutex_owner(&dev->mutex);
	}
	default:
		return 0;
	}
}

/* What sites, events and races keep of a device (struct la_dev). */
static __always_inline void read_dev(struct la_dev *d, struct device *dev)
{
	const char *name = BPF_CORE_READ(dev, kobj.name);

	if (!name)
		name = BPF_CORE_READ(dev, init_name);
	d->ptr = (__u64)dev;
	if (!name ||
	    bpf_probe_read_kernel_str(d->name, sizeof(d->name), name) < 0)
		d->name[0] = 0;
	name = BPF_CORE_READ(dev, bus, name);
	if (!name ||
	    bpf_probe_read_kernel_str(d->bus, sizeof(d->bus), name) < 0)
		d->bus[0] = 0;
	name = BPF_CORE_READ(dev, driver, name);
	if (!name ||
	    bpf_probe_read_kernel_str(d->driver, sizeof(d->driver), name) < 0)
		d->driver[0] = 0;
	d->registered = dev_registered(dev);
}

/*
 * The lock of a rule (LA_LOCK_PATH): from the base value, follow
 * hook_path(slot)'s dereferences with fault-safe reads; 0 if a pointer on
 * the way is NULL or unreadable. The path is read-only data: the verifier
 * sees each slot's as constants, and the loop as straight code.
 */
static __always_inline __u64 path_lock(__u32 slot, __u64 v)
{
	__u32 i;

#pragma unroll
	for (i = 0; i < LA_RULE_MAX_DEREFS; i++) {
		if (i >= hook_path(slot).nr_derefs)
			break;
		if (bpf_probe_read_kernel(
			    &v, sizeof(v),
			    (void *)(v + hook_path(slot).off[i])) ||
		    !v)
			return 0;
	}
	return v + hook_path(slot).off[i];
}

/*
 * The owner word of a rule's lock (0: unlocked), or the state itself when
 * there is no owner to compare: LA_READ_HELD, LA_UNLOCKED, or LA_NR_STATES
 * if the lock cannot be reached (counted by the caller, never judged).
 * LA_HELD_OTHER: compare *owner with the current task (0: a writer not
 * recorded yet, another task's).
 */
static __always_inline __u32 path_owner(__u32 slot, __u32 rlock, void *obj,
					__u64 *owner)
{
	__u64 l = path_lock(slot, (__u64)obj);

	*owner = 0;
	if (!l)
		return LA_NR_STATES;
	if (rlock == LA_RLOCK_RWSEM)
		return have_cast ? rwsem_state_cast((void *)l, owner)
				 : rwsem_state((void *)l, owner);
	*owner = have_cast ? mutex_owner_cast((void *)l)
			   : mutex_owner((void *)l);
	return *owner ? LA_HELD_OTHER : LA_UNLOCKED;
}

/*
 * The facts that split a site: the lock's state for the calling task, and
 * flags (registered, iommu_probe_device_lock held). *task is read only when
 * an owner is compared (0 otherwise). LA_NR_STATES: the rule's lock could
 * not be reached. kind and rlock are the slot's lock kind and a rule's lock
 * type (hook_lock, hook_path().lock): constants in an fentry template of
 * that kind (the compiler keeps no other kind's code), read from the slot
 * elsewhere.
 */
static __always_inline __u32 lock_facts(__u32 slot, __u32 kind, __u32 rlock,
					void *obj, __u32 *flags, __u64 *owner,
					__u64 *task)
{
	__u64 o;

	if (kind == LA_LOCK_PATH) {
		__u32 st = path_owner(slot, rlock, obj, owner);

		if (st != LA_HELD_OTHER)
			return st;
		*task = bpf_get_current_task();
		return *owner == *task ? LA_HELD : LA_HELD_OTHER;
	}
	if (!(*flags & LA_F_KPROBE) || have_cast) {
		struct device *dev = dev_typed(obj, *flags & LA_F_KPROBE);

		o = dev_mutex_owner_direct(dev);
		if (dev_registered_direct(dev))
			*flags |= LA_F_REGISTERED;
	} else {
		o = lock_owner(kind, obj);
		if (dev_registered(obj))
			*flags |= LA_F_REGISTERED;
	}
	*owner = o;
	if (probe_lock_addr) {
		__u64 po = probe_lock_owner();

		if (po) {
			*task = bpf_get_current_task();
			if (po == *task)
				*flags |= LA_F_PROBE_LOCK;
		}
	}
	if (!o)
		return LA_UNLOCKED;
	if (!*task)
		*task = bpf_get_current_task();
	return o == *task ? LA_HELD : LA_HELD_OTHER;
}

#endif /* LA_FACTS_BPF_H */
