// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - the one report model; text and JSON (json-c) writers; reading
 * JSON reports back and merging them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report.h"

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	return d;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- hash indexes for merging ----------------------------------------- */

/*
 * Open addressing with linear probing, from an item's identity hash to the
 * index of the first item with that identity in r->sites, r->races or
 * r->hooks. It covers the first r->indexed[i] items and catches up with the
 * rest when next used; report__sort() and report__merge_last() reset it
 * when items it covers move. (json-c's lh_table does not fit: its hash and
 * equality callbacks get no context, and the items live in arrays that
 * move as they grow.)
 */
enum { IDX_SITES, IDX_RACES, IDX_HOOKS };

struct la_slot {
	uint64_t hash;
	size_t idx1; /* index + 1; 0: empty */
};

struct la_index {
	size_t cap; /* a power of two, or 0 */
	size_t used;
	struct la_slot *slot;
};

/* is item idx of r the same as key? */
typedef bool (*idx_eq_fn)(const struct la_report *r, size_t idx,
			  const void *key);

/* FNV-1a over the bytes */
static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_SEED 0xcbf29ce484222325ULL

/* with its terminating NUL: "ab","c" and "a","bc" hash apart */
static uint64_t hash_str(uint64_t h, const char *s)
{
	return hash_bytes(h, s, strlen(s) + 1);
}

static uint64_t hash_u64(uint64_t h, uint64_t v)
{
	return hash_bytes(h, &v, sizeof(v));
}

/* first probe: FNV's low bits are weak, mix the high ones in */
static size_t slot_of(const struct la_index *x, uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h & (x->cap - 1);
}

static size_t index_find(const struct la_index *x, uint64_t h, idx_eq_fn eq,
			 const struct la_report *r, const void *key)
{
	size_t i;

	if (!x->cap)
		return SIZE_MAX;
	for (i = slot_of(x, h); x->slot[i].idx1; i = (i + 1) & (x->cap - 1))
		if (x->slot[i].hash == h && eq(r, x->slot[i].idx1 - 1, key))
			return x->slot[i].idx1 - 1;
	return SIZE_MAX;
}

static void slot_put(struct la_index *x, uint64_t h, size_t idx1)
{
	size_t i;

	for (i = slot_of(x, h); x->slot[i].idx1; i = (i + 1) & (x->cap - 1))
		;
	x->slot[i].hash = h;
	x->slot[i].idx1 = idx1;
	x->used++;
}

/* Add item idx, whose identity is not in x yet; at most half full. */
static void index_put(struct la_index *x, uint64_t h, size_t idx)
{
	if ((x->used + 1) * 2 > x->cap) {
		struct la_index old = *x;
		size_t i;

		x->cap = old.cap ? old.cap * 2 : 64;
		x->used = 0;
		x->slot = calloc(x->cap, sizeof(*x->slot));
		if (!x->slot) {
			fprintf(stderr, "lockaudit: out of memory\n");
			exit(1);
		}
		for (i = 0; i < old.cap; i++)
			if (old.slot[i].idx1)
				slot_put(x, old.slot[i].hash, old.slot[i].idx1);
		free(old.slot);
	}
	slot_put(x, h, idx + 1);
}

/*
 * Index number `which` of r, brought up to date with the first n items:
 * they are added in order and only when their identity is new, so each
 * identity maps to its first item, the one a linear search would find.
 */
static struct la_index *index_sync(struct la_report *r, int which, size_t n,
				   const void *items, size_t size,
				   uint64_t (*hash)(const void *item),
				   idx_eq_fn eq)
{
	struct la_index *x = r->index[which];
	size_t i;

	if (!x) {
		x = calloc(1, sizeof(*x));
		if (!x) {
			fprintf(stderr, "lockaudit: out of memory\n");
			exit(1);
		}
		r->index[which] = x;
	}
	if (r->indexed[which] > n || !r->indexed[which]) {
		/* the items it covered moved or went: start over */
		if (x->used)
			memset(x->slot, 0, x->cap * sizeof(*x->slot));
		x->used = 0;
		r->indexed[which] = 0;
	}
	for (i = r->indexed[which]; i < n; i++) {
		const void *item = (const char *)items + i * size;
		uint64_t h = hash(item);

		if (index_find(x, h, eq, r, item) == SIZE_MAX)
			index_put(x, h, i);
	}
	r->indexed[which] = n;
	return x;
}

static void index_free(struct la_index *x)
{
	if (x)
		free(x->slot);
	free(x);
}

/* Capacity for n + 1 items of size, doubling: no realloc per item. */
static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	if (*cap <= n)
		*cap = n + 1;
	if (*cap > SIZE_MAX / size) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	return xrealloc(p, *cap * size);
}

const char *la_state_name(int state)
{
	switch (state) {
	case LA_HELD:
		return "held";
	case LA_UNLOCKED:
		return "unlocked";
	case LA_HELD_OTHER:
		return "held_by_other";
	default:
		return "?";
	}
}

const char *la_state_label(int state)
{
	switch (state) {
	case LA_HELD:
		return "held";
	case LA_UNLOCKED:
		return "UNLOCKED";
	case LA_HELD_OTHER:
		return "HELD BY OTHER";
	default:
		return "?";
	}
}

static int state_from_name(const char *s)
{
	int i;

	for (i = 0; i < LA_NR_STATES; i++)
		if (!strcmp(s, la_state_name(i)))
			return i;
	return -1;
}

const struct la_drop_def la_drops[LA_NR_DROPS] = {
	{"sites", "calls not aggregated (site map full)",
	 "counted per entry point (COVERAGE) but in no site above",
	 offsetof(struct la_report, dropped_sites)},
	{"events", "live events lost (ring buffer full)",
	 "missing from the events file and the live view; the counts above "
	 "are complete",
	 offsetof(struct la_report, dropped_events)},
	{"stack_errors", "stacks unreadable",
	 "those calls are in sites without a stack (UNCLASSIFIED)",
	 offsetof(struct la_report, stack_errors)},
	{"concurrent", "concurrent findings not kept (map full)",
	 "CONCURRENT above is incomplete",
	 offsetof(struct la_report, dropped_races)},
	{"tracking", "calls not tracked for concurrency (map full)",
	 "CONCURRENT above can miss races these calls were part of",
	 offsetof(struct la_report, dropped_tracking)},
	{"modules", "module load/unload records lost (map full)",
	 "frames of modules unloaded before the report may stay addresses",
	 offsetof(struct la_report, dropped_modules)},
	{"names", "module frames not named by the kernel (map full)",
	 "named from kallsyms instead: by module and offset if the module "
	 "is gone",
	 offsetof(struct la_report, dropped_names)},
};

void report__init(struct la_report *r)
{
	memset(r, 0, sizeof(*r));
}

static void site_free(struct la_rsite *s)
{
	size_t i;

	free(s->entry);
	free(s->holder_comm);
	for (i = 0; i < s->nr_devs; i++) {
		free(s->devs[i].name);
		free(s->devs[i].bus);
		free(s->devs[i].driver);
	}
	for (i = 0; i < s->nr_frames; i++)
		free(s->frames[i]);
	free(s->frames);
	free(s->core_path);
	free(s->module);
	free(s->function);
	free(s->caller);
	for (i = 0; i < s->nr_nested; i++)
		free(s->nested[i].entry);
	free(s->nested);
}

static void race_free(struct la_rrace *x)
{
	for (int t = 0; t < 2; t++) {
		free(x->task[t].entry);
		free(x->task[t].comm);
		for (size_t i = 0; i < x->task[t].nr_frames; i++)
			free(x->task[t].frames[i]);
		free(x->task[t].frames);
	}
	free(x->dev.name);
	free(x->dev.bus);
	free(x->dev.driver);
}

/* race_hash() hashes what this compares (or less): change them together */
static bool same_race(const struct la_rrace *a, const struct la_rrace *b)
{
	for (int t = 0; t < 2; t++) {
		if (strcmp(a->task[t].entry, b->task[t].entry) ||
		    a->task[t].nr_frames != b->task[t].nr_frames)
			return false;
		for (size_t i = 0; i < a->task[t].nr_frames; i++)
			if (strcmp(a->task[t].frames[i], b->task[t].frames[i]))
				return false;
	}
	return true;
}

/* what same_race() compares */
static uint64_t race_hash(const void *item)
{
	const struct la_rrace *x = item;
	uint64_t h = HASH_SEED;

	for (int t = 0; t < 2; t++) {
		h = hash_str(h, x->task[t].entry);
		h = hash_u64(h, x->task[t].nr_frames);
		for (size_t i = 0; i < x->task[t].nr_frames; i++)
			h = hash_str(h, x->task[t].frames[i]);
	}
	return h;
}

static bool race_eq(const struct la_report *r, size_t idx, const void *key)
{
	return same_race(&r->races[idx], key);
}

struct la_rrace *report__add_race(struct la_report *r,
				  const struct la_rrace *in)
{
	struct la_index *idx =
		index_sync(r, IDX_RACES, r->nr_races, r->races,
			   sizeof(*r->races), race_hash, race_eq);
	uint64_t h = race_hash(in);
	struct la_rrace *x;
	size_t i = index_find(idx, h, race_eq, r, in);

	if (i != SIZE_MAX) {
		x = &r->races[i];
		x->count += in->count;
		if (in->first_s < x->first_s)
			x->first_s = in->first_s;
		if (in->last_s > x->last_s)
			x->last_s = in->last_s;
		return x;
	}
	r->races =
		grow(r->races, &r->cap_races, r->nr_races, sizeof(*r->races));
	index_put(idx, h, r->nr_races);
	x = &r->races[r->nr_races++];
	r->indexed[IDX_RACES] = r->nr_races;
	memset(x, 0, sizeof(*x));
	x->count = in->count;
	x->first_s = in->first_s;
	x->last_s = in->last_s;
	x->dev.name = xstrdup(in->dev.name);
	x->dev.bus = xstrdup(in->dev.bus);
	x->dev.driver = xstrdup(in->dev.driver);
	x->dev.registered = in->dev.registered;
	for (int t = 0; t < 2; t++) {
		x->task[t].entry = xstrdup(in->task[t].entry);
		x->task[t].pid = in->task[t].pid;
		x->task[t].comm = xstrdup(in->task[t].comm);
		x->task[t].nr_frames = in->task[t].nr_frames;
		x->task[t].frames = xrealloc(NULL, (in->task[t].nr_frames + 1) *
							   sizeof(char *));
		for (i = 0; i < in->task[t].nr_frames; i++)
			x->task[t].frames[i] = xstrdup(in->task[t].frames[i]);
	}
	return x;
}

