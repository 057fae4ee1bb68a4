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

/* ---- text ---------------------------------------------------------- */

static void text_site(const struct la_rsite *s, FILE *out, bool stack)
{
	size_t i;

	fprintf(out, "    %-6s %-24s %-14s %10" PRIu64 " call%s",
		s->state == LA_HELD ? "" : la_severity_name(s->severity),
		s->entry, la_state_label(s->state), s->count,
		s->count == 1 ? "" : "s");
	if (s->group == LA_GROUP_DRIVER)
		fprintf(out, "  from %s", s->caller);
	fputc('\n', out);
	if (s->state == LA_HELD_OTHER)
		fprintf(out, "      lock held by pid %d (%s)\n", s->holder_pid,
			s->holder_comm[0] ? s->holder_comm : "?");
	if (s->probe_lock == 1)
		fprintf(out, "      caller held iommu_probe_device_lock\n");
	if (s->by_caller)
		fprintf(out,
			"      %" PRIu64 " of them counted at the caller alone "
			"(their stacks above it not taken)\n",
			s->by_caller);
	for (i = 0; i < s->nr_devs; i++)
		fprintf(out, "      device %s (bus %s, driver %s%s)\n",
			s->devs[i].name,
			s->devs[i].bus[0] ? s->devs[i].bus : "none",
			s->devs[i].driver[0] ? s->devs[i].driver : "none",
			s->devs[i].registered ? "" : ", not registered");
	if (!stack)
		return;
	for (i = 0; i < s->nr_frames; i++)
		fprintf(out, "        %s\n", s->frames[i]);
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

int report__write_text(const struct la_report *r, FILE *out)
{
	uint64_t held = report__calls(r, LA_HELD);
	uint64_t unl = report__calls(r, LA_UNLOCKED);
	uint64_t oth = report__calls(r, LA_HELD_OTHER);
	struct la_report sorted = *r;
	size_t i, j, nfentry = 0, nkprobe = 0;
	int printed;

	for (i = 0; i < r->nr_hooks; i++) {
		nfentry += !strcmp(r->hooks[i].attach, "fentry");
		nkprobe += !strcmp(r->hooks[i].attach, "kprobe");
	}
	sorted.sites = xrealloc(NULL, (r->nr_sites + 1) * sizeof(*r->sites));
	if (r->nr_sites)
		memcpy(sorted.sites, r->sites, r->nr_sites * sizeof(*r->sites));
	report__sort(&sorted);

	fprintf(out, "lockaudit: device_lock at IOMMU configuration\n");
	fprintf(out, "kernel %s (%s), %s, %.1f s%s\n", r->kernel, r->arch,
		r->hostname, r->duration_s,
		r->sources > 1 ? ", merged reports" : "");
	fprintf(out,
		"%zu hooks (%zu fentry, %zu kprobe), %" PRIu64
		" calls audited: %" PRIu64 " held, %" PRIu64
		" unlocked, %" PRIu64 " held by another task\n",
		nfentry + nkprobe, nfentry, nkprobe, held + unl + oth, held,
		unl, oth);
	if (r->dropped_sites || r->dropped_events || r->stack_errors)
		fprintf(out,
			"DROPPED: %" PRIu64
			" calls not aggregated (site map full), %" PRIu64
			" live events, %" PRIu64 " stacks unreadable\n",
			r->dropped_sites, r->dropped_events, r->stack_errors);

	if (r->nr_races) {
		fprintf(out, "\nCONCURRENT configuration of one device (the "
			     "race the missing lock permits)\n");
		for (i = 0; i < r->nr_races; i++) {
			const struct la_rrace *x = &r->races[i];

			fprintf(out,
				"  %" PRIu64 " time%s on %s (bus %s): %s[%d] "
				"in %s while %s[%d] entered %s\n",
				x->count, x->count == 1 ? "" : "s", x->dev.name,
				x->dev.bus[0] ? x->dev.bus : "none",
				x->task[0].comm, x->task[0].pid,
				x->task[0].entry, x->task[1].comm,
				x->task[1].pid, x->task[1].entry);
			for (int t = 0; t < 2; t++) {
				fprintf(out, "      %s:\n",
					t ? "entering" : "inside");
				for (j = 0; j < x->task[t].nr_frames; j++)
					fprintf(out, "        %s\n",
						x->task[t].frames[j]);
			}
		}
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
			s->module, group_sum(&sorted, i, j),
			group_sum(&sorted, i, j) == 1 ? "" : "s", j - i,
			j - i == 1 ? "" : "s");
		for (; i < j; i++)
			text_site(&sorted.sites[i], out, true);
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
		if (rank(s) != 1)
			continue;
		printed = 1;
		fprintf(out, "  %s: %" PRIu64 " call%s\n", s->core_path,
			group_sum(&sorted, i, j),
			group_sum(&sorted, i, j) == 1 ? "" : "s");
		for (; i < j; i++)
			text_site(&sorted.sites[i], out, false);
	}
	if (!printed)
		fprintf(out, "  none\n");

	for (i = 0, printed = 0; i < sorted.nr_sites; i++) {
		if (rank(&sorted.sites[i]) != 2)
			continue;
		if (!printed++)
			fprintf(out, "\nUNCLASSIFIED (stack too short to tell "
				     "who called)\n");
		text_site(&sorted.sites[i], out, true);
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
			h->function, h->attach,
			h->calls[0] + h->calls[1] + h->calls[2], h->calls[0],
			h->calls[1], h->calls[2]);
	}
	for (i = 0, printed = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		if (strcmp(h->attach, "absent"))
			continue;
		if (!printed++)
			fprintf(out, "  not watched here:");
		fprintf(out, "%s %s", printed > 1 ? "," : "", h->function);
	}
	if (printed)
		fputc('\n', out);
	free(sorted.sites);
	return ferror(out) ? -EIO : 0;
}

