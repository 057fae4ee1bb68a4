/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collect_int.h - the collector's insides, shared by collect.c, callers.c
 * and symfresh.c and called by tests/unit/test_collect.c; not for main.c
 * or live.c (they use collect.h).
 */
#ifndef LA_COLLECT_INT_H
#define LA_COLLECT_INT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "lockaudit.h"

/* one symbolized frame, "func+0xoff/0xsize [module]" */
#define FRAME_LEN 192

struct ksyms;
struct la_report;
struct la_hook_def;

/*
 * One aggregation-map entry into the report: symbolize its stack with ks,
 * attribute it, and copy count, times, holder and example devices.
 * probe_lock_known: the kernel has iommu_probe_device_lock. def: the
 * hook's rule (the site's entry point, rule and verdict).
 */
void collect__site_to_report(const struct ksyms *ks,
			     const struct la_hook_def *def,
			     bool probe_lock_known, const struct la_key *k,
			     const struct la_site *v, struct la_report *r);

/*
 * One "callers" entry (calls counted by their immediate caller) into the
 * report: counted into the site of its representative stack (merged into
 * an identical site already in r), recorded as by_caller.
 */
void collect__caller_to_report(const struct ksyms *ks,
			       const struct la_hook_def *def,
			       bool probe_lock_known, const struct la_caller *c,
			       struct la_report *r);

/*
 * Enter a caller into the callers table tab (LA_MAX_CALLERS entries, as
 * mmapped): at its slot or one of the LA_CALLER_PROBES after it, with the
 * device already seen and the representative full site. Returns the index
 * (also when entered already; *added says whether this call took the
 * slot), -ENOSPC when no slot near its own is free. (callers.c)
 */
int collect__enter_caller_at(struct la_caller *tab, __u64 caller, __u64 tag,
			     __u64 dev, const struct la_key *rep, __u64 rep_ns,
			     bool *added);

/*
 * The live "new site" lines: a site is new to the programs once per module
 * generation (see la_key), but said once per symbolized site. A set of
 * 64-bit hashes (0 is never stored: hashes are made odd); full, it stops
 * remembering (the lines may then repeat).
 */
#define LA_SAID_SLOTS 16384
struct la_said {
	__u64 h[LA_SAID_SLOTS];
	__u32 n;
};
/* Hash of a site as said: entry point, lock state, the key's facts
 * (la_key.flags) and frames. */
__u64 collect__site_hash(const char *entry, __u32 state, __u32 flags,
			 char *const *frames, size_t n);
/* Add h; false when it was there already. */
bool collect__said_add(struct la_said *s, __u64 h);

#endif