void report__free(struct la_report *r)
{
	size_t i;

	free(r->kernel);
	free(r->arch);
	free(r->hostname);
	free(r->started);
	for (i = 0; i < r->nr_hooks; i++) {
		free(r->hooks[i].function);
		free(r->hooks[i].attach);
		free(r->hooks[i].reason);
	}
	free(r->hooks);
	for (i = 0; i < r->nr_sites; i++)
		site_free(&r->sites[i]);
	free(r->sites);
	for (i = 0; i < r->nr_races; i++)
		race_free(&r->races[i]);
	free(r->races);
	for (i = 0; i < r->nr_runs; i++) {
		free(r->runs[i].hostname);
		free(r->runs[i].kernel);
		free(r->runs[i].started);
	}
	free(r->runs);
	for (i = 0; i < sizeof(r->index) / sizeof(r->index[0]); i++)
		index_free(r->index[i]);
	report__init(r);
}

static struct la_rsite *new_site(struct la_report *r)
{
	struct la_rsite *s;

	if (r->nr_sites == r->cap_sites) {
		r->cap_sites = r->cap_sites ? r->cap_sites * 2 : 64;
		r->sites = xrealloc(r->sites, r->cap_sites * sizeof(*r->sites));
	}
	s = &r->sites[r->nr_sites++];
	memset(s, 0, sizeof(*s));
	return s;
}

struct la_rsite *report__add_site(struct la_report *r, const char *entry,
				  int state, char *const *frames, size_t n,
				  bool truncated, bool registered,
				  int probe_lock)
{
	struct la_rsite *s = new_site(r);
	struct la_attr a;
	char buf[128];
	size_t i;

	la_attribute(entry, frames, n, &a);
	s->entry = xstrdup(entry);
	s->state = state;
	s->truncated = truncated;
	s->holder_comm = xstrdup("");
	/* keep the kernel frames from the first one on: BPF program and
	 * trampoline frames are noise wherever they are */
	s->frames = xrealloc(NULL, (n + 1) * sizeof(char *));
	s->nr_frames = 0;
	for (i = (size_t)a.first; i < n; i++)
		if (!la_frame_is_bpf(frames[i]))
			s->frames[s->nr_frames++] = xstrdup(frames[i]);
	s->group = a.group;
	s->registered = registered;
	s->probe_lock = probe_lock;
	s->severity = la_severity(a.group, state, registered, probe_lock);
	s->core_path = xstrdup(a.core_path);
	if (a.culprit >= 0) {
		s->caller = xstrdup(frames[a.culprit]);
		s->function = xstrdup(
			la_frame_func(frames[a.culprit], buf, sizeof(buf)));
		s->module = xstrdup(
			la_frame_module(frames[a.culprit], buf, sizeof(buf)));
	} else {
		s->caller = xstrdup("");
		s->function = xstrdup("");
		s->module = xstrdup("");
	}
	return s;
}

void report__add_dev(struct la_rsite *s, const char *name, const char *bus,
		     const char *driver, bool registered)
{
	struct la_rdev *d;
	size_t i;

	for (i = 0; i < s->nr_devs; i++) {
		d = &s->devs[i];
		if (!strcmp(d->name, name) && !strcmp(d->bus, bus)) {
			/* a later bind or registration is worth showing */
			if (!d->driver[0] && driver[0]) {
				free(d->driver);
				d->driver = xstrdup(driver);
			}
			d->registered |= registered;
			return;
		}
	}
	if (s->nr_devs == LA_REPORT_MAX_DEVS)
		return;
	d = &s->devs[s->nr_devs++];
	d->name = xstrdup(name);
	d->bus = xstrdup(bus);
	d->driver = xstrdup(driver);
	d->registered = registered;
}

/* Count n calls at the entry point entry inside s's calls (copied). */
static void nested_add(struct la_rsite *s, const char *entry, uint64_t n)
{
	size_t i;

	for (i = 0; i < s->nr_nested; i++) {
		if (!strcmp(s->nested[i].entry, entry)) {
			s->nested[i].count += n;
			return;
		}
	}
	s->nested =
		xrealloc(s->nested, (s->nr_nested + 1) * sizeof(*s->nested));
	s->nested[s->nr_nested].entry = xstrdup(entry);
	s->nested[s->nr_nested++].count = n;
}

static uint64_t hook_hash(const void *item)
{
	return hash_str(HASH_SEED, ((const struct la_rhook *)item)->function);
}

/* key: a struct la_rhook, only its function compared */
static bool hook_eq(const struct la_report *r, size_t idx, const void *key)
{
	return !strcmp(r->hooks[idx].function,
		       ((const struct la_rhook *)key)->function);
}

struct la_rhook *report__hook(struct la_report *r, const char *function)
{
	struct la_index *idx =
		index_sync(r, IDX_HOOKS, r->nr_hooks, r->hooks,
			   sizeof(*r->hooks), hook_hash, hook_eq);
	struct la_rhook key = {.function = (char *)function}, *h;
	uint64_t hh = hook_hash(&key);
	size_t i = index_find(idx, hh, hook_eq, r, &key);

	if (i != SIZE_MAX)
		return &r->hooks[i];
	r->hooks =
		grow(r->hooks, &r->cap_hooks, r->nr_hooks, sizeof(*r->hooks));
	index_put(idx, hh, r->nr_hooks);
	h = &r->hooks[r->nr_hooks++];
	r->indexed[IDX_HOOKS] = r->nr_hooks;
	memset(h, 0, sizeof(*h));
	h->function = xstrdup(function);
	h->attach = xstrdup("absent");
	h->reason = xstrdup("");
	return h;
}

uint64_t report__calls(const struct la_report *r, int state)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < r->nr_hooks; i++)
		sum += r->hooks[i].calls[state];
	return sum;
}

/* drivers, core, unclassified, then held; within a group by count */
static int rank(const struct la_rsite *s)
{
	if (s->state == LA_HELD)
		return 3;
	return s->group == LA_GROUP_DRIVER ? 0
	       : s->group == LA_GROUP_CORE ? 1
					   : 2;
}

/* a site's sort key, computed once */
struct sort_key {
	const struct la_rsite *s;
	size_t idx;		 /* in the unsorted array: ties keep it */
	size_t first;		 /* the first driver site of its module */
	enum la_severity modsev; /* the worst among its module's drivers */
	int rank;
};

static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *kx = a, *ky = b;
	const struct la_rsite *x = kx->s, *y = ky->s;
	int c;

	if (kx->rank != ky->rank)
		return kx->rank - ky->rank;
	/* drivers: the module with the worst site first */
	if (kx->rank == 0 && kx->modsev != ky->modsev)
		return (int)ky->modsev - (int)kx->modsev;
	c = strcmp(x->module, y->module);
	if (c)
		return c;
	c = strcmp(x->core_path, y->core_path);
	if (c)
		return c;
	if (x->severity != y->severity)
		return (int)y->severity - (int)x->severity;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = strcmp(x->entry, y->entry);
	if (c)
		return c;
	c = strcmp(x->function, y->function);
	if (c)
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
		k[i].rank = rank(s);
		k[i].modsev = s->severity;
		k[i].first = i;
		if (k[i].rank == 0) {
			uint64_t h = hash_str(HASH_SEED, s->module);
			size_t f = index_find(&modules, h, module_eq, r,
					      s->module);

			if (f == SIZE_MAX) {
				index_put(&modules, h, i);
			} else {
				k[i].first = f;
				if (s->severity > k[f].modsev)
					k[f].modsev = s->severity;
			}
		}
	}
	for (i = 0; i < n; i++)
		k[i].modsev = k[k[i].first].modsev;
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

/* ---- nested violations: one driver bug is one violation ------------ */

static bool is_violation(const struct la_rsite *s)
{
	return s->state == LA_UNLOCKED || s->state == LA_HELD_OTHER;
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
			nested_add(o, s->entry, s->count);
			nested[s->state] += s->count;
		}
		for (j = 0; j < s->nr_nested; j++) {
			nested_add(o, s->nested[j].entry, s->nested[j].count);
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

/* ---- names from files and the kernel: UTF-8 and escaping ------------ */

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 if s does not start one. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static bool utf8_valid(const char *s)
{
	size_t n;

	for (; *s; s += n)
		if (!(n = utf8_len((const unsigned char *)s)))
			return false;
	return true;
}

/* A byte the terminal must not get raw: C0 controls, DEL, a byte outside
 * well-formed UTF-8, and (as their two bytes) the C1 controls U+0080-009F;
 * a backslash is escaped too, so that an escape is never ambiguous. */
static bool text_unsafe(const unsigned char *s, size_t *n)
{
	*n = utf8_len(s);
	return !*n || *s < 0x20 || *s == 0x7f || *s == '\\' ||
	       (*s == 0xc2 && s[1] < 0xa0);
}

/* Names escaped for the text report; freed by the writer at its end. */
struct tpool {
	size_t n;
	char **v;
};

/* s itself if it is safe on a terminal, else an escaped copy: "\\" for a
 * backslash, \xNN for each other unsafe byte */
static const char *tesc(struct tpool *p, const char *s)
{
	const unsigned char *u;
	size_t n, len = 0;
	char *d, *o;
	bool clean = true;

	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		if (text_unsafe(u, &n)) {
			clean = false;
			len += 4 * (n ? n : 1);
		} else {
			len += n;
		}
	}
	if (clean)
		return s;
	d = o = xrealloc(NULL, len + 1);
	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		if (!text_unsafe(u, &n)) {
			memcpy(o, u, n);
			o += n;
		} else if (*u == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else {
			for (size_t i = 0; i < (n ? n : 1); i++)
				o += sprintf(o, "\\x%02x", u[i]);
		}
	}
	*o = 0;
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n++] = d;
	return d;
}