/* ---- JSON ---------------------------------------------------------- */

static json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
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
	return json_object_new_int64((int64_t)v);
}

static const char *probe_lock_name(int v)
{
	return v == 1 ? "held" : v == 0 ? "not_held" : "absent";
}

static int probe_lock_from_name(const char *s)
{
	return !strcmp(s, "held") ? 1 : !strcmp(s, "not_held") ? 0 : -1;
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
	return o;
}

/* group sites into [{key: name, violations: n, sites: [...]}] */
static json_object *json_groups(const struct la_report *r, int want_rank,
				const char *key)
{
	json_object *arr = json_object_new_array();
	size_t i, j;

	for (i = 0; i < r->nr_sites; i = j) {
		const struct la_rsite *s = &r->sites[i];
		const char *name = want_rank == 0 ? s->module : s->core_path;
		json_object *g, *sites;

		for (j = i + 1;
		     j < r->nr_sites && rank(&r->sites[j]) == rank(s) &&
		     !strcmp(want_rank == 0 ? r->sites[j].module
					    : r->sites[j].core_path,
			     name);
		     j++)
			;
		if (rank(s) != want_rank)
			continue;
		g = json_object_new_object();
		json_object_object_add(g, key, jstr(name));
		json_object_object_add(g, "violations",
				       jcount(group_sum(r, i, j)));
		sites = json_object_new_array();
		for (size_t k = i; k < j; k++)
			json_object_array_add(sites, json_site(&r->sites[k]));
		json_object_object_add(g, "sites", sites);
		json_object_array_add(arr, g);
	}
	return arr;
}

