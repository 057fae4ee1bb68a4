// SPDX-License-Identifier: GPL-2.0
/*
 * report_fold.c - nested violations, one driver bug one violation: a
 * violation made inside another's call (same task, same device) is folded
 * into the outermost call, for the writers (see report.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report_int.h"
#include "xalloc.h"

static bool is_violation(const struct la_rsite *s)
{
	return la_violation(s->state, s->hold);
}

/* The index of s's first frame above its own entry point: a stack starts
 * with the entry point's own frame (the fentry or kprobe frame, and with
 * fexit hooks another above the trampoline) */
static size_t tail_start(const struct la_rsite *s)
{
	char func[128];
	size_t i = 0;

	while (i < s->nr_frames &&
	       !strcmp(la_frame_func(s->frames[i], func, sizeof(func)),
		       s->entry))
		i++;
	return i;
}

/* A violation site, looked up by entry point, state and its callers. */
struct fkey {
	const struct la_rsite *s;
	size_t tail; /* tail_start(s) */
	size_t i;    /* index in the report */
};

/* A probe (entry, state, the callers f[0..m) outermost last) against the
 * key k, in the order of cmp_fkey: lexicographic by frame, a prefix first.
 * prefix: every k whose callers start with f[0..m) compares equal. */
static int cmp_probe(const char *entry, int state, char *const *f, size_t m,
		     bool prefix, const struct fkey *k)
{
	size_t j, n = k->s->nr_frames - k->tail;
	int c = strcmp(entry, k->s->entry);

	if (c)
		return c;
	if (state != k->s->state)
		return state - k->s->state;
	for (j = 0; j < m && j < n; j++) {
		c = strcmp(f[j], k->s->frames[k->tail + j]);
		if (c)
			return c;
	}
	if (m == n || (prefix && n > m))
		return 0;
	return m < n ? -1 : 1;
}

/* The order of the lookup table; ties (sites the same but for their own
 * entry frames or facts) in an order that does not depend on the report's */