static void tpool_free(struct tpool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

const char *report__text_esc(char *buf, size_t len, const char *s)
{
	struct tpool tp = {0};

	snprintf(buf, len, "%s", tesc(&tp, s ? s : ""));
	tpool_free(&tp);
	return buf;
}

/* ---- text ---------------------------------------------------------- */

static void text_site(const struct la_rsite *s, FILE *out, bool stack,
		      struct tpool *tp)
{
	size_t i;

	fprintf(out, "    %-6s %-24s %-14s %10" PRIu64 " call%s",
		s->state == LA_HELD ? "" : la_severity_name(s->severity),
		tesc(tp, s->entry), la_state_label(s->state), s->count,
		s->count == 1 ? "" : "s");
	if (s->group == LA_GROUP_DRIVER)
		fprintf(out, "  from %s", tesc(tp, s->caller));
	fputc('\n', out);
	if (s->state == LA_HELD_OTHER)
		fprintf(out, "      lock held by pid %d (%s)\n", s->holder_pid,
			s->holder_comm[0] ? tesc(tp, s->holder_comm) : "?");
	if (s->probe_lock == 1)
		fprintf(out, "      caller held iommu_probe_device_lock\n");
	if (s->by_caller)
		fprintf(out,
			"      %" PRIu64 " of them counted at the caller alone "
			"(their stacks above it not taken)\n",
			s->by_caller);
	for (i = 0; i < s->nr_nested; i++)
		fprintf(out, "%s %s %" PRIu64 "%s",
			i ? "," : "      inside:", tesc(tp, s->nested[i].entry),
			s->nested[i].count, i + 1 == s->nr_nested ? "\n" : "");
	for (i = 0; i < s->nr_devs; i++)
		fprintf(out, "      device %s (bus %s, driver %s%s)\n",
			tesc(tp, s->devs[i].name),
			s->devs[i].bus[0] ? tesc(tp, s->devs[i].bus) : "none",
			s->devs[i].driver[0] ? tesc(tp, s->devs[i].driver)
					     : "none",
			s->devs[i].registered ? "" : ", not registered");
	if (!stack)
		return;
	for (i = 0; i < s->nr_frames; i++)
		fprintf(out, "        %s\n", tesc(tp, s->frames[i]));
	if (s->truncated)
		fprintf(out, "        ... (stack truncated)\n");
}

static uint64_t group_sum(const struct la_report *r, size_t from, size_t to)
{
	uint64_t sum = 0;

	for (; from < to; from++)
		sum += r->sites[from].count;
	return sum;
}

/* A core-path call while another task held the device's lock. */
static bool core_racing(const struct la_rsite *s)
{
	return s->group == LA_GROUP_CORE && s->state == LA_HELD_OTHER;
}

int report__write_text(const struct la_report *r, FILE *out)
{
	uint64_t held = report__calls(r, LA_HELD);
	uint64_t unl = report__calls(r, LA_UNLOCKED);
	uint64_t oth = report__calls(r, LA_HELD_OTHER);
	uint64_t total = held + unl + oth;
	struct la_report sorted = *r;
	uint64_t nested[LA_NR_STATES];
	struct tpool tp = {0};
	size_t i, j, nfentry = 0, nkprobe = 0;
	int printed;

	for (i = 0; i < r->nr_hooks; i++) {
		nfentry += !strcmp(r->hooks[i].attach, "fentry");
		nkprobe += !strcmp(r->hooks[i].attach, "kprobe");
	}
	sorted.sites = fold_sites(r, &sorted.nr_sites, nested);
	report__sort(&sorted);
	/* violations: the outermost calls */
	unl = unl > nested[LA_UNLOCKED] ? unl - nested[LA_UNLOCKED] : 0;
	oth = oth > nested[LA_HELD_OTHER] ? oth - nested[LA_HELD_OTHER] : 0;

	fprintf(out, "lockaudit: device_lock at IOMMU configuration\n");
	fprintf(out, "kernel %s (%s), %s, %.1f s%s\n", tesc(&tp, r->kernel),
		tesc(&tp, r->arch), tesc(&tp, r->hostname), r->duration_s,
		r->sources > 1 ? ", merged reports" : "");
	fprintf(out,
		"%zu hooks (%zu fentry, %zu kprobe), %" PRIu64
		" calls audited: %" PRIu64 " held, %" PRIu64
		" unlocked, %" PRIu64 " held by another task",
		nfentry + nkprobe, nfentry, nkprobe, total, held, unl, oth);
	if (nested[LA_UNLOCKED] + nested[LA_HELD_OTHER])
		fprintf(out, ", %" PRIu64 " nested inside those",
			nested[LA_UNLOCKED] + nested[LA_HELD_OTHER]);
	fputc('\n', out);
	/* every drop, with what it means for the counts */
	for (i = 0; i < LA_NR_DROPS; i++)
		if (LA_DROP_C(r, i))
			fprintf(out, "DROPPED: %" PRIu64 " %s: %s\n",
				LA_DROP_C(r, i), la_drops[i].what,
				la_drops[i].meaning);

	if (r->nr_races) {
		fprintf(out, "\nCONCURRENT configuration of one device (the "
			     "race the missing lock permits)\n");
		for (i = 0; i < r->nr_races; i++) {
			const struct la_rrace *x = &r->races[i];

			fprintf(out,
				"  %" PRIu64 " time%s on %s (bus %s): %s[%d] "
				"in %s while %s[%d] entered %s\n",
				x->count, x->count == 1 ? "" : "s",
				tesc(&tp, x->dev.name),
				x->dev.bus[0] ? tesc(&tp, x->dev.bus) : "none",
				tesc(&tp, x->task[0].comm), x->task[0].pid,
				tesc(&tp, x->task[0].entry),
				tesc(&tp, x->task[1].comm), x->task[1].pid,
				tesc(&tp, x->task[1].entry));
			for (int t = 0; t < 2; t++) {
				fprintf(out, "      %s:\n",
					t ? "entering" : "inside");
				for (j = 0; j < x->task[t].nr_frames; j++)
					fprintf(out, "        %s\n",
						tesc(&tp,
						     x->task[t].frames[j]));
			}
		}
	}

	/* the core configuring a device another task holds: high, first */
	for (i = 0, printed = 0; i < sorted.nr_sites; i++) {
		const struct la_rsite *s = &sorted.sites[i];

		if (!core_racing(s))
			continue;
		if (!printed++)
			fprintf(out,
				"\nIOMMU CORE racing a lock holder (the core "
				"configures a device while another task "
				"holds its lock)\n");
		fprintf(out,
			"  %s: %" PRIu64 " call%s while pid %d (%s) held "
			"the device lock\n",
			tesc(&tp, s->core_path), s->count,
			s->count == 1 ? "" : "s", s->holder_pid,
			s->holder_comm[0] ? tesc(&tp, s->holder_comm) : "?");
		text_site(s, out, true, &tp);
	}

	/* drivers: one block per module */
	fprintf(out, "\nDRIVERS calling without the device lock\n");
	printed = 0;
	for (i = 0; i < sorted.nr_sites; i = j) {
		const struct la_rsite *s = &sorted.sites[i];

		for (j = i + 1;
		     j < sorted.nr_sites && rank(&sorted.sites[j]) == rank(s) &&
		     !strcmp(sorted.sites[j].module, s->module);
		     j++)
			;
		if (rank(s) != 0)
			continue;
		printed = 1;
		fprintf(out, "  %s: %" PRIu64 " violation%s at %zu site%s\n",
			tesc(&tp, s->module), group_sum(&sorted, i, j),
			group_sum(&sorted, i, j) == 1 ? "" : "s", j - i,
			j - i == 1 ? "" : "s");
		for (; i < j; i++)
			text_site(&sorted.sites[i], out, true, &tp);
	}
	if (!printed)
		fprintf(out, "  none\n");

	fprintf(out,
		"\nIOMMU CORE paths (unlocked by design, not driver bugs)\n");
	printed = 0;
	for (i = 0; i < sorted.nr_sites; i = j) {
		const struct la_rsite *s = &sorted.sites[i];

		for (j = i + 1;
		     j < sorted.nr_sites && rank(&sorted.sites[j]) == rank(s) &&
		     !strcmp(sorted.sites[j].core_path, s->core_path);
		     j++)
			;
		uint64_t sum = 0;
		size_t k, n = 0;

		if (rank(s) != 1)
			continue;
		for (k = i; k < j; k++) {
			if (core_racing(&sorted.sites[k]))
				continue; /* listed above */
			sum += sorted.sites[k].count;
			n++;
		}
		if (!n)
			continue;
		printed = 1;
		fprintf(out, "  %s: %" PRIu64 " call%s\n",
			tesc(&tp, s->core_path), sum, sum == 1 ? "" : "s");
		for (; i < j; i++)
			if (!core_racing(&sorted.sites[i]))
				text_site(&sorted.sites[i], out, false, &tp);
	}
	if (!printed)
		fprintf(out, "  none\n");

	for (i = 0, printed = 0; i < sorted.nr_sites; i++) {
		if (rank(&sorted.sites[i]) != 2)
			continue;
		if (!printed++)
			fprintf(out, "\nUNCLASSIFIED (stack too short to tell "
				     "who called)\n");
		text_site(&sorted.sites[i], out, true, &tp);
	}

	fprintf(out, "\nCOVERAGE\n  %-24s %-7s %10s %10s %10s %10s\n",
		"entry point", "attach", "calls", "held", "unlocked", "other");
	for (i = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		if (!strcmp(h->attach, "absent"))
			continue;
		fprintf(out,
			"  %-24s %-7s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %10" PRIu64 "\n",
			tesc(&tp, h->function), tesc(&tp, h->attach),
			h->calls[0] + h->calls[1] + h->calls[2], h->calls[0],
			h->calls[1], h->calls[2]);
	}
	for (i = 0, printed = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		if (strcmp(h->attach, "absent"))
			continue;
		if (!printed++)
			fprintf(out, "  not watched here:");
		fprintf(out, "%s %s", printed > 1 ? "," : "",
			tesc(&tp, h->function));
	}
	if (printed)
		fputc('\n', out);
	fold_free(sorted.sites, sorted.nr_sites);
	tpool_free(&tp);
	/* a full disk shows only once the buffer goes out */
	if (fflush(out))
		return -errno;
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------- */

/* Only valid UTF-8 is written: each byte outside well-formed UTF-8 (a task
 * comm from the kernel can hold any bytes) becomes U+FFFD. */
static json_object *jstr(const char *s)
{
	const unsigned char *u;
	json_object *o;
	char *d, *p;
	size_t n;

	if (!s)
		s = "";
	if (utf8_valid(s))
		return json_object_new_string(s);
	d = p = xrealloc(NULL, 3 * strlen(s) + 1);
	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		n = utf8_len(u);
		if (n) {
			memcpy(p, u, n);
			p += n;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
		}
	}
	*p = 0;
	o = json_object_new_string(d);
	free(d);
	return o;
}

json_object *report__json_str(const char *s)
{
	return jstr(s);
}

/* seconds with microseconds, not 17 significant digits */
static json_object *jsec(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", v);
	return json_object_new_double_s(v, buf);
}

static json_object *jcount(uint64_t v)
{
	return json_object_new_uint64(v);
}

static const char *probe_lock_name(int v)
{
	return v == 1 ? "held" : v == 0 ? "not_held" : "absent";
}

static json_object *json_dev(const struct la_rdev *dv)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "name", jstr(dv->name));
	json_object_object_add(d, "bus", jstr(dv->bus));
	json_object_object_add(d, "driver",
			       dv->driver[0] ? jstr(dv->driver) : NULL);
	json_object_object_add(d, "registered",
			       json_object_new_boolean(dv->registered));
	return d;
}