static json_object *json_sites(const struct la_report *r, int want_rank)
{
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (rank(&r->sites[i]) == want_rank)
			json_object_array_add(arr, json_site(&r->sites[i]));
	return arr;
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

static json_object *report_json(const struct la_report *r)
{
	json_object *o = json_object_new_object(), *a, *t, *d;
	struct la_report sorted = *r;
	uint64_t c[LA_NR_STATES];
	size_t i;

	sorted.sites = xrealloc(NULL, (r->nr_sites + 1) * sizeof(*r->sites));
	if (r->nr_sites)
		memcpy(sorted.sites, r->sites, r->nr_sites * sizeof(*r->sites));
	report__sort(&sorted);

	json_object_object_add(o, "schema", jstr(LA_SCHEMA));
	t = json_object_new_object();
	json_object_object_add(t, "name", jstr("lockaudit"));
	json_object_object_add(t, "version", jstr(LA_VERSION));
	json_object_object_add(o, "generator", t);
	json_object_object_add(o, "kernel", jstr(r->kernel));
	json_object_object_add(o, "arch", jstr(r->arch));
	json_object_object_add(o, "hostname", jstr(r->hostname));
	json_object_object_add(o, "started", jstr(r->started));
	json_object_object_add(o, "duration_s", jsec(r->duration_s));
	json_object_object_add(o, "sources",
			       json_object_new_int((int)r->sources));

	a = json_object_new_array();
	for (i = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];
		json_object *ho = json_object_new_object(), *calls;

		json_object_object_add(ho, "function", jstr(h->function));
		json_object_object_add(ho, "attach", jstr(h->attach));
		json_object_object_add(ho, "reason", jstr(h->reason));
		calls = json_object_new_object();
		for (int s = 0; s < LA_NR_STATES; s++)
			json_object_object_add(calls, la_state_name(s),
					       jcount(h->calls[s]));
		json_object_object_add(ho, "calls", calls);
		json_object_array_add(a, ho);
	}
	json_object_object_add(o, "hooks", a);

	for (i = 0; i < LA_NR_STATES; i++)
		c[i] = report__calls(r, (int)i);
	t = json_object_new_object();
	json_object_object_add(t, "calls_audited", jcount(c[0] + c[1] + c[2]));
	json_object_object_add(t, "held", jcount(c[LA_HELD]));
	json_object_object_add(t, "violations",
			       jcount(c[LA_UNLOCKED] + c[LA_HELD_OTHER]));
	json_object_object_add(t, "unlocked", jcount(c[LA_UNLOCKED]));
	json_object_object_add(t, "held_by_other", jcount(c[LA_HELD_OTHER]));
	d = json_object_new_object();
	json_object_object_add(d, "sites", jcount(r->dropped_sites));
	json_object_object_add(d, "events", jcount(r->dropped_events));
	json_object_object_add(d, "stack_errors", jcount(r->stack_errors));
	json_object_object_add(d, "concurrent", jcount(r->dropped_races));
	json_object_object_add(t, "dropped", d);
	json_object_object_add(o, "totals", t);

	a = json_object_new_array();
	for (i = 0; i < r->nr_races; i++)
		json_object_array_add(a, json_race(&r->races[i]));
	json_object_object_add(o, "concurrent", a);
	json_object_object_add(o, "drivers", json_groups(&sorted, 0, "module"));
	json_object_object_add(o, "core", json_groups(&sorted, 1, "path"));
	json_object_object_add(o, "unclassified", json_sites(&sorted, 2));
	json_object_object_add(o, "held", json_sites(&sorted, 3));
	free(sorted.sites);
	return o;
}

int report__write_json(const struct la_report *r, FILE *out, bool pretty)
{
	json_object *o = report_json(r);
	const char *s = json_object_to_json_string_ext(
		o, (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
			   JSON_C_TO_STRING_NOSLASHESCAPE);
	int err = 0;

	if (!s || fputs(s, out) < 0 || fputc('\n', out) < 0 || fflush(out))
		err = -EIO;
	json_object_put(o);
	return err;
}

int report__save_json(const struct la_report *r, const char *path, bool pretty)
{
	char *dir_copy = xstrdup(path), *tmp;
	const char *dir = dirname(dir_copy);
	size_t len = strlen(dir) + 32;
	FILE *f;
	int fd, err;

	tmp = xrealloc(NULL, len);
	snprintf(tmp, len, "%s/.lockaudit.XXXXXX", dir);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	f = fdopen(fd, "w");
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
		err = -EIO;
	if (!err && chmod(tmp, 0644))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
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

static void jfail(struct jreader *jr, const char *what, const char *key)
{
	if (jr->failed++)
		return;
	snprintf(jr->err, jr->errlen, "%s: %s '%s'", jr->path, what, key);
}

static json_object *jget(struct jreader *jr, json_object *o, const char *key,
			 json_type type)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		jfail(jr, "missing field", key);
		return NULL;
	}
	if (!json_object_is_type(v, type)) {
		/* integers are valid doubles */
		if (!(type == json_type_double &&
		      json_object_is_type(v, json_type_int))) {
			jfail(jr, "wrong type for field", key);
			return NULL;
		}
	}
	return v;
}

static const char *jget_str(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_string);

	return v ? json_object_get_string(v) : "";
}

static uint64_t jget_count(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_int);
	int64_t n;

	if (!v)
		return 0;
	n = json_object_get_int64(v);
	if (n < 0) {
		jfail(jr, "negative count in", key);
		return 0;
	}
	return (uint64_t)n;
}

static double jget_double(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_double);

	return v ? json_object_get_double(v) : 0;
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

