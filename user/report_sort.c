// SPDX-License-Identifier: GPL-2.0
/*
 * report_sort.c - the order the writers list a report's sites in: each site's
 * section (drivers, core, unclassified, held), the sort, and the groups (a
 * driver module, a core path) that sorted sites form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report_int.h"
#include "xalloc.h"

/* drivers, core, unclassified, then held; within a group by severity,
 * machines (a fleet's) and count */
enum la_section report__section(const struct la_rsite *s)
{
	if (s->severity == LA_SEV_NONE) /* kept the rule */
		return LA_SEC_HELD;
	return s->group == LA_GROUP_DRIVER ? LA_SEC_DRIVERS
	       : s->group == LA_GROUP_CORE ? LA_SEC_CORE
					   : LA_SEC_UNCLASSIFIED;
}

/* what a section groups its sites by */
static const char *group_name(const struct la_rsite *s, enum la_section sec)
{
	return sec == LA_SEC_DRIVERS ? s->module
	       : sec == LA_SEC_CORE  ? s->core_path
				     : "";
}

bool report__next_group(const struct la_report *r, enum la_section sec,
			struct la_site_group *g)
{
	size_t i = g->to;

	while (i < r->nr_sites && report__section(&r->sites[i]) != sec)
		i++;
	if (i == r->nr_sites)
		return false;
	g->from = i;
	g->name = group_name(&r->sites[i], sec);
	g->count = 0;
	for (; i < r->nr_sites && report__section(&r->sites[i]) == sec &&
	       !strcmp(group_name(&r->sites[i], sec), g->name);
	     i++)
		g->count += r->sites[i].count;
	g->to = i;
	return true;
}

/* a site's sort key, computed once */
struct sort_key {
	const struct la_rsite *s;
	size_t idx;		 /* in the unsorted array: ties keep it */
	size_t first;		 /* the first driver site of its module */
	enum la_severity modsev; /* the worst among its module's drivers */
	uint32_t modmach;	 /* the most machines among them */
	enum la_section sec;
};

static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *kx = a, *ky = b;
	const struct la_rsite *x = kx->s, *y = ky->s;
	int c;

	if (kx->sec != ky->sec)
		return kx->sec < ky->sec ? -1 : 1;
	/* drivers: the module with the worst site first */
	if (kx->sec == LA_SEC_DRIVERS && kx->modsev != ky->modsev)
		return (int)ky->modsev - (int)kx->modsev;
	/* then the module seen on the most machines (a fleet) */
	if (kx->sec == LA_SEC_DRIVERS && kx->modmach != ky->modmach)
		return kx->modmach > ky->modmach ? -1 : 1;
	if ((c = strcmp(x->module, y->module)) ||
	    (c = strcmp(x->core_path, y->core_path)))
		return c;
	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	if (x->machines != y->machines)
		return x->machines > y->machines ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	if ((c = strcmp(x->entry, y->entry)) ||
	    (c = strcmp(x->function, y->function)))
		return c;
	if (x->state != y->state)
		return x->state - y->state;
	/* stable, as glibc's qsort (a merge sort) was on the sites */
	return kx->idx < ky->idx ? -1 : kx->idx > ky->idx;
}

/* key: a module name */
static bool module_eq(const struct la_report *r, size_t idx, const void *key)
{
	return !strcmp(r->sites[idx].module, key);
}

void report__sort(struct la_report *r)
{
	struct la_index modules = {0};
	struct sort_key *k;
	struct la_rsite tmp;
	size_t i, n = r->nr_sites;

	if (!n)
		return;
	k = xrealloc(NULL, n * sizeof(*k));
	/* each driver module's worst severity, once, not per comparison */
	for (i = 0; i < n; i++) {
		const struct la_rsite *s = &r->sites[i];

		k[i].s = s;
		k[i].idx = i;
		k[i].sec = report__section(s);
		k[i].modsev = s->severity;
		k[i].modmach = s->machines;
		k[i].first = i;
		if (k[i].sec == LA_SEC_DRIVERS) {
			uint64_t h = la_hash_str(LA_HASH_SEED, s->module);
			size_t f = la_index_find(&modules, h, module_eq, r,
						 s->module);

			if (f == SIZE_MAX) {
				la_index_put(&modules, h, i);
			} else {
				k[i].first = f;
				if (s->severity > k[f].modsev)
					k[f].modsev = s->severity;
				if (s->machines > k[f].modmach)
					k[f].modmach = s->machines;
			}
		}
	}
	for (i = 0; i < n; i++) {
		k[i].modsev = k[k[i].first].modsev;
		k[i].modmach = k[k[i].first].modmach;
	}
	free(modules.slot);
	qsort(k, n, sizeof(*k), cmp_key);
	/* in place, cycle by cycle: site k[i].idx goes to i (no second
	 * copy of the sites) */
	for (i = 0; i < n; i++) {
		size_t j = i, from;

		if (k[i].idx == SIZE_MAX)
			continue;
		tmp = r->sites[i];
		while ((from = k[j].idx) != i) {
			r->sites[j] = r->sites[from];
			k[j].idx = SIZE_MAX;
			j = from;
		}
		r->sites[j] = tmp;
		k[j].idx = SIZE_MAX;
	}
	free(k);
	/* the sites moved: the merge index starts over when next used */
	r->indexed[IDX_SITES] = 0;
}
