/* SPDX-License-Identifier: GPL-2.0 */
/*
 * callers.h - the fast path's callers table, the only kernel state user
 * space writes: mapped into the collector, callers entered from new sites,
 * their counts stamped with the time they grew, and read into a report.
 */
#ifndef LA_CALLERS_H
#define LA_CALLERS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "collect_int.h"

struct ksyms;
struct la_hooks;
struct la_report;

struct la_callers {
	int fd; /* the callers map (< 0: none) */
	/* the map, mmapped (NULL: callers are not entered), and the slots
	 * in use, whose counts the collector watches */
	struct la_caller *mem;
	__u32 used[LA_MAX_CALLERS];
	__u32 nused;
	unsigned long long stamped_ns; /* CLOCK_BOOTTIME of the last stamp */
	bool failed; /* the map refused an entry (said once) */
};

/* Map the callers map fd (< 0: none) into t; a warning if it cannot be. */
void callers__map(struct la_callers *t, int fd);
void callers__unmap(struct la_callers *t);

/*
 * A new site: if its culprit is its immediate caller, enter that caller
 * so that its later calls are counted without a stack walk.
 */
void callers__enter(struct la_callers *t, const struct la_event *e,
		    const char *entry, char (*frames)[FRAME_LEN], size_t n);

/* Note when counts grew: at most every 100 ms unless force. */
void callers__stamp(struct la_callers *t, bool force);

/* Calls counted by their caller into r, at the sites they were entered
 * from, and into the hooks' totals. 0 or -errno. */
int callers__read(struct la_callers *t, const struct la_hooks *h,
		  const struct ksyms *ks, struct la_report *r);

#endif
