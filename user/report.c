// SPDX-License-Identifier: GPL-2.0
/*
 * report.c - the one report model: sites, concurrent findings, hooks and
 * their examples added, identical items merged (counts added up), freed;
 * lock state names; what the kernel could not keep (la_drops).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report_int.h"
#include "xalloc.h"

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
	case LA_READ_HELD:
		return "read_held";
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
	case LA_READ_HELD:
		return "READ-HELD";
	default:
		return "?";
	}
}

int report__state_from_name(const char *s)
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
	 offsetof(struct la_report, dropped_sites), false},
	{"events", "live events lost (ring buffer full)",
	 "missing from the events file and the live view; the counts above "
	 "are complete",
	 offsetof(struct la_report, dropped_events), false},
	{"stack_errors", "stacks unreadable",
	 "those calls are in sites without a stack (UNCLASSIFIED)",
	 offsetof(struct la_report, stack_errors), false},
	{"concurrent", "concurrent findings not kept (map full)",
	 "CONCURRENT above is incomplete",
	 offsetof(struct la_report, dropped_races), false},
	{"tracking", "calls not tracked for concurrency (map full)",
	 "CONCURRENT above can miss races these calls were part of",
	 offsetof(struct la_report, dropped_tracking), false},
	{"modules", "module load/unload records lost (map full)",
	 "frames of modules unloaded before the report may stay addresses",
	 offsetof(struct la_report, dropped_modules), false},
	{"names", "module frames not named by the kernel (map full)",
	 "named from kallsyms instead: by module and offset if the module "
	 "is gone",
	 offsetof(struct la_report, dropped_names), false},
	{"paths",
	 "calls whose lock could not be reached (NULL on a rule's "
	 "path)",
	 "those calls are not judged: in no count above",
	 offsetof(struct la_report, dropped_paths), false},
	{"missed",
	 "calls the kernel did not let a program run (another BPF program, "
	 "or the same one, was running on that CPU)",
	 "in no count above", offsetof(struct la_report, dropped_missed), true},
	{"missed_exit",
	 "returns the kernel did not let a program see (--races: another "
	 "BPF program was running on that CPU, or no kretprobe instance was "
	 "free)",
	 "CONCURRENT above can name a task as still inside that had returned",
	 offsetof(struct la_report, dropped_missed_exit), true},
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
	free(s->rule);
	free(s->rule_src);
	for (i = 0; i < s->nr_nested; i++)
		free(s->nested[i].entry);
	free(s->nested);
	free(s->ranges);
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
	uint64_t h = LA_HASH_SEED;

	for (int t = 0; t < 2; t++) {
		h = la_hash_str(h, x->task[t].entry);
		h = la_hash_u64(h, x->task[t].nr_frames);
		for (size_t i = 0; i < x->task[t].nr_frames; i++)
			h = la_hash_str(h, x->task[t].frames[i]);
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
		la_index_sync(r, IDX_RACES, r->nr_races, r->races,
			      sizeof(*r->races), race_hash, race_eq);
	uint64_t h = race_hash(in);
	struct la_rrace *x;
	size_t i = la_index_find(idx, h, race_eq, r, in);

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
	la_index_put(idx, h, r->nr_races);
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
		free(r->hooks[i].rule);
		free(r->hooks[i].rule_src);
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
		la_index_free(r->index[i]);
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
	s->rule = xstrdup("");
	s->rule_src = xstrdup("");
	s->hold = LA_HOLD_ANY;
	s->device = true;
	s->severity = la_severity(a.group, state, registered, probe_lock,
				  s->hold, s->device);
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

void report__site_rule(struct la_rsite *s, const char *rule, const char *src,
		       int hold, bool device)
{
	free(s->rule);
	free(s->rule_src);
	s->rule = xstrdup(rule);
	s->rule_src = xstrdup(src);
	s->hold = hold;
	s->device = device;
	s->severity = la_severity(s->group, s->state, s->registered,
				  s->probe_lock, hold, device);
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

void report__add_nested(struct la_rsite *s, const char *entry, uint64_t n)
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
	const struct la_rhook *h = item;

	return la_hash_str(la_hash_str(LA_HASH_SEED, h->function),
			   h->rule_src ? h->rule_src : "");
}

/* key: a struct la_rhook, its function and rule's source compared */
static bool hook_eq(const struct la_report *r, size_t idx, const void *key)
{
	const struct la_rhook *k = key, *h = &r->hooks[idx];

	return !strcmp(h->function, k->function) &&
	       !strcmp(h->rule_src ? h->rule_src : "",
		       k->rule_src ? k->rule_src : "");
}

