/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_int.h - what the report_*.c files share and nothing else uses: the
 * hash indexes over the model's arrays, the model's internal helpers, the
 * folding of nested violations, and the sections and groups the writers list
 * sites in.
 */
#ifndef LA_REPORT_INT_H
#define LA_REPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report.h"

/* ---- report_index.c: hash indexes ------------------------------------ */

/* r->index[] and r->indexed[]: which array of the report */
enum { IDX_SITES, IDX_RACES, IDX_HOOKS, IDX_RUNS };

struct la_slot {
	uint64_t hash;
	size_t idx1; /* index + 1; 0: empty */
};

/* identity hash -> index of an item (report_index.c) */
struct la_index {
	size_t cap; /* a power of two, or 0 */
	size_t used;
	struct la_slot *slot;
};

/* is item idx of r the same as key? */
typedef bool (*idx_eq_fn)(const struct la_report *r, size_t idx,
			  const void *key);

#define LA_HASH_SEED 0xcbf29ce484222325ULL
/* FNV-1a over s with its terminating NUL: "ab","c" and "a","bc" differ */
uint64_t la_hash_str(uint64_t h, const char *s);
uint64_t la_hash_u64(uint64_t h, uint64_t v);

/* The item with hash h that eq finds equal to key, SIZE_MAX if none. */
size_t la_index_find(const struct la_index *x, uint64_t h, idx_eq_fn eq,
		     const struct la_report *r, const void *key);
/* Add item idx, whose identity is not in x yet. */
void la_index_put(struct la_index *x, uint64_t h, size_t idx);
/*
 * Index number `which` of r, brought up to date with the first n items (of
 * size bytes each, at items): each identity maps to its first item, the one
 * a linear search would find.
 */
struct la_index *la_index_sync(struct la_report *r, int which, size_t n,
			       const void *items, size_t size,
			       uint64_t (*hash)(const void *item),
			       idx_eq_fn eq);
void la_index_free(struct la_index *x);

/* ---- report.c: the model --------------------------------------------- */

/* The enum la_lock_state named name (la_state_name), -1 if none. */
int report__state_from_name(const char *name);
/* Count n calls at the entry point entry inside s's calls (copied). */
void report__add_nested(struct la_rsite *s, const char *entry, uint64_t n);

/* ---- report_sort.c: sections and groups ------------------------------ */

/*
 * Where the reports list a site, in report__sort's order: drivers, core,
 * unclassified, then held (text and JSON sections alike).
 */
enum la_section {
	LA_SEC_DRIVERS,	     /* not held, a driver's call: by module */
	LA_SEC_CORE,	     /* not held, an IOMMU-core path: by path */
	LA_SEC_UNCLASSIFIED, /* not held, the stack too short to tell */
	LA_SEC_HELD,	     /* the lock was held */
};

enum la_section report__section(const struct la_rsite *s);

/*
 * A run of sites in one section under one name, as the reports group them:
 * a driver module, a core path; unclassified and held sites form a single
 * group each (name "").
 */
struct la_site_group {
	size_t from, to; /* r->sites[from, to) */
	const char *name;
	uint64_t count; /* the sites' counts added up */
};

/*
 * The next group of section sec in the sorted r, after g (zeroed for the
 * first): true and g filled in, false when there is none. So:
 *	struct la_site_group g = {0};
 *	while (report__next_group(r, sec, &g))
 */
bool report__next_group(const struct la_report *r, enum la_section sec,
			struct la_site_group *g);

/* ---- report_fold.c: nested violations (report.h) --------------------- */

/*
 * The view both writers list: a shallow copy of r whose sites are r's with
 * nested violations folded in, sorted (report__sort), in an array of their
 * own (report__unfold frees it). nested[state]: the calls folded.
 */
void report__fold(const struct la_report *r, struct la_report *view,
		  uint64_t nested[LA_NR_STATES]);
void report__unfold(struct la_report *view);

/* ---- report_fleet.c: machines and kernels ---------------------------- */

/*
 * A machine is a hostname: the runs of a report (r->runs; a live report is
 * its own one run) on one hostname are one machine, whatever their kernels
 * and start times. Reports carry no boot or machine id, so two machines
 * sharing a hostname count as one.
 */

/* Add runs lo..hi to s's runs. */
void la_ranges_add(struct la_rsite *s, uint32_t lo, uint32_t hi);
/* Add src's runs to dst's (a union). */
void la_ranges_union(struct la_rsite *dst, const struct la_rsite *src);

/* a kernel and the machines a site was seen on with it */
struct la_kcount {
	const char *kernel;
	uint32_t machines;
};

/* The machines and kernels of r's runs, for the writers: view->fleet set
 * and each site's machines (report__fold does it). */
void la_fleet_build(struct la_report *view);
void la_fleet_free(struct la_report *view);
/* machines and kernels in the whole report */
uint32_t la_fleet_machines(const struct la_report *view);
uint32_t la_fleet_kernels(const struct la_report *view);
/* does the report span more than one machine or kernel? */
bool la_fleet_many(const struct la_report *view);
/*
 * The kernels site s (of view) was seen on, each with its machines, most
 * machines first (then by name): into out (up to max), the number found
 * returned. A site with no runs: view's one run (kernel view->kernel).
 */
size_t la_fleet_kernels_of(const struct la_report *view,
			   const struct la_rsite *s, struct la_kcount *out,
			   size_t max);
/* the kernels of the whole report, each with its machines, as above */
size_t la_fleet_all_kernels(const struct la_report *view, struct la_kcount *out,
			    size_t max);

#endif
