/* SPDX-License-Identifier: GPL-2.0 */
/*
 * attribute.h - from a symbolized stack to the code responsible: the first
 * caller outside the generic machinery (IOMMU core, OF/ACPI DMA glue, driver
 * core, bus notifiers), or a named IOMMU-core path.
 */
#ifndef LA_ATTRIBUTE_H
#define LA_ATTRIBUTE_H

#include <stdbool.h>
#include <stddef.h>

enum la_group {
	LA_GROUP_DRIVER = 0, /* a driver's (or other kernel code's) call */
	LA_GROUP_CORE, /* the IOMMU core's own probing, unlocked by design */
	LA_GROUP_UNCLASSIFIED, /* the stack is too short to decide */
};

struct la_attr {
	enum la_group group;
	const char *core_path; /* LA_GROUP_CORE: e.g. "device add
				  (iommu_bus_notifier)" */
	int culprit; /* index of the responsible frame in frames[], -1 if none
		      */
	int first;   /* index of the first frame after BPF/trampoline frames */
};

/*
 * frames: innermost first, as "func+0xoff [module]" (see ksyms__format).
 * entry: the hooked function. A stack whose frames above the entry are
 * all generic (or unknown) cannot name a culprit: LA_GROUP_UNCLASSIFIED.
 */
void la_attribute(const char *entry, char *const *frames, size_t n,
		  struct la_attr *out);

/* Copy the function name of a frame ("" if unknown) into buf. */
const char *la_frame_func(const char *frame, char *buf, size_t len);
/* Copy the module of a frame ("vmlinux" if built in) into buf. */
const char *la_frame_module(const char *frame, char *buf, size_t len);

const char *la_group_name(enum la_group g);
/* A BPF program or trampoline frame ([bpf]): not kernel code of interest.
 * fentry stacks start with them, and with exit hooks (fexit) nested
 * watched calls leave trampoline frames in the middle too. */
bool la_frame_is_bpf(const char *frame);

/*
 * How much a site matters, from the facts the kernel recorded:
 *   none   the caller held the device lock: not a finding
 *   info   the IOMMU core's own path (unlocked by design)
 *   low    the device was not registered yet: nothing else can reach it
 *   medium registered, but the caller held iommu_probe_device_lock
 *   high   registered, no lock at all (or the device lock held by another
 *          task), in a driver or an unclassified path
 */
enum la_severity {
	LA_SEV_NONE = 0,
	LA_SEV_INFO,
	LA_SEV_LOW,
	LA_SEV_MEDIUM,
	LA_SEV_HIGH,
};

/*
 * Does a call in this state (enum la_lock_state) break a rule with this
 * hold (enum la_rule_hold)? As lockdep would: unlocked and another task's
 * always; a read hold (of some task) only a write assertion; the caller's
 * own write hold only a read assertion (lockdep_assert_held_read).
 */
bool la_violation(int state, int hold);
/* probe_lock: 1 held by the caller, 0 not held, -1 the kernel has none;
 * device: the rule's lock is a device's (registered applies) */
enum la_severity la_severity(enum la_group g, int state, bool registered,
			     int probe_lock, int hold, bool device);
const char *la_severity_name(enum la_severity s);

struct la_rule_file;
/*
 * Take the @pass and @core directives of f (kept, not copied) instead of
 * the built-in rule file's (rules/iommu.rules), which are used by default.
 */
void la_attribute_use(const struct la_rule_file *f);

#endif