static json_object *json_site(const struct la_rsite *s)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "entry_point", jstr(s->entry));
	json_object_object_add(o, "lock_state", jstr(la_state_name(s->state)));
	json_object_object_add(o, "count", jcount(s->count));
	json_object_object_add(o, "counted_by_caller", jcount(s->by_caller));
	json_object_object_add(o, "group", jstr(la_group_name(s->group)));
	json_object_object_add(o, "severity",
			       jstr(la_severity_name(s->severity)));
	json_object_object_add(o, "registered",
			       json_object_new_boolean(s->registered));
	json_object_object_add(o, "iommu_probe_device_lock",
			       jstr(probe_lock_name(s->probe_lock)));
	if (s->group == LA_GROUP_CORE)
		json_object_object_add(o, "core_path", jstr(s->core_path));
	if (s->group == LA_GROUP_DRIVER) {
		json_object_object_add(o, "module", jstr(s->module));
		json_object_object_add(o, "function", jstr(s->function));
		json_object_object_add(o, "caller", jstr(s->caller));
	}
	json_object_object_add(o, "first_seen_s", jsec(s->first_s));
	json_object_object_add(o, "last_seen_s", jsec(s->last_s));
	if (s->state == LA_HELD_OTHER) {
		a = json_object_new_object();
		json_object_object_add(a, "pid",
				       json_object_new_int(s->holder_pid));
		json_object_object_add(a, "comm", jstr(s->holder_comm));
		json_object_object_add(o, "holder", a);
	}
	a = json_object_new_array();
	for (i = 0; i < s->nr_devs; i++)
		json_object_array_add(a, json_dev(&s->devs[i]));
	json_object_object_add(o, "devices", a);
	a = json_object_new_array();
	for (i = 0; i < s->nr_frames; i++)
		json_object_array_add(a, jstr(s->frames[i]));
	json_object_object_add(o, "stack", a);
	json_object_object_add(o, "stack_truncated",
			       json_object_new_boolean(s->truncated));
	if (s->nr_nested) {
		a = json_object_new_array();
		for (i = 0; i < s->nr_nested; i++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "entry_point",
					       jstr(s->nested[i].entry));
			json_object_object_add(x, "count",
					       jcount(s->nested[i].count));
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "nested", a);
	}
	return o;
}

/*
 * The JSON report is written as it is made: the top level and the big arrays
 * piece by piece, each site, race, hook or small value as a json-c object of
 * its own, serialized and freed before the next. The bytes are json-c's own
 * for the whole tree (0.16): plain, no spaces; pretty, each member or element
 * on a line of its own indented two spaces a level, "key":value, and a
 * container's close on a line of its own, even an empty one ("[\n  ]").
 * An item's pretty form standalone is its form nested, less the indentation
 * of its level after each newline (strings hold no raw newline: json-c
 * escapes it).
 */
struct jw {
	FILE *out;
	int flags;
	bool pretty;
	int level;
	bool first; /* no member or element yet in the open container */
	int err;
};

/* every byte goes through here; after an error nothing more is written */
static void jw_write(struct jw *w, const char *s, size_t n)
{
	if (w->err || !n)
		return;
	errno = 0;
	if (fwrite(s, 1, n, w->out) != n)
		w->err = errno ? -errno : -EIO;
}

static void jw_puts(struct jw *w, const char *s)
{
	jw_write(w, s, strlen(s));
}

/* pretty: a new line at the current level */
static void jw_indent(struct jw *w)
{
	static const char pad[] = "\n                                ";
	const size_t most = sizeof(pad) - 2; /* spaces in pad */
	size_t n, k;

	if (!w->pretty)
		return;
	n = 2 * (size_t)w->level;
	k = n < most ? n : most;
	jw_write(w, pad, k + 1);
	for (n -= k; n; n -= k) {
		k = n < most ? n : most;
		jw_write(w, pad + 1, k);
	}
}

static void jw_open(struct jw *w, const char *c)
{
	jw_puts(w, c);
	w->level++;
	w->first = true;
}

static void jw_close(struct jw *w, const char *c)
{
	w->level--;
	jw_indent(w);
	jw_puts(w, c);
	w->first = false;
}

/* before an element of the open array */
static void jw_elem(struct jw *w)
{
	if (!w->first)
		jw_puts(w, ",");
	w->first = false;
	jw_indent(w);
}

/* before a member's value: the key is a name of ours, nothing to escape */
static void jw_key(struct jw *w, const char *key)
{
	jw_elem(w);
	jw_puts(w, "\"");
	jw_puts(w, key);
	jw_puts(w, "\":");
}

/* write v (and drop it) at the current level */
static void jw_value(struct jw *w, json_object *v)
{
	const char *s = json_object_to_json_string_ext(v, w->flags), *nl;

	if (!s) {
		if (!w->err)
			w->err = -ENOMEM;
	} else {
		for (; w->pretty && (nl = strchr(s, '\n')); s = nl + 1) {
			jw_write(w, s, (size_t)(nl - s));
			jw_indent(w);
		}
		jw_puts(w, s);
	}
	json_object_put(v);
}
static void jw_member(struct jw *w, const char *key, json_object *v)
{
	jw_key(w, key);
	jw_value(w, v);
}

/* group sites into [{key: name, violations: n, sites: [...]}] */
static void json_groups(struct jw *w, const struct la_report *r, int want_rank,
			const char *key)
{
	size_t i, j;

	jw_open(w, "[");
	for (i = 0; i < r->nr_sites; i = j) {
		const struct la_rsite *s = &r->sites[i];
		const char *name = want_rank == 0 ? s->module : s->core_path;

		for (j = i + 1;
		     j < r->nr_sites && rank(&r->sites[j]) == rank(s) &&
		     !strcmp(want_rank == 0 ? r->sites[j].module
					    : r->sites[j].core_path,
			     name);
		     j++)
			;
		if (rank(s) != want_rank)
			continue;
		jw_elem(w);
		jw_open(w, "{");
		jw_member(w, key, jstr(name));
		jw_member(w, "violations", jcount(group_sum(r, i, j)));
		jw_key(w, "sites");
		jw_open(w, "[");
		for (size_t k = i; k < j; k++) {
			jw_elem(w);
			jw_value(w, json_site(&r->sites[k]));
		}
		jw_close(w, "]");
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

static void json_sites(struct jw *w, const struct la_report *r, int want_rank)
{
	jw_open(w, "[");
	for (size_t i = 0; i < r->nr_sites; i++)
		if (rank(&r->sites[i]) == want_rank) {
			jw_elem(w);
			jw_value(w, json_site(&r->sites[i]));
		}
	jw_close(w, "]");
}

static json_object *json_race(const struct la_rrace *x)
{
	json_object *o = json_object_new_object(),
		    *ts = json_object_new_array();

	json_object_object_add(o, "entry_point", jstr(x->task[1].entry));
	json_object_object_add(o, "count", jcount(x->count));
	json_object_object_add(o, "first_seen_s", jsec(x->first_s));
	json_object_object_add(o, "last_seen_s", jsec(x->last_s));
	json_object_object_add(o, "device", json_dev(&x->dev));
	for (int t = 0; t < 2; t++) {
		json_object *to = json_object_new_object(),
			    *st = json_object_new_array();

		json_object_object_add(to, "role",
				       jstr(t ? "entering" : "inside"));
		json_object_object_add(to, "pid",
				       json_object_new_int(x->task[t].pid));
		json_object_object_add(to, "comm", jstr(x->task[t].comm));
		json_object_object_add(to, "entry_point",
				       jstr(x->task[t].entry));
		for (size_t i = 0; i < x->task[t].nr_frames; i++)
			json_object_array_add(st, jstr(x->task[t].frames[i]));
		json_object_object_add(to, "stack", st);
		json_object_array_add(ts, to);
	}
	json_object_object_add(o, "tasks", ts);
	return o;
}

static json_object *json_hook(const struct la_rhook *h)
{
	json_object *o = json_object_new_object(),
		    *calls = json_object_new_object();

	json_object_object_add(o, "function", jstr(h->function));
	json_object_object_add(o, "attach", jstr(h->attach));
	json_object_object_add(o, "reason", jstr(h->reason));
	for (int s = 0; s < LA_NR_STATES; s++)
		json_object_object_add(calls, la_state_name(s),
				       jcount(h->calls[s]));
	json_object_object_add(o, "calls", calls);
	return o;
}

static json_object *json_run(const struct la_run *run)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "hostname", jstr(run->hostname));
	json_object_object_add(o, "kernel", jstr(run->kernel));
	json_object_object_add(o, "started", jstr(run->started));
	return o;
}

/* sorted: r's sites folded and sorted; nested: the calls folded, by state */
static json_object *json_totals(const struct la_report *r,
				const uint64_t nested[LA_NR_STATES])
{
	json_object *t = json_object_new_object(), *d;
	uint64_t c[LA_NR_STATES];

	for (int i = 0; i < LA_NR_STATES; i++) {
		uint64_t calls = report__calls(r, i);

		/* violations: the outermost calls */
		c[i] = calls > nested[i] ? calls - nested[i] : 0;
	}
	json_object_object_add(t, "calls_audited",
			       jcount(report__calls(r, LA_HELD) +
				      report__calls(r, LA_UNLOCKED) +
				      report__calls(r, LA_HELD_OTHER)));
	json_object_object_add(t, "held", jcount(c[LA_HELD]));
	json_object_object_add(t, "violations",
			       jcount(c[LA_UNLOCKED] + c[LA_HELD_OTHER]));
	json_object_object_add(t, "unlocked", jcount(c[LA_UNLOCKED]));
	json_object_object_add(t, "held_by_other", jcount(c[LA_HELD_OTHER]));
	if (nested[LA_UNLOCKED] + nested[LA_HELD_OTHER])
		json_object_object_add(
			t, "nested",
			jcount(nested[LA_UNLOCKED] + nested[LA_HELD_OTHER]));
	d = json_object_new_object();
	for (size_t k = 0; k < LA_NR_DROPS; k++)
		json_object_object_add(d, la_drops[k].key,
				       jcount(LA_DROP_C(r, k)));
	json_object_object_add(t, "dropped", d);
	return t;
}