struct la_rhook *report__hook(struct la_report *r, const char *function)
{
	return report__hook_rule(r, function, "", "", LA_HOLD_ANY);
}

struct la_rhook *report__hook_rule(struct la_report *r, const char *function,
				   const char *rule, const char *src, int hold)
{
	struct la_index *idx =
		la_index_sync(r, IDX_HOOKS, r->nr_hooks, r->hooks,
			      sizeof(*r->hooks), hook_hash, hook_eq);
	struct la_rhook key = {.function = (char *)function,
			       .rule_src = (char *)src},
			*h;
	uint64_t hh = hook_hash(&key);
	size_t i = la_index_find(idx, hh, hook_eq, r, &key);

	if (i != SIZE_MAX)
		return &r->hooks[i];
	r->hooks =
		grow(r->hooks, &r->cap_hooks, r->nr_hooks, sizeof(*r->hooks));
	la_index_put(idx, hh, r->nr_hooks);
	h = &r->hooks[r->nr_hooks++];
	r->indexed[IDX_HOOKS] = r->nr_hooks;
	memset(h, 0, sizeof(*h));
	h->function = xstrdup(function);
	h->attach = xstrdup("absent");
	h->reason = xstrdup("");
	h->rule = xstrdup(rule);
	h->rule_src = xstrdup(src);
	h->hold = hold;
	return h;
}

bool report__add_missed(uint64_t *sum, uint64_t v)
{
	uint64_t s;

	if (*sum == LA_UNKNOWN || v == LA_UNKNOWN) {
		*sum = LA_UNKNOWN;
		return true;
	}
	if (__builtin_add_overflow(*sum, v, &s) || s > LA_COUNT_MAX)
		return false;
	*sum = s;
	return true;
}

void report__sum_missed(struct la_report *r)
{
	r->dropped_missed = 0;
	r->dropped_missed_exit = 0;
	for (size_t i = 0; i < r->nr_hooks; i++) {
		const struct la_rhook *h = &r->hooks[i];

		/* an absent hook has no program: its 0 is exact */
		if (!strcmp(h->attach, "absent"))
			continue;
		/* saturated: counts from one kernel never come near */
		if (!report__add_missed(&r->dropped_missed, h->missed))
			r->dropped_missed = LA_COUNT_MAX;
		if (!report__add_missed(&r->dropped_missed_exit,
					h->missed_exit))
			r->dropped_missed_exit = LA_COUNT_MAX;
	}
}

uint64_t report__calls(const struct la_report *r, int state)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < r->nr_hooks; i++)
		sum += r->hooks[i].calls[state];
	return sum;
}

uint64_t report__violations(const struct la_report *r, int state)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i < r->nr_hooks; i++)
		if (la_violation(state, r->hooks[i].hold))
			sum += r->hooks[i].calls[state];
	return sum;
}

/* site_hash() hashes what this compares (or less): change them together */
static bool same_site(const struct la_rsite *a, const struct la_rsite *b)
{
	size_t i;

	if (strcmp(a->rule, b->rule) || strcmp(a->rule_src, b->rule_src) ||
	    a->hold != b->hold || a->device != b->device)
		return false;
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
	uint64_t h = LA_HASH_SEED;
	size_t i;

	h = la_hash_u64(h, (uint64_t)(int64_t)s->state);
	h = la_hash_u64(h, s->group);
	h = la_hash_u64(h, s->registered);
	h = la_hash_u64(h, (uint64_t)(int64_t)s->probe_lock);
	h = la_hash_u64(h, s->nr_frames);
	h = la_hash_str(h, s->entry);
	h = la_hash_str(h, s->module);
	h = la_hash_str(h, s->function);
	h = la_hash_str(h, s->core_path);
	h = la_hash_str(h, s->rule);
	h = la_hash_str(h, s->rule_src);
	for (i = 0; i < s->nr_frames; i++)
		h = la_hash_str(h, s->frames[i]);
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
		la_index_sync(r, IDX_SITES, r->nr_sites, r->sites,
			      sizeof(*r->sites), site_hash, site_eq);
	uint64_t h = site_hash(in);
	size_t i = la_index_find(idx, h, site_eq, r, in);
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
			report__add_nested(s, in->nested[k].entry,
					   in->nested[k].count);
		la_ranges_union(s, in);
		site_free(in);
		return;
	}
	s = new_site(r);
	*s = *in;
	la_index_put(idx, h, r->nr_sites - 1);
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
