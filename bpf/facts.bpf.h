/* SPDX-License-Identifier: GPL-2.0 */
/*
 * facts.bpf.h - what a call is audited by: the watched lock's state for the
 * calling task and the facts that split a site (registered, probe lock
 * held), shared by the fast and the full path, and the record of the
 * device (struct la_dev) that sites, events and races keep.
 */
#ifndef LA_FACTS_BPF_H
#define LA_FACTS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"

/* The task owning the lock that this hook watches, 0 if unlocked. */
static __always_inline __u64 lock_owner(__u32 slot, void *obj)
{
	switch (hook_lock[slot]) {
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
 * The facts that split a site: the lock's state for the calling task, and
 * flags (registered, iommu_probe_device_lock held). *task is read only when
 * an owner is compared (0 otherwise).
 */
static __always_inline __u32 lock_facts(__u32 slot, void *obj, __u32 *flags,
					__u64 *owner, __u64 *task)
{
	__u64 o;

	if (hook_lock[slot] == LA_LOCK_DEV_MUTEX &&
	    (!(*flags & LA_F_KPROBE) || have_cast)) {
		struct device *dev = dev_typed(obj, *flags & LA_F_KPROBE);

		o = dev_mutex_owner_direct(dev);
		if (dev_registered_direct(dev))
			*flags |= LA_F_REGISTERED;
	} else {
		o = lock_owner(slot, obj);
		if (hook_lock[slot] == LA_LOCK_DEV_MUTEX && dev_registered(obj))
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