int report__write_json(const struct la_report *r, FILE *out, bool pretty)
{
	struct jw w = {
		.out = out,
		.flags = (pretty ? JSON_C_TO_STRING_PRETTY
				 : JSON_C_TO_STRING_PLAIN) |
			 JSON_C_TO_STRING_NOSLASHESCAPE,
		.pretty = pretty,
	};
	struct la_report sorted = *r;
	uint64_t nested[LA_NR_STATES];
	json_object *t;
	size_t i;

	sorted.sites = fold_sites(r, &sorted.nr_sites, nested);
	report__sort(&sorted);

	jw_open(&w, "{");
	jw_member(&w, "schema", jstr(LA_SCHEMA));
	t = json_object_new_object();
	json_object_object_add(t, "name", jstr("lockaudit"));
	json_object_object_add(t, "version", jstr(LA_VERSION));
	jw_member(&w, "generator", t);
	jw_member(&w, "kernel", jstr(r->kernel));
	jw_member(&w, "arch", jstr(r->arch));
	jw_member(&w, "hostname", jstr(r->hostname));
	jw_member(&w, "started", jstr(r->started));
	jw_member(&w, "duration_s", jsec(r->duration_s));
	jw_member(&w, "sources", jcount(r->sources));
	if (r->nr_runs > 1) {
		jw_key(&w, "runs");
		jw_open(&w, "[");
		for (i = 0; i < r->nr_runs; i++) {
			jw_elem(&w);
			jw_value(&w, json_run(&r->runs[i]));
		}
		jw_close(&w, "]");
	}
	jw_key(&w, "hooks");
	jw_open(&w, "[");
	for (i = 0; i < r->nr_hooks; i++) {
		jw_elem(&w);
		jw_value(&w, json_hook(&r->hooks[i]));
	}
	jw_close(&w, "]");
	jw_member(&w, "totals", json_totals(r, nested));
	jw_key(&w, "concurrent");
	jw_open(&w, "[");
	for (i = 0; i < r->nr_races; i++) {
		jw_elem(&w);
		jw_value(&w, json_race(&r->races[i]));
	}
	jw_close(&w, "]");
	jw_key(&w, "drivers");
	json_groups(&w, &sorted, 0, "module");
	jw_key(&w, "core");
	json_groups(&w, &sorted, 1, "path");
	jw_key(&w, "unclassified");
	json_sites(&w, &sorted, 2);
	jw_key(&w, "held");
	json_sites(&w, &sorted, 3);
	jw_close(&w, "}");
	jw_puts(&w, "\n");
	if (!w.err) {
		errno = 0;
		if (fflush(out))
			w.err = errno ? -errno : -EIO;
	}
	fold_free(sorted.sites, sorted.nr_sites);
	return w.err;
}

/* As open(2) makes a new file: 0666 less the umask (a service's UMask). */
static mode_t new_file_mode(void)
{
	mode_t mask = umask(0);

	umask(mask);
	return 0666 & ~mask;
}

int report__save_json(const struct la_report *r, const char *path, bool pretty)
{
	char *dir_copy = xstrdup(path), *tmp;
	const char *dir = dirname(dir_copy);
	size_t len = strlen(dir) + 32;
	FILE *f;
	int fd, dfd, err;

	tmp = xrealloc(NULL, len);
	snprintf(tmp, len, "%s/.lockaudit.XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	/* on the descriptor: the name can be swapped for a symlink by anyone
	 * who may rename entries in the directory */
	f = fchmod(fd, new_file_mode()) ? NULL : fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	err = report__write_json(r, f, pretty);
	if (!err && fsync(fileno(f)))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		goto out;
	}
	/* the rename is durable once the directory is */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd))
		err = -errno;
	if (dfd >= 0)
		close(dfd);
out:
	free(tmp);
	free(dir_copy);
	return err;
}

/* ---- reading and merging ------------------------------------------- */

struct jreader {
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

/* the first failure wins: "FILE: what 'key'" */
static void jfail(struct jreader *jr, const char *what, const char *key)
{
	if (jr->failed++)
		return;
	snprintf(jr->err, jr->errlen, "%s: %s '%s'", jr->path, what, key);
}

static bool jtype(json_object *v, json_type type)
{
	/* integers are valid doubles */
	return json_object_is_type(v, type) ||
	       (type == json_type_double &&
		json_object_is_type(v, json_type_int));
}

/* o[key], which must exist and have the type; NULL after a failure */
static json_object *jget(struct jreader *jr, json_object *o, const char *key,
			 json_type type)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object)) {
		jfail(jr, "not an object where it holds", key);
		return NULL;
	}
	if (!json_object_object_get_ex(o, key, &v)) {
		jfail(jr, "missing field", key);
		return NULL;
	}
	if (!jtype(v, type)) {
		jfail(jr, "wrong type for field", key);
		return NULL;
	}
	return v;
}

/* item i of the array a (named name), which must have the type */
static json_object *jitem(struct jreader *jr, json_object *a, size_t i,
			  json_type type, const char *name)
{
	json_object *v = json_object_array_get_idx(a, i);

	if (!jtype(v, type)) {
		jfail(jr, "wrong type for an item of", name);
		return NULL;
	}
	return v;
}

/* the string v (named key): no NUL inside (the tokener checked UTF-8) */
static const char *jstring(struct jreader *jr, json_object *v, const char *key)
{
	const char *s;

	if (!v)
		return "";
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v)) {
		jfail(jr, "NUL character in", key);
		return "";
	}
	return s;
}

static const char *jget_str(struct jreader *jr, json_object *o, const char *key)
{
	return jstring(jr, jget(jr, o, key, json_type_string), key);
}

/* a non-negative integer up to max (not a double, string or bool) */
static uint64_t jcheck_count(struct jreader *jr, json_object *v,
			     const char *key, uint64_t max)
{
	uint64_t n;

	if (!v)
		return 0;
	if (json_object_get_int64(v) < 0) {
		jfail(jr, "negative count in", key);
		return 0;
	}
	n = json_object_get_uint64(v);
	if (n > max) {
		jfail(jr, "number out of range in", key);
		return 0;
	}
	return n;
}

static uint64_t jget_count(struct jreader *jr, json_object *o, const char *key)
{
	return jcheck_count(jr, jget(jr, o, key, json_type_int), key,
			    LA_COUNT_MAX);
}

/* a process id: 0 to INT_MAX */
static int jget_pid(struct jreader *jr, json_object *o, const char *key)
{
	return (int)jcheck_count(jr, jget(jr, o, key, json_type_int), key,
				 INT_MAX);
}

/* seconds: a finite number from 0 to LA_SECONDS_MAX (what the writer's
 * %.6f gives back exactly) */
static double jget_double(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_double);
	double d = v ? json_object_get_double(v) : 0;

	if (!isfinite(d) || d < 0 || d > LA_SECONDS_MAX) {
		jfail(jr, "not a number of seconds (0 to 1e12) in", key);
		return 0;
	}
	return d;
}

static bool jget_bool(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_boolean);

	return v && json_object_get_boolean(v);
}

/* *sum += v, refused (not wrapped) above LA_COUNT_MAX */
static void jadd(struct jreader *jr, uint64_t *sum, uint64_t v, const char *key)
{
	uint64_t s;

	if (__builtin_add_overflow(*sum, v, &s) || s > LA_COUNT_MAX) {
		jfail(jr, "merged sum above 2^64-2 of", key);
		return;
	}
	*sum = s;
}

/* site_hash() hashes what this compares (or less): change them together */
static bool same_site(const struct la_rsite *a, const struct la_rsite *b)
{
	size_t i;

	if (a->state != b->state || a->group != b->group ||
	    a->registered != b->registered || a->probe_lock != b->probe_lock ||
	    a->nr_frames != b->nr_frames || strcmp(a->entry, b->entry) ||
	    strcmp(a->module, b->module) || strcmp(a->function, b->function) ||
	    strcmp(a->core_path, b->core_path))
		return false;
	for (i = 0; i < a->nr_frames; i++)
		if (strcmp(a->frames[i], b->frames[i]))
			return false;
	return true;
}

/* what same_site() compares */
static uint64_t site_hash(const void *item)
{
	const struct la_rsite *s = item;
	uint64_t h = HASH_SEED;
	size_t i;

	h = hash_u64(h, (uint64_t)(int64_t)s->state);
	h = hash_u64(h, s->group);
	h = hash_u64(h, s->registered);
	h = hash_u64(h, (uint64_t)(int64_t)s->probe_lock);
	h = hash_u64(h, s->nr_frames);
	h = hash_str(h, s->entry);
	h = hash_str(h, s->module);
	h = hash_str(h, s->function);
	h = hash_str(h, s->core_path);
	for (i = 0; i < s->nr_frames; i++)
		h = hash_str(h, s->frames[i]);
	return h;
}

static bool site_eq(const struct la_report *r, size_t idx, const void *key)
{
	return same_site(&r->sites[idx], key);
}

/* Merge in into the first identical site of r, or add it (r takes it). */
static void merge_site(struct la_report *r, struct la_rsite *in)
{
	struct la_index *idx =
		index_sync(r, IDX_SITES, r->nr_sites, r->sites,
			   sizeof(*r->sites), site_hash, site_eq);
	uint64_t h = site_hash(in);
	size_t i = index_find(idx, h, site_eq, r, in);
	struct la_rsite *s;

	if (i != SIZE_MAX) {
		s = &r->sites[i];
		s->count += in->count;
		s->by_caller += in->by_caller;
		if (in->first_s < s->first_s)
			s->first_s = in->first_s;
		if (in->last_s > s->last_s) {
			s->last_s = in->last_s;
			if (in->state == LA_HELD_OTHER) {
				s->holder_pid = in->holder_pid;
				free(s->holder_comm);
				s->holder_comm = xstrdup(in->holder_comm);
			}
		}
		for (size_t d = 0; d < in->nr_devs; d++)
			report__add_dev(s, in->devs[d].name, in->devs[d].bus,
					in->devs[d].driver,
					in->devs[d].registered);
		for (size_t k = 0; k < in->nr_nested; k++)
			nested_add(s, in->nested[k].entry, in->nested[k].count);
		site_free(in);
		return;
	}
	s = new_site(r);
	*s = *in;
	index_put(idx, h, r->nr_sites - 1);
	r->indexed[IDX_SITES] = r->nr_sites;
}

void report__merge_last(struct la_report *r)
{
	struct la_rsite in;

	if (!r->nr_sites)
		return;
	in = r->sites[--r->nr_sites];
	/* the index covers it only when merge_site() added it (two calls
	 * in a row): then the index starts over */
	if (r->indexed[IDX_SITES] > r->nr_sites)
		r->indexed[IDX_SITES] = 0;
	merge_site(r, &in);
}