static int read_site(struct jreader *jr, json_object *o, struct la_report *r)
{
	struct la_rsite in;
	json_object *a, *v;
	const char *g;
	size_t i;

	memset(&in, 0, sizeof(in));
	if (!json_object_is_type(o, json_type_object)) {
		jfail(jr, "site is not an object in", "sites");
		return -1;
	}
	in.entry = xstrdup(jget_str(jr, o, "entry_point"));
	in.state = state_from_name(jget_str(jr, o, "lock_state"));
	if (in.state < 0)
		jfail(jr, "unknown value of", "lock_state");
	in.count = jget_count(jr, o, "count");
	/* optional: reports before 0.2 have none */
	if (json_object_object_get_ex(o, "counted_by_caller", &v))
		in.by_caller = jget_count(jr, o, "counted_by_caller");
	if (in.by_caller > in.count)
		jfail(jr, "more than count in", "counted_by_caller");
	in.first_s = jget_double(jr, o, "first_seen_s");
	in.last_s = jget_double(jr, o, "last_seen_s");
	g = jget_str(jr, o, "group");
	in.group = !strcmp(g, "driver") ? LA_GROUP_DRIVER
		   : !strcmp(g, "core") ? LA_GROUP_CORE
					: LA_GROUP_UNCLASSIFIED;
	v = jget(jr, o, "registered", json_type_boolean);
	in.registered = v && json_object_get_boolean(v);
	in.probe_lock = probe_lock_from_name(
		jget_str(jr, o, "iommu_probe_device_lock"));
	/* derived, not trusted from the file */
	in.severity =
		la_severity(in.group, in.state, in.registered, in.probe_lock);
	in.core_path = xstrdup(
		in.group == LA_GROUP_CORE ? jget_str(jr, o, "core_path") : "");
	in.module = xstrdup(
		in.group == LA_GROUP_DRIVER ? jget_str(jr, o, "module") : "");
	in.function = xstrdup(
		in.group == LA_GROUP_DRIVER ? jget_str(jr, o, "function") : "");
	in.caller = xstrdup(
		in.group == LA_GROUP_DRIVER ? jget_str(jr, o, "caller") : "");
	in.holder_comm = xstrdup("");
	if (in.state == LA_HELD_OTHER &&
	    (a = jget(jr, o, "holder", json_type_object))) {
		in.holder_pid = (int)jget_count(jr, a, "pid");
		free(in.holder_comm);
		in.holder_comm = xstrdup(jget_str(jr, a, "comm"));
	}
	a = jget(jr, o, "devices", json_type_array);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *d = json_object_array_get_idx(a, i), *drv;
		const char *driver = "";

		if (json_object_object_get_ex(d, "driver", &drv) &&
		    json_object_is_type(drv, json_type_string))
			driver = json_object_get_string(drv);
		v = jget(jr, d, "registered", json_type_boolean);
		report__add_dev(&in, jget_str(jr, d, "name"),
				jget_str(jr, d, "bus"), driver,
				v && json_object_get_boolean(v));
	}
	a = jget(jr, o, "stack", json_type_array);
	in.nr_frames = a ? json_object_array_length(a) : 0;
	in.frames = xrealloc(NULL, (in.nr_frames + 1) * sizeof(char *));
	for (i = 0; i < in.nr_frames; i++) {
		v = json_object_array_get_idx(a, i);
		in.frames[i] = xstrdup(json_object_is_type(v, json_type_string)
					       ? json_object_get_string(v)
					       : "?");
	}
	v = jget(jr, o, "stack_truncated", json_type_boolean);
	in.truncated = v && json_object_get_boolean(v);
	if (jr->failed) {
		site_free(&in);
		return -1;
	}
	merge_site(r, &in);
	return 0;
}

static void read_race(struct jreader *jr, json_object *o, struct la_report *r)
{
	struct la_rrace in;
	json_object *d, *ts, *v;
	char *frames[2][LA_MAX_STACK * 2];

	memset(&in, 0, sizeof(in));
	in.count = jget_count(jr, o, "count");
	in.first_s = jget_double(jr, o, "first_seen_s");
	in.last_s = jget_double(jr, o, "last_seen_s");
	d = jget(jr, o, "device", json_type_object);
	in.dev.name = (char *)(d ? jget_str(jr, d, "name") : "");
	in.dev.bus = (char *)(d ? jget_str(jr, d, "bus") : "");
	in.dev.driver = "";
	if (d && json_object_object_get_ex(d, "driver", &v) &&
	    json_object_is_type(v, json_type_string))
		in.dev.driver = (char *)json_object_get_string(v);
	v = d ? jget(jr, d, "registered", json_type_boolean) : NULL;
	in.dev.registered = v && json_object_get_boolean(v);
	ts = jget(jr, o, "tasks", json_type_array);
	if (!ts || json_object_array_length(ts) != 2) {
		jfail(jr, "want two tasks in", "concurrent");
		return;
	}
	for (int t = 0; t < 2; t++) {
		json_object *to = json_object_array_get_idx(ts, t), *st;

		in.task[t].entry = (char *)jget_str(jr, to, "entry_point");
		in.task[t].pid = (int)jget_count(jr, to, "pid");
		in.task[t].comm = (char *)jget_str(jr, to, "comm");
		st = jget(jr, to, "stack", json_type_array);
		in.task[t].nr_frames = st ? json_object_array_length(st) : 0;
		if (in.task[t].nr_frames > LA_MAX_STACK * 2)
			in.task[t].nr_frames = LA_MAX_STACK * 2;
		for (size_t i = 0; i < in.task[t].nr_frames; i++)
			frames[t][i] = (char *)json_object_get_string(
				json_object_array_get_idx(st, i));
		in.task[t].frames = frames[t];
	}
	if (!jr->failed)
		report__add_race(r, &in);
}