static int cmp_fkey(const void *pa, const void *pb)
{
	const struct fkey *a = pa, *b = pb;
	const struct la_rsite *x = a->s, *y = b->s;
	int c = cmp_probe(x->entry, x->state, x->frames + a->tail,
			  x->nr_frames - a->tail, false, b);
	size_t j;

	if (c)
		return c;
	if (a->tail != b->tail)
		return a->tail < b->tail ? -1 : 1;
	for (j = 0; j < a->tail; j++)
		if ((c = strcmp(x->frames[j], y->frames[j])))
			return c;
	if (x->registered != y->registered)
		return x->registered - y->registered;
	if (x->probe_lock != y->probe_lock)
		return x->probe_lock - y->probe_lock;
	if (x->group != y->group)
		return (int)x->group - (int)y->group;
	if ((c = strcmp(x->module, y->module)) ||
	    (c = strcmp(x->function, y->function)) ||
	    (c = strcmp(x->core_path, y->core_path)))
		return c;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Do two sites name a device in common? */
static bool devs_meet(const struct la_rsite *a, const struct la_rsite *b)
{
	for (size_t i = 0; i < a->nr_devs; i++)
		for (size_t j = 0; j < b->nr_devs; j++)
			if (!strcmp(a->devs[i].name, b->devs[j].name) &&
			    !strcmp(a->devs[i].bus, b->devs[j].bus))
				return true;
	return false;
}

/*
 * The violation site that s's call was made inside, SIZE_MAX if none: the
 * outermost watched entry point E (not s's own) among s's callers such that
 * a site at E in the same lock state has exactly the callers s has above
 * that frame (a truncated s: the callers it kept) and a device in common.
 */
static size_t fold_parent(const struct la_rsite *s, const struct fkey *keys,
			  size_t nk)
{
	size_t t = tail_start(s), k, m, lo, hi, mid;
	char func[128];

	for (k = s->nr_frames; k-- > t;) {
		la_frame_func(s->frames[k], func, sizeof(func));
		m = s->nr_frames - k - 1;
		if (!func[0] || !strcmp(func, s->entry) || (s->truncated && !m))
			continue;
		/* the first key not below the probe */
		for (lo = 0, hi = nk; lo < hi;) {
			mid = lo + (hi - lo) / 2;
			if (cmp_probe(func, s->state, s->frames + k + 1, m,
				      s->truncated, &keys[mid]) > 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < nk && !cmp_probe(func, s->state, s->frames + k + 1,
					     m, s->truncated, &keys[lo]);
		     lo++)
			if (devs_meet(s, keys[lo].s))
				return keys[lo].i;
	}
	return SIZE_MAX;
}

/* nested entry points: the most calls first, then by name */
static int cmp_nested(const void *pa, const void *pb)
{
	const struct la_rnested *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->entry, b->entry);
}

/*
 * The report's sites with nested violations folded into the outermost call
 * they were made in (see report.h): a new array of shallow copies, each with
 * its own nested list (fold_free). nested[state]: the calls folded.
 */
static struct la_rsite *fold_sites(const struct la_report *r, size_t *n_out,
				   uint64_t nested[LA_NR_STATES])
{
	size_t n = r->nr_sites, nk = 0, i, j, steps, *parent, *root, *place;
	struct la_rsite *out;
	struct fkey *keys;

	memset(nested, 0, LA_NR_STATES * sizeof(*nested));
	keys = xrealloc(NULL, (n + 1) * sizeof(*keys));
	parent = xrealloc(NULL, (n + 1) * sizeof(*parent));
	root = xrealloc(NULL, (n + 1) * sizeof(*root));
	place = xrealloc(NULL, (n + 1) * sizeof(*place));
	out = xrealloc(NULL, (n + 1) * sizeof(*out));
	for (i = 0; i < n; i++)
		if (is_violation(&r->sites[i]))
			keys[nk++] = (struct fkey){&r->sites[i],
						   tail_start(&r->sites[i]), i};
	if (nk)
		qsort(keys, nk, sizeof(*keys), cmp_fkey);
	for (i = 0; i < n; i++)
		parent[i] = is_violation(&r->sites[i])
				    ? fold_parent(&r->sites[i], keys, nk)
				    : SIZE_MAX;
	/* the outermost call: follow the chain (a in b in c: c). Each step
	 * is to fewer callers, except from a truncated stack: a chain longer
	 * than the sites is a loop, and its sites are left unfolded */
	for (i = 0; i < n; i++) {
		for (j = i, steps = 0; parent[j] != SIZE_MAX && steps <= n;
		     steps++)
			j = parent[j];
		root[i] = steps > n ? i : j;
	}
	for (i = 0, *n_out = 0; i < n; i++) {
		place[i] = SIZE_MAX;
		if (root[i] != i)
			continue;
		out[*n_out] = r->sites[i];
		out[*n_out].nr_nested = 0;
		out[*n_out].nested = NULL;
		place[i] = (*n_out)++;
	}
	for (i = 0; i < n; i++) {
		const struct la_rsite *s = &r->sites[i];
		struct la_rsite *o = &out[place[root[i]]];

		if (root[i] != i) {
			report__add_nested(o, s->entry, s->count);
			nested[s->state] += s->count;
		}
		for (j = 0; j < s->nr_nested; j++) {
			report__add_nested(o, s->nested[j].entry,
					   s->nested[j].count);
			nested[s->state] += s->nested[j].count;
		}
	}
	for (i = 0; i < *n_out; i++)
		if (out[i].nr_nested > 1)
			qsort(out[i].nested, out[i].nr_nested,
			      sizeof(*out[i].nested), cmp_nested);
	free(keys);
	free(parent);
	free(root);
	free(place);
	return out;
}

static void fold_free(struct la_rsite *sites, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sites[i].nr_nested; j++)
			free(sites[i].nested[j].entry);
		free(sites[i].nested);
	}
	free(sites);
}

void report__fold(const struct la_report *r, struct la_report *view,
		  uint64_t nested[LA_NR_STATES])
{
	*view = *r;
	view->sites = fold_sites(r, &view->nr_sites, nested);
	la_fleet_build(view);
	report__sort(view);
}

void report__unfold(struct la_report *view)
{
	la_fleet_free(view);
	fold_free(view->sites, view->nr_sites);
}