/* a device object: name, bus, driver (a string, null or missing), registered */
static void read_dev(struct jreader *jr, json_object *d, struct la_rdev *out)
{
	json_object *v;

	out->name = (char *)jget_str(jr, d, "name");
	out->bus = (char *)jget_str(jr, d, "bus");
	out->driver = "";
	if (json_object_is_type(d, json_type_object) &&
	    json_object_object_get_ex(d, "driver", &v) && v) {
		if (json_object_is_type(v, json_type_string))
			out->driver = (char *)jstring(jr, v, "driver");
		else
			jfail(jr, "wrong type for field", "driver");
	}
	out->registered = jget_bool(jr, d, "registered");
}

/* the array of strings o[key] into a new array (strings not copied) */
static char **read_frames(struct jreader *jr, json_object *o, const char *key,
			  size_t *n)
{
	json_object *a = jget(jr, o, key, json_type_array);
	char **f;

	*n = a ? json_object_array_length(a) : 0;
	f = xrealloc(NULL, (*n + 1) * sizeof(*f));
	for (size_t i = 0; i < *n; i++)
		f[i] = (char *)jstring(
			jr, jitem(jr, a, i, json_type_string, key), key);
	return f;
}

/*
 * A site's optional "nested": [{entry_point, count}], the watched calls
 * made inside its calls; a violation's only (held sites do not fold)
 */
static json_object *read_nested(struct jreader *jr, json_object *o, int state)
{
	json_object *a, *x;
	size_t i;

	if (!json_object_object_get_ex(o, "nested", NULL))
		return NULL;
	a = jget(jr, o, "nested", json_type_array);
	if (a && state == LA_HELD)
		jfail(jr, "held site with", "nested");
	for (i = 0; a && !jr->failed && i < json_object_array_length(a); i++) {
		x = jitem(jr, a, i, json_type_object, "nested");
		if (x && !jget_str(jr, x, "entry_point")[0])
			jfail(jr, "empty string in", "entry_point");
		jget_count(jr, x, "count");
	}
	return jr->failed ? NULL : a;
}

/*
 * A site: the facts are read and checked, the attribution (group, module,
 * function, caller, core path) and the severity are derived from the stack
 * as for a live site; what the file says of them is not read.
 */
static int read_site(struct jreader *jr, json_object *o, struct la_report *r)
{
	const char *entry, *pl, *comm = "";
	json_object *devs, *nested, *v;
	struct la_rsite *s;
	struct la_rdev dev;
	int state, probe_lock, pid = 0;
	uint64_t count, by_caller = 0;
	double first_s, last_s;
	bool registered, truncated;
	char **frames;
	size_t i, n;

	if (!json_object_is_type(o, json_type_object)) {
		jfail(jr, "site is not an object in", "sites");
		return -1;
	}
	entry = jget_str(jr, o, "entry_point");
	state = state_from_name(jget_str(jr, o, "lock_state"));
	if (state < 0)
		jfail(jr, "unknown value of", "lock_state");
	count = jget_count(jr, o, "count");
	/* optional: reports before 0.2 have none */
	if (json_object_object_get_ex(o, "counted_by_caller", &v))
		by_caller = jget_count(jr, o, "counted_by_caller");
	if (by_caller > count)
		jfail(jr, "more than count in", "counted_by_caller");
	first_s = jget_double(jr, o, "first_seen_s");
	last_s = jget_double(jr, o, "last_seen_s");
	registered = jget_bool(jr, o, "registered");
	pl = jget_str(jr, o, "iommu_probe_device_lock");
	probe_lock = !strcmp(pl, "held")       ? 1
		     : !strcmp(pl, "not_held") ? 0
		     : !strcmp(pl, "absent")   ? -1
					       : -2;
	if (probe_lock == -2)
		jfail(jr, "unknown value of", "iommu_probe_device_lock");
	if (state == LA_HELD_OTHER &&
	    (v = jget(jr, o, "holder", json_type_object))) {
		pid = jget_pid(jr, v, "pid");
		comm = jget_str(jr, v, "comm");
	}
	devs = jget(jr, o, "devices", json_type_array);
	for (i = 0; devs && i < json_object_array_length(devs); i++)
		read_dev(jr, jitem(jr, devs, i, json_type_object, "devices"),
			 &dev);
	frames = read_frames(jr, o, "stack", &n);
	truncated = jget_bool(jr, o, "stack_truncated");
	nested = read_nested(jr, o, state);
	if (!jr->failed)
		jadd(jr, &r->read_counts, count, "count");
	for (i = 0;
	     nested && !jr->failed && i < json_object_array_length(nested); i++)
		jadd(jr, &r->read_counts,
		     jget_count(jr, json_object_array_get_idx(nested, i),
				"count"),
		     "count");
	if (jr->failed) {
		free(frames);
		return -1;
	}
	s = report__add_site(r, entry, state, frames, n, truncated, registered,
			     probe_lock);
	free(frames);
	s->count = count;
	s->by_caller = by_caller;
	s->first_s = first_s;
	s->last_s = last_s;
	s->holder_pid = pid;
	free(s->holder_comm);
	s->holder_comm = xstrdup(comm);
	for (i = 0; devs && i < json_object_array_length(devs); i++) {
		read_dev(jr, json_object_array_get_idx(devs, i), &dev);
		report__add_dev(s, dev.name, dev.bus, dev.driver,
				dev.registered);
	}
	for (i = 0; nested && i < json_object_array_length(nested); i++) {
		json_object *x = json_object_array_get_idx(nested, i);

		nested_add(s, jget_str(jr, x, "entry_point"),
			   jget_count(jr, x, "count"));
	}
	report__merge_last(r);
	return 0;
}

static int read_race(struct jreader *jr, json_object *o, struct la_report *r)
{
	struct la_rrace in;
	json_object *ts;

	memset(&in, 0, sizeof(in));
	if (!json_object_is_type(o, json_type_object)) {
		jfail(jr, "finding is not an object in", "concurrent");
		return -1;
	}
	in.count = jget_count(jr, o, "count");
	in.first_s = jget_double(jr, o, "first_seen_s");
	in.last_s = jget_double(jr, o, "last_seen_s");
	read_dev(jr, jget(jr, o, "device", json_type_object), &in.dev);
	ts = jget(jr, o, "tasks", json_type_array);
	if (ts && json_object_array_length(ts) != 2)
		jfail(jr, "want two tasks in", "concurrent");
	for (int t = 0; !jr->failed && t < 2; t++) {
		json_object *to = jitem(jr, ts, t, json_type_object, "tasks");

		in.task[t].entry = (char *)jget_str(jr, to, "entry_point");
		in.task[t].pid = jget_pid(jr, to, "pid");
		in.task[t].comm = (char *)jget_str(jr, to, "comm");
		in.task[t].frames =
			read_frames(jr, to, "stack", &in.task[t].nr_frames);
	}
	if (!jr->failed)
		jadd(jr, &r->read_races, in.count, "count");
	if (!jr->failed)
		report__add_race(r, &in);
	free(in.task[0].frames);
	free(in.task[1].frames);
	return jr->failed ? -1 : 0;
}

/* Is name one of the ", "-separated items of set? */
static bool in_set(const char *set, const char *name, size_t n)
{
	while (*set) {
		size_t len = strcspn(set, ",");

		if (len == n && !strncmp(set, name, n))
			return true;
		set += len;
		while (*set == ',' || *set == ' ')
			set++;
	}
	return false;
}

/* Add each item of src (itself possibly "a, b") to the set in *dst. */
static void merge_name(char **dst, const char *src)
{
	if (!*dst)
		*dst = xstrdup("");
	while (*src) {
		size_t n = strcspn(src, ",");

		if (n && !in_set(*dst, src, n)) {
			size_t old = strlen(*dst), len = old + n + 3, cap = 64;

			/* doubling: realloc keeps the block while it fits */
			while (cap < len)
				cap *= 2;
			*dst = xrealloc(*dst, cap);
			snprintf(*dst + old, len - old, "%s%.*s",
				 old ? ", " : "", (int)n, src);
		}
		src += n;
		while (*src == ',' || *src == ' ')
			src++;
	}
}

static bool same_run(const struct la_run *a, const char *host,
		     const char *kernel, const char *started)
{
	return !strcmp(a->hostname, host) && !strcmp(a->kernel, kernel) &&
	       !strcmp(a->started, started);
}

/* Add one run to r, refused if r has it already (an input read twice, two
 * snapshots of one run, or a merged report holding a run merged again) */
static void add_run(struct jreader *jr, struct la_report *r, const char *host,
		    const char *kernel, const char *started)
{
	struct la_run *x;

	if (jr->failed)
		return;
	for (size_t i = 0; i < r->nr_runs; i++) {
		if (!same_run(&r->runs[i], host, kernel, started))
			continue;
		jr->failed++;
		snprintf(jr->err, jr->errlen,
			 "%s: the run on '%s' (kernel %s) started %s is merged "
			 "already: its counts would be counted twice",
			 jr->path, host, kernel, started);
		return;
	}
	r->runs = xrealloc(r->runs, (r->nr_runs + 1) * sizeof(*r->runs));
	x = &r->runs[r->nr_runs++];
	x->hostname = xstrdup(host);
	x->kernel = xstrdup(kernel);
	x->started = xstrdup(started);
}

/* The runs a report covers: its "runs" (a merged report), or the one run
 * its hostname, kernel and started name. */
static void read_runs(struct jreader *jr, json_object *o, struct la_report *r)
{
	size_t i, before = r->nr_runs;
	json_object *a, *x;

	if (!json_object_object_get_ex(o, "runs", &a)) {
		add_run(jr, r, jget_str(jr, o, "hostname"),
			jget_str(jr, o, "kernel"), jget_str(jr, o, "started"));
		return;
	}
	a = jget(jr, o, "runs", json_type_array);
	if (a && !json_object_array_length(a))
		jfail(jr, "no run in", "runs");
	for (i = 0; a && i < json_object_array_length(a); i++) {
		x = jitem(jr, a, i, json_type_object, "runs");
		add_run(jr, r, jget_str(jr, x, "hostname"),
			jget_str(jr, x, "kernel"), jget_str(jr, x, "started"));
	}
	/* refused: r keeps only the runs it had */
	while (jr->failed && r->nr_runs > before) {
		r->nr_runs--;
		free(r->runs[r->nr_runs].hostname);
		free(r->runs[r->nr_runs].kernel);
		free(r->runs[r->nr_runs].started);
	}
}

/*
 * The bytes of path: a regular file (a symlink to one is followed) of at
 * most LA_REPORT_MAX_BYTES, opened without blocking (a FIFO without a
 * writer), read to its end. NULL and a message on failure.
 */