static int read_sites(struct jreader *jr, json_object *arr, struct la_report *r)
{
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++)
		if (read_site(jr, json_object_array_get_idx(arr, i), r))
			return -1;
	return 0;
}

static int read_groups(struct jreader *jr, json_object *arr,
		       struct la_report *r)
{
	size_t i;

	for (i = 0; arr && i < json_object_array_length(arr); i++) {
		json_object *g = json_object_array_get_idx(arr, i);

		if (read_sites(jr, jget(jr, g, "sites", json_type_array), r))
			return -1;
	}
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

int report__merge_file(struct la_report *r, const char *path, char *err,
		       size_t errlen)
{
	struct jreader jr = {.path = path, .err = err, .errlen = errlen};
	json_object *o, *a, *t, *d;
	const char *schema, *started;
	size_t i;
	int ret = -EINVAL;

	o = json_object_from_file(path);
	if (!o) {
		int e = errno;
		FILE *f = fopen(path, "re");

		if (!f) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -errno;
		}
		fclose(f);
		snprintf(err, errlen, "%s: not valid JSON (%s)", path,
			 json_util_get_last_err() ? json_util_get_last_err()
						  : strerror(e));
		/* json-c's message ends with a newline */
		err[strcspn(err, "\n")] = 0;
		return -EINVAL;
	}
	if (!json_object_is_type(o, json_type_object)) {
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
	merge_name(&r->kernel, jget_str(&jr, o, "kernel"));
	merge_name(&r->arch, jget_str(&jr, o, "arch"));
	merge_name(&r->hostname, jget_str(&jr, o, "hostname"));
	started = jget_str(&jr, o, "started");
	if (!r->started || strcmp(started, r->started) < 0) {
		free(r->started);
		r->started = xstrdup(started);
	}
	r->duration_s += jget_double(&jr, o, "duration_s");
	r->sources += (unsigned int)jget_count(&jr, o, "sources");

	a = jget(&jr, o, "hooks", json_type_array);
	for (i = 0; a && i < json_object_array_length(a); i++) {
		json_object *h = json_object_array_get_idx(a, i), *c;
		size_t before = r->nr_hooks;
		struct la_rhook *rh =
			report__hook(r, jget_str(&jr, h, "function"));
		const char *attach = jget_str(&jr, h, "attach");

		/* a new line takes the file's; "absent" yields to an attach */
		if (r->nr_hooks != before || (!strcmp(rh->attach, "absent") &&
					      strcmp(attach, "absent"))) {
			free(rh->attach);
			rh->attach = xstrdup(attach);
			free(rh->reason);
			rh->reason = xstrdup(jget_str(&jr, h, "reason"));
		}
		c = jget(&jr, h, "calls", json_type_object);
		for (int s = 0; c && s < LA_NR_STATES; s++)
			rh->calls[s] += jget_count(&jr, c, la_state_name(s));
	}
	t = jget(&jr, o, "totals", json_type_object);
	d = t ? jget(&jr, t, "dropped", json_type_object) : NULL;
	if (d) {
		r->dropped_sites += jget_count(&jr, d, "sites");
		r->dropped_events += jget_count(&jr, d, "events");
		r->stack_errors += jget_count(&jr, d, "stack_errors");
		r->dropped_races += jget_count(&jr, d, "concurrent");
	}
	a = jget(&jr, o, "concurrent", json_type_array);
	for (i = 0; a && !jr.failed && i < json_object_array_length(a); i++)
		read_race(&jr, json_object_array_get_idx(a, i), r);
	if (jr.failed ||
	    read_groups(&jr, jget(&jr, o, "drivers", json_type_array), r) ||
	    read_groups(&jr, jget(&jr, o, "core", json_type_array), r) ||
	    read_sites(&jr, jget(&jr, o, "unclassified", json_type_array), r) ||
	    read_sites(&jr, jget(&jr, o, "held", json_type_array), r))
		goto out;
	ret = 0;
out:
	json_object_put(o);
	return ret;
}
