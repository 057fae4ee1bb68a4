/* SPDX-License-Identifier: GPL-2.0 */
/*
 * collect.h - drains the kernel side: the ring buffer for live output and
 * JSON Lines events, the aggregation map and counters into a report.
 */
#ifndef LA_COLLECT_H
#define LA_COLLECT_H

#include <linux/types.h>
#include <stdbool.h>
#include <stdio.h>

#include "lockaudit.h"

struct ksyms;

struct la_hooks;
struct la_report;
struct la_collector;

struct la_collect_opts {
	const char *kallsyms;	 /* path of /proc/kallsyms */
	const char *modules;	 /* path of /proc/modules (NULL: none) */
	FILE *live;		 /* one line per new violation site, or NULL */
	FILE *events;		 /* JSON Lines, one object per event, or NULL */
	enum la_event_mode mode; /* what the programs emit while we read */
	/* kallsyms as setup read it before attaching (taken over, freed by
	 * the collector), and /proc/modules' checksum before that read;
	 * NULL: the collector reads kallsyms itself */
	struct ksyms *ks;
	unsigned long ks_modules_sum;
};

/* NULL on failure, with the reason in err; *kptr_hidden: because kallsyms
 * hides its addresses (kernel.kptr_restrict). */
struct la_collector *collect__new(struct la_hooks *h,
				  const struct la_collect_opts *o,
				  bool *kptr_hidden, char *err, size_t errlen);
void collect__free(struct la_collector *c);

/* Wait up to timeout_ms for events and handle them. 0 or -errno. */
int collect__poll(struct la_collector *c, int timeout_ms);

/*
 * Read the aggregation map and counters into r (sites, hook lines, drop
 * counters). Symbolizes with a fresh /proc/kallsyms. 0 or -errno.
 */
int collect__snapshot(struct la_collector *c, struct la_report *r);

#endif