static char *read_file(const char *path, size_t *lenp, char *err, size_t errlen,
		       int *ret)
{
	size_t len = 0, cap;
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st)) {
		*ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (a %s)", path,
			 S_ISDIR(st.st_mode)	? "directory"
			 : S_ISFIFO(st.st_mode) ? "FIFO"
			 : S_ISSOCK(st.st_mode) ? "socket"
						: "device");
		close(fd);
		*ret = -EINVAL;
		return NULL;
	}
	if (st.st_size > LA_REPORT_MAX_BYTES) {
		*ret = -EFBIG;
		snprintf(err, errlen,
			 "%s: larger than %u MiB, the limit for a "
			 "report",
			 path, LA_REPORT_MAX_BYTES >> 20);
		close(fd);
		return NULL;
	}
	/* the size may change while reading: read to the end, up to the cap */
	cap = (size_t)st.st_size + 1;
	buf = xrealloc(NULL, cap);
	for (;;) {
		if (len == cap) {
			if (cap > LA_REPORT_MAX_BYTES)
				break;
			cap = cap * 2 < LA_REPORT_MAX_BYTES + 1
				      ? cap * 2
				      : LA_REPORT_MAX_BYTES + 1;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*ret = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	if (len > LA_REPORT_MAX_BYTES) {
		*ret = -EFBIG;
		snprintf(err, errlen,
			 "%s: larger than %u MiB, the limit for a "
			 "report",
			 path, LA_REPORT_MAX_BYTES >> 20);
		goto fail;
	}
	close(fd);
	*lenp = len;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * The document is read without a json-c tree of all of it (that tree is
 * about ten times the file): the file's bytes are kept, the top-level
 * object, the big arrays in it (hooks, concurrent, drivers, core,
 * unclassified, held) and the driver and core groups are walked here, and
 * each item of those arrays, each other top-level value and each field name
 * walked is parsed by json-c as a document of its own (strict, UTF-8
 * checked, nesting counted from the top of the file), which json-c ends
 * where the value does. So json-c checks every value and the walk only the
 * whitespace, commas, colons and brackets between them. A site is read and
 * its tree freed before the next one is parsed.
 *
 * The top level is walked first: the big arrays are only skimmed (their
 * extent found by counting brackets outside strings) and read afterwards,
 * in the order of the old reader (hooks, concurrent, drivers, core,
 * unclassified, held), once schema and runs have been checked. A syntax
 * error inside an item of a big array is thus reported when that item is
 * read, after the errors of the items before it. A field name twice in the
 * top-level object or in a group is refused (json-c would keep the last one
 * silently).
 */

/* levels walked: the top-level object (0), its arrays (1), a group (2), the
 * group's sites (3) and a site (4) */
#define JS_LEVELS 5

struct jscan {
	struct jreader *jr;
	const char *buf;
	size_t len;
	struct json_tokener *tok[JS_LEVELS];
};

static bool js_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t js_skip(const struct jscan *s, size_t i)
{
	while (i < s->len && js_ws(s->buf[i]))
		i++;
	return i;
}

/* a syntax error: "FILE: not valid JSON (what at byte N)" (the first
 * failure wins) */
static void js_fail(struct jscan *s, const char *what, size_t at)
{
	struct jreader *jr = s->jr;

	if (jr->failed++)
		return;
	snprintf(jr->err, jr->errlen, "%s: not valid JSON (%s at byte %zu)",
		 jr->path, what, at);
}

/*
 * Where the array or object starting at i ends, skimmed: after the bracket
 * that closes it (brackets counted outside strings, a backslash in a string
 * skips the next byte); SIZE_MAX if the input ends first. Only the extent:
 * the walk (json-c) checks what is inside.
 */
static size_t js_end(const struct jscan *s, size_t i)
{
	const char *b = s->buf, *q, *e;
	size_t depth = 0;

	for (; i < s->len; i++) {
		if (b[i] == '"') {
			/* to the closing quote, over escaped bytes */
			for (i++;; i = (size_t)(e - b) + 2) {
				q = i < s->len ? memchr(b + i, '"', s->len - i)
					       : NULL;
				if (!q)
					return SIZE_MAX;
				e = memchr(b + i, '\\', (size_t)(q - b) - i);
				if (!e) {
					i = (size_t)(q - b);
					break;
				}
			}
		} else if (b[i] == '{' || b[i] == '[') {
			depth++;
		} else if ((b[i] == '}' || b[i] == ']') && !--depth) {
			return i + 1;
		}
	}
	return SIZE_MAX;
}

/*
 * json-c's parse of the value starting at i, nested in level containers:
 * where it ends and *out (NULL for null: put it when done), or SIZE_MAX
 * after a failure.
 */
static size_t js_value(struct jscan *s, size_t i, int level, json_object **out)
{
	struct json_tokener *tok = s->tok[level];
	enum json_tokener_error e;
	size_t end;

	*out = NULL;
	if (!tok) {
		tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH - level);
		if (!tok) {
			fprintf(stderr, "lockaudit: out of memory\n");
			exit(1);
		}
		/* the value ends where json-c says: what follows is the walk's
		 */
		json_tokener_set_flags(
			tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
				     JSON_TOKENER_ALLOW_TRAILING_CHARS);
		s->tok[level] = tok;
	}
	if (i >= s->len) {
		js_fail(s, "unexpected end of input", s->len);
		return SIZE_MAX;
	}
	json_tokener_reset(tok);
	*out = json_tokener_parse_ex(tok, s->buf + i, (int)(s->len - i));
	e = json_tokener_get_error(tok);
	end = i + json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* at the end of the input: a number or a literal may end
		 * there, nothing else */
		*out = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			return end;
		json_object_put(*out);
		*out = NULL;
		js_fail(s, "unexpected end of input", s->len);
		return SIZE_MAX;
	}
	if (e == json_tokener_success)
		return end;
	js_fail(s, json_tokener_error_desc(e), end);
	return SIZE_MAX;
}

/* the value at i checked and dropped: where it ends, or SIZE_MAX */
static size_t js_check(struct jscan *s, size_t i, int level)
{
	json_object *v;
	size_t end = js_value(s, i, level, &v);

	json_object_put(v);
	return end;
}

/* an item of an array at i, at level: where it ends, SIZE_MAX on failure */
typedef size_t js_item_fn(struct jscan *s, size_t i, int level, void *arg);

/* Each item of the array starting at i (its '[') to fn, in order, until a
 * failure: where the array ends, or SIZE_MAX. */
static size_t js_array(struct jscan *s, size_t i, int level, js_item_fn *fn,
		       void *arg)
{
	const char *b = s->buf;

	i = js_skip(s, i + 1);
	if (i < s->len && b[i] == ']')
		return i + 1;
	for (;;) {
		i = fn(s, i, level + 1, arg);
		if (i == SIZE_MAX || s->jr->failed)
			return SIZE_MAX;
		i = js_skip(s, i);
		if (i < s->len && b[i] == ',') {
			i = js_skip(s, i + 1);
		} else if (i < s->len && b[i] == ']') {
			return i + 1;
		} else {
			js_fail(s,
				i < s->len
					? "array value separator ',' expected"
					: "unexpected end of input",
				i);
			return SIZE_MAX;
		}
	}
}

/* a member of an object: its name and the value at i, at level; where the
 * value ends, SIZE_MAX on failure */
typedef size_t js_member_fn(struct jscan *s, const char *key, size_t i,
			    int level, void *arg);

/* Each member of the object starting at i (its '{') to fn, in order, until
 * a failure: where the object ends, or SIZE_MAX. */
static size_t js_object(struct jscan *s, size_t i, int level, js_member_fn *fn,
			void *arg)
{
	const char *b = s->buf;
	json_object *k;

	i = js_skip(s, i + 1);
	if (i < s->len && b[i] == '}')
		return i + 1;
	for (;;) {
		if (i < s->len && b[i] != '"') {
			js_fail(s, "quoted object property name expected", i);
			return SIZE_MAX;
		}
		i = js_value(s, i, level + 1, &k);
		if (i == SIZE_MAX)
			return SIZE_MAX;
		if (strlen(json_object_get_string(k)) !=
		    (size_t)json_object_get_string_len(k)) {
			json_object_put(k);
			jfail(s->jr, "NUL character in", "a field name");
			return SIZE_MAX;
		}
		i = js_skip(s, i);
		if (i < s->len && b[i] == ':')
			i = fn(s, json_object_get_string(k), js_skip(s, i + 1),
			       level + 1, arg);
		else
			js_fail(s,
				i < s->len ? "object property name separator "
					     "':' expected"
					   : "unexpected end of input",
				i);
		json_object_put(k);
		if (i == SIZE_MAX || s->jr->failed)
			return SIZE_MAX;
		i = js_skip(s, i);
		if (i < s->len && b[i] == ',') {
			i = js_skip(s, i + 1);
		} else if (i < s->len && b[i] == '}') {
			return i + 1;
		} else {
			js_fail(s,
				i < s->len
					? "object value separator ',' expected"
					: "unexpected end of input",
				i);
			return SIZE_MAX;
		}
	}
}

static size_t js_check_item(struct jscan *s, size_t i, int level, void *arg)
{
	(void)arg;
	return js_check(s, i, level);
}

/* a value not read, checked: an array item by item (a big one is not held
 * whole), anything else whole */
static size_t js_check_value(struct jscan *s, size_t i, int level)
{
	if (i < s->len && s->buf[i] == '[')
		return js_array(s, i, level, js_check_item, NULL);
	return js_check(s, i, level);
}

/* "FILE: duplicate field 'KEY'" (KEY escaped: it is anything) */
static void js_duplicate(struct jscan *s, const char *key)
{
	char esc[128];

	jfail(s->jr, "duplicate field",
	      report__text_esc(esc, sizeof(esc), key));
}

/* one site of an array */
static size_t js_site(struct jscan *s, size_t i, int level, void *r)
{
	json_object *o;
	size_t end = js_value(s, i, level, &o);

	if (end != SIZE_MAX)
		read_site(s->jr, o, r);
	json_object_put(o);
	return end;
}

/* one concurrent finding */
static size_t js_race(struct jscan *s, size_t i, int level, void *r)
{
	json_object *o;
	size_t end = js_value(s, i, level, &o);

	if (end != SIZE_MAX)
		read_race(s->jr, o, r);
	json_object_put(o);
	return end;
}

