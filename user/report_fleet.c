// SPDX-License-Identifier: GPL-2.0
/*
 * report_fleet.c - the fleet view of a merged report: the runs each site was
 * seen in (sets of run ranges, merged as unions), and from them, for the
 * writers, the machines (hostnames) and kernels each site was seen on.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"
#include "xalloc.h"

/* room for one more range in s */
static void ranges_grow(struct la_rsite *s)
{
	if (s->nr_ranges < s->cap_ranges)
		return;
	s->cap_ranges = s->cap_ranges ? s->cap_ranges * 2 : 1;
	if (s->cap_ranges > SIZE_MAX / sizeof(*s->ranges)) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	s->ranges = xrealloc(s->ranges, s->cap_ranges * sizeof(*s->ranges));
}

/* do a and b overlap or touch (so that they make one range)? */
static bool ranges_meet(const struct la_rrange *a, const struct la_rrange *b)
{
	return (uint64_t)a->lo <= (uint64_t)b->hi + 1 &&
	       (uint64_t)b->lo <= (uint64_t)a->hi + 1;
}

/* append lo..hi, which starts at or after the last range's start */
static void ranges_append(struct la_rsite *s, uint32_t lo, uint32_t hi)
{
	struct la_rrange x = {lo, hi}, *last;

	last = s->nr_ranges ? &s->ranges[s->nr_ranges - 1] : NULL;
	if (last && ranges_meet(last, &x)) {
		if (hi > last->hi)
			last->hi = hi;
		return;
	}
	ranges_grow(s);
	s->ranges[s->nr_ranges++] = x;
}

void la_ranges_add(struct la_rsite *s, uint32_t lo, uint32_t hi)
{
	struct la_rsite one = {
		.nr_ranges = 1,
		.ranges = &(struct la_rrange){lo, hi},
	};

	la_ranges_union(s, &one);
}

void la_ranges_union(struct la_rsite *dst, const struct la_rsite *src)
{
	struct la_rsite out = {0};
	size_t i = 0, j = 0;

	if (!src->nr_ranges)
		return;
	/* runs read in order: src is after everything in dst */
	if (!dst->nr_ranges ||
	    src->ranges[0].lo >= dst->ranges[dst->nr_ranges - 1].lo) {
		for (j = 0; j < src->nr_ranges; j++)
			ranges_append(dst, src->ranges[j].lo,
				      src->ranges[j].hi);
		return;
	}
	while (i < dst->nr_ranges || j < src->nr_ranges) {
		const struct la_rrange *x;

		if (j == src->nr_ranges ||
		    (i < dst->nr_ranges &&
		     dst->ranges[i].lo <= src->ranges[j].lo))
			x = &dst->ranges[i++];
		else
			x = &src->ranges[j++];
		ranges_append(&out, x->lo, x->hi);
	}
	free(dst->ranges);
	dst->ranges = out.ranges;
	dst->nr_ranges = out.nr_ranges;
	dst->cap_ranges = out.cap_ranges;
}

/* ---- machines and kernels, for the writers ---------------------------- */

struct la_fleet {
	size_t nr_runs;	       /* r->nr_runs, at least 1 */
	uint32_t *run_machine; /* by run: machine (hostname) id */
	uint32_t *run_pair;    /* by run: (hostname, kernel) id */
	uint32_t *pair_kernel; /* by pair: kernel id */
	const char **kernel;   /* by kernel id (ids in name order) */
	uint32_t nr_machines, nr_kernels, nr_pairs;
	/* scratch for counting one site: stamps and counts */
	uint32_t gen, *stamp_machine, *stamp_pair, *kcount;
};

/* run i's names; a report of one run is named as its JSON names it (the
 * top-level names, as merged), which is what reading it back gives */
static const char *run_host(const struct la_report *r, size_t i)
{
	return r->nr_runs > 1 ? r->runs[i].hostname
	       : r->hostname  ? r->hostname
			      : "";
}

static const char *run_kernel(const struct la_report *r, size_t i)
{
	return r->nr_runs > 1 ? r->runs[i].kernel : r->kernel ? r->kernel : "";
}

/* run indexes compared by hostname (r: the report) */
static int cmp_host(const void *a, const void *b, void *r)
{
	return strcmp(run_host(r, *(const size_t *)a),
		      run_host(r, *(const size_t *)b));
}

static int cmp_kernel(const void *a, const void *b, void *r)
{
	return strcmp(run_kernel(r, *(const size_t *)a),
		      run_kernel(r, *(const size_t *)b));
}

/* run indexes compared by two ids (ids[0][run], then ids[1][run]) */
static int cmp_pair(const void *a, const void *b, void *arg)
{
	uint32_t **ids = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	for (int k = 0; k < 2; k++)
		if (ids[k][x] != ids[k][y])
			return ids[k][x] < ids[k][y] ? -1 : 1;
	return 0;
}

/* ids of the n runs (into id), in cmp's order: runs cmp finds equal share
 * one; the number of ids */
static uint32_t intern(size_t n, size_t *order,
		       int (*cmp)(const void *, const void *, void *),
		       void *arg, uint32_t *id)
{
	uint32_t next = 0;

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp, arg);
	for (size_t i = 0; i < n; i++) {
		if (i && cmp(&order[i - 1], &order[i], arg))
			next++;
		id[order[i]] = next;
	}
	return n ? next + 1 : 0;
}