/* one hook line: added up by function */
static size_t js_hook(struct jscan *s, size_t i, int level, void *arg)
{
	struct jreader *jr = s->jr;
	struct la_report *r = arg;
	uint64_t calls[LA_NR_STATES];
	const char *function, *attach;
	struct la_rhook *rh;
	size_t before = r->nr_hooks, end;
	json_object *h, *v;

	end = js_value(s, i, level, &h);
	if (end == SIZE_MAX)
		return end;
	if (!jtype(h, json_type_object)) {
		jfail(jr, "wrong type for an item of", "hooks");
		goto out;
	}
	function = jget_str(jr, h, "function");
	attach = jget_str(jr, h, "attach");
	if (!jr->failed && strcmp(attach, "fentry") &&
	    strcmp(attach, "kprobe") && strcmp(attach, "absent"))
		jfail(jr, "unknown value of", "attach");
	v = jget(jr, h, "calls", json_type_object);
	for (int st = 0; st < LA_NR_STATES; st++) {
		calls[st] = v ? jget_count(jr, v, la_state_name(st)) : 0;
		jadd(jr, &r->read_calls, calls[st], la_state_name(st));
	}
	jget_str(jr, h, "reason");
	if (jr->failed)
		goto out;
	rh = report__hook(r, function);
	/* a new line takes the file's; "absent" yields to an attach */
	if (r->nr_hooks != before ||
	    (!strcmp(rh->attach, "absent") && strcmp(attach, "absent"))) {
		free(rh->attach);
		rh->attach = xstrdup(attach);
		free(rh->reason);
		rh->reason = xstrdup(jget_str(jr, h, "reason"));
	}
	/* <= read_calls: no wrap */
	for (int st = 0; st < LA_NR_STATES; st++)
		rh->calls[st] += calls[st];
out:
	json_object_put(h);
	return end;
}

struct js_group {
	struct la_report *r;
	bool sites; /* seen */
};

/* a group's members: "sites" read, the others checked */
static size_t js_group_member(struct jscan *s, const char *key, size_t i,
			      int level, void *arg)
{
	struct js_group *g = arg;
	size_t end;

	if (strcmp(key, "sites"))
		return js_check_value(s, i, level);
	if (g->sites) {
		js_duplicate(s, key);
		return SIZE_MAX;
	}
	g->sites = true;
	if (i < s->len && s->buf[i] == '[')
		return js_array(s, i, level, js_site, g->r);
	end = js_check(s, i, level);
	jfail(s->jr, "wrong type for field", "sites");
	return end;
}

/* {module or path: name, violations: n, sites: [...]}: only the sites are
 * read, the grouping is derived again */
static size_t js_group(struct jscan *s, size_t i, int level, void *arg,
		       const char *what)
{
	struct js_group g = {.r = arg};
	size_t end;

	if (i >= s->len || s->buf[i] != '{') {
		end = js_check(s, i, level);
		jfail(s->jr, "wrong type for an item of", what);
		return end;
	}
	end = js_object(s, i, level, js_group_member, &g);
	if (end != SIZE_MAX && !g.sites)
		jfail(s->jr, "missing field", "sites");
	return end;
}

static size_t js_driver_group(struct jscan *s, size_t i, int level, void *r)
{
	return js_group(s, i, level, r, "drivers");
}

static size_t js_core_group(struct jscan *s, size_t i, int level, void *r)
{
	return js_group(s, i, level, r, "core");
}

/* the top-level fields read as arrays item by item, in the order read */
static const struct {
	const char *key;
	js_item_fn *fn;
} js_big[] = {
	{"hooks", js_hook},	      {"concurrent", js_race},
	{"drivers", js_driver_group}, {"core", js_core_group},
	{"unclassified", js_site},    {"held", js_site},
};
#define JS_NR_BIG (sizeof(js_big) / sizeof(js_big[0]))

/* the other fields read */
static const char *const js_small[] = {
	"schema", "kernel",  "arch",   "hostname",   "started",
	"runs",	  "sources", "totals", "duration_s",
};

struct js_top {
	json_object *small; /* the fields of js_small, parsed */
	json_object *seen;  /* every name: a set */
	/* where the value of each js_big is, and where it ends (0: none) */
	size_t big[JS_NR_BIG], big_end[JS_NR_BIG];
};

static size_t js_top_member(struct jscan *s, const char *key, size_t i,
			    int level, void *arg)
{
	struct js_top *t = arg;
	json_object *v;
	size_t k, end;

	if (json_object_object_get_ex(t->seen, key, NULL)) {
		js_duplicate(s, key);
		return SIZE_MAX;
	}
	json_object_object_add(t->seen, key, NULL);
	for (k = 0; k < JS_NR_BIG; k++) {
		if (strcmp(key, js_big[k].key))
			continue;
		if (i >= s->len || s->buf[i] != '[')
			end = js_check(s, i, level); /* a wrong type, later */
		else if ((end = js_end(s, i)) == SIZE_MAX &&
			 js_check_value(s, i, level) != SIZE_MAX)
			js_fail(s, "unexpected end of input", s->len);
		t->big[k] = i;
		t->big_end[k] = end;
		return end;
	}
	for (k = 0; k < sizeof(js_small) / sizeof(js_small[0]); k++) {
		if (strcmp(key, js_small[k]))
			continue;
		end = js_value(s, i, level, &v);
		if (end != SIZE_MAX)
			json_object_object_add(t->small, key, v);
		return end;
	}
	return js_check_value(s, i, level); /* not read */
}

/* The top-level array k of t read item by item: "missing field" if there is
 * none, "wrong type" if it is not an array */
static void js_read_big(struct jscan *s, const struct js_top *t, size_t k,
			struct la_report *r)
{
	size_t end;

	if (s->jr->failed)
		return;
	if (!t->big_end[k]) {
		jfail(s->jr, "missing field", js_big[k].key);
		return;
	}
	if (s->buf[t->big[k]] != '[') {
		jfail(s->jr, "wrong type for field", js_big[k].key);
		return;
	}
	end = js_array(s, t->big[k], 1, js_big[k].fn, r);
	/* json-c ends a valid array where the skim did; anything else
	 * would leave bytes unchecked */
	if (end != SIZE_MAX && end != t->big_end[k])
		js_fail(s, "unexpected character", end);
}

/*
 * After a failure in the top-level walk: it may come from a big array
 * skimmed wrong (a quote missing inside it turns what the skim takes for
 * strings inside out, and the walk goes on from the wrong place). The arrays
 * skimmed are walked for real, in the order of the file, and the first
 * error found in them is reported instead; none, the walk's stands.
 */
static void js_recheck(struct jscan *s, const struct js_top *t)
{
	struct jreader *jr = s->jr;
	char *saved = xrealloc(NULL, jr->errlen + 1);
	size_t k, next, from = 0;

	memcpy(saved, jr->err, jr->errlen);
	jr->failed = 0;
	for (;;) {
		next = JS_NR_BIG;
		for (k = 0; k < JS_NR_BIG; k++)
			if (t->big_end[k] && t->big[k] >= from &&
			    s->buf[t->big[k]] == '[' &&
			    (next == JS_NR_BIG || t->big[k] < t->big[next]))
				next = k;
		if (next == JS_NR_BIG)
			break;
		js_check_value(s, t->big[next], 1);
		if (jr->failed) {
			free(saved);
			return;
		}
		from = t->big[next] + 1;
	}
	memcpy(jr->err, saved, jr->errlen);
	jr->failed = 1;
	free(saved);
}

/* A new json-c object (exits when out of memory, as xrealloc) */
static json_object *js_new_object(void)
{
	json_object *o = json_object_new_object();

	if (!o) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	return o;
}

int report__merge_file(struct la_report *r, const char *path, char *err,
		       size_t errlen)
{
	struct jreader jr = {.path = path, .err = err, .errlen = errlen};
	struct jscan s = {.jr = &jr};
	struct js_top t;
	const char *schema, *started;
	json_object *o, *d;
	uint64_t sources;
	size_t i;
	int ret = -EINVAL;
	char *buf;

	buf = read_file(path, &s.len, err, errlen, &ret);
	if (!buf)
		return ret;
	s.buf = buf;
	memset(&t, 0, sizeof(t));
	t.small = o = js_new_object();
	t.seen = js_new_object();
	ret = -EINVAL;
	i = js_skip(&s, 0);
	if (i < s.len && buf[i] == '{')
		i = js_object(&s, i, 0, js_top_member, &t);
	else
		i = js_check_value(&s, i, 0);
	if (i != SIZE_MAX && js_skip(&s, i) != s.len)
		js_fail(&s, "data after the report", js_skip(&s, i));
	if (jr.failed) {
		js_recheck(&s, &t);
		goto out;
	}
	if (buf[js_skip(&s, 0)] != '{') {
		snprintf(err, errlen, "%s: not a lockaudit report", path);
		goto out;
	}

	schema = jget_str(&jr, o, "schema");
	if (jr.failed || strcmp(schema, LA_SCHEMA)) {
		snprintf(err, errlen,
			 "%s: not a lockaudit report (schema '%s', want '%s')",
			 path, schema, LA_SCHEMA);
		goto out;
	}
	/* first, so that a refused run leaves r as it was */
	read_runs(&jr, o, r);
	if (jr.failed)
		goto out;
	merge_name(&r->kernel, jget_str(&jr, o, "kernel"));
	merge_name(&r->arch, jget_str(&jr, o, "arch"));
	merge_name(&r->hostname, jget_str(&jr, o, "hostname"));
	started = jget_str(&jr, o, "started");
	if (!r->started || strcmp(started, r->started) < 0) {
		free(r->started);
		r->started = xstrdup(started);
	}
	r->duration_s += jget_double(&jr, o, "duration_s");
	if (!isfinite(r->duration_s) || r->duration_s > LA_SECONDS_MAX)
		jfail(&jr, "merged sum above 1e12 s of", "duration_s");
	sources = jcheck_count(&jr, jget(&jr, o, "sources", json_type_int),
			       "sources", UINT_MAX - r->sources);
	r->sources += (unsigned int)sources;

	js_read_big(&s, &t, 0, r); /* hooks */
	d = jget(&jr, o, "totals", json_type_object);
	d = d ? jget(&jr, d, "dropped", json_type_object) : NULL;
	if (d) {
		/* the first four are in every report; tracking and modules
		 * only in those written since they are reported */
		for (size_t k = 0; k < LA_NR_DROPS && !jr.failed; k++) {
			if (k >= 4 && !json_object_object_get_ex(
					      d, la_drops[k].key, NULL))
				continue;
			jadd(&jr, &LA_DROP(r, k),
			     jget_count(&jr, d, la_drops[k].key),
			     la_drops[k].key);
		}
	}
	for (size_t k = 1; k < JS_NR_BIG; k++)
		js_read_big(&s, &t, k, r);
	if (!jr.failed)
		ret = 0;
out:
	json_object_put(t.small);
	json_object_put(t.seen);
	for (i = 0; i < JS_LEVELS; i++)
		if (s.tok[i])
			json_tokener_free(s.tok[i]);
	free(buf);
	return ret;
}