/* a new stamp for counting one site (stamps cleared when it wraps) */
static void next_gen(struct la_fleet *f)
{
	if (++f->gen)
		return;
	memset(f->stamp_machine, 0, f->nr_machines * sizeof(uint32_t));
	memset(f->stamp_pair, 0, f->nr_pairs * sizeof(uint32_t));
	f->gen = 1;
}

/* each run index of s (none: run 0), below f->nr_runs */
#define FOR_RUNS(f, s, run)                                                    \
	for (size_t _k = 0, _n = (s)->nr_ranges ? (s)->nr_ranges : 1; _k < _n; \
	     _k++)                                                             \
		for (uint64_t run = (s)->nr_ranges ? (s)->ranges[_k].lo : 0;   \
		     run <= ((s)->nr_ranges ? (s)->ranges[_k].hi : 0) &&       \
		     run < (f)->nr_runs;                                       \
		     run++)

/* the machines s was seen on */
static uint32_t site_machines(struct la_fleet *f, const struct la_rsite *s)
{
	uint32_t n = 0;

	next_gen(f);
	FOR_RUNS(f, s, run)
	{
		uint32_t m = f->run_machine[run];

		if (f->stamp_machine[m] != f->gen) {
			f->stamp_machine[m] = f->gen;
			n++;
		}
	}
	return n;
}

void la_fleet_build(struct la_report *view)
{
	struct la_fleet *f = xcalloc(1, sizeof(*f));
	size_t n = view->nr_runs ? view->nr_runs : 1, *order;
	uint32_t *kernel_id;

	f->nr_runs = n;
	order = xrealloc(NULL, n * sizeof(*order));
	kernel_id = xrealloc(NULL, n * sizeof(*kernel_id));
	f->run_machine = xrealloc(NULL, n * sizeof(*f->run_machine));
	f->run_pair = xrealloc(NULL, n * sizeof(*f->run_pair));
	f->nr_machines = intern(n, order, cmp_host, view, f->run_machine);
	f->nr_kernels = intern(n, order, cmp_kernel, view, kernel_id);
	f->nr_pairs =
		intern(n, order, cmp_pair,
		       (uint32_t *[2]){f->run_machine, kernel_id}, f->run_pair);
	f->kernel = xcalloc(f->nr_kernels, sizeof(*f->kernel));
	f->pair_kernel = xcalloc(f->nr_pairs, sizeof(*f->pair_kernel));
	for (size_t i = 0; i < n; i++) {
		f->kernel[kernel_id[i]] = run_kernel(view, i);
		f->pair_kernel[f->run_pair[i]] = kernel_id[i];
	}
	f->stamp_machine = xcalloc(f->nr_machines, sizeof(uint32_t));
	f->stamp_pair = xcalloc(f->nr_pairs, sizeof(uint32_t));
	f->kcount = xcalloc(f->nr_kernels, sizeof(uint32_t));
	free(order);
	free(kernel_id);
	view->fleet = f;
	for (size_t i = 0; i < view->nr_sites; i++)
		view->sites[i].machines = site_machines(f, &view->sites[i]);
}

void la_fleet_free(struct la_report *view)
{
	struct la_fleet *f = view->fleet;

	if (!f)
		return;
	free(f->run_machine);
	free(f->run_pair);
	free(f->pair_kernel);
	free(f->kernel);
	free(f->stamp_machine);
	free(f->stamp_pair);
	free(f->kcount);
	free(f);
	view->fleet = NULL;
}

uint32_t la_fleet_machines(const struct la_report *view)
{
	return view->fleet->nr_machines;
}

uint32_t la_fleet_kernels(const struct la_report *view)
{
	return view->fleet->nr_kernels;
}

bool la_fleet_many(const struct la_report *view)
{
	return view->fleet->nr_machines > 1 || view->fleet->nr_kernels > 1;
}

/* most machines first, then by kernel id (name order) */
static int cmp_kcount(const void *a, const void *b)
{
	const struct la_kcount *x = a, *y = b;

	if (x->machines != y->machines)
		return x->machines > y->machines ? -1 : 1;
	return strcmp(x->kernel, y->kernel);
}

/* f->kcount (zero outside the kernels with a count) into out, sorted */
static size_t take_kcounts(struct la_fleet *f, struct la_kcount *out,
			   size_t max)
{
	struct la_kcount *all;
	size_t n = 0;

	all = xrealloc(NULL, (f->nr_kernels + 1) * sizeof(*all));
	for (uint32_t k = 0; k < f->nr_kernels; k++) {
		if (f->kcount[k])
			all[n++] =
				(struct la_kcount){f->kernel[k], f->kcount[k]};
		f->kcount[k] = 0;
	}
	qsort(all, n, sizeof(*all), cmp_kcount);
	memcpy(out, all, (n < max ? n : max) * sizeof(*out));
	free(all);
	return n;
}

size_t la_fleet_kernels_of(const struct la_report *view,
			   const struct la_rsite *s, struct la_kcount *out,
			   size_t max)
{
	struct la_fleet *f = view->fleet;

	next_gen(f);
	FOR_RUNS(f, s, run)
	{
		uint32_t p = f->run_pair[run];

		if (f->stamp_pair[p] != f->gen) {
			f->stamp_pair[p] = f->gen;
			f->kcount[f->pair_kernel[p]]++;
		}
	}
	return take_kcounts(f, out, max);
}

size_t la_fleet_all_kernels(const struct la_report *view, struct la_kcount *out,
			    size_t max)
{
	struct la_fleet *f = view->fleet;

	for (uint32_t p = 0; p < f->nr_pairs; p++)
		f->kcount[f->pair_kernel[p]]++;
	return take_kcounts(f, out, max);
}
