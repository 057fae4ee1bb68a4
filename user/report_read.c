// SPDX-License-Identifier: GPL-2.0
/*
 * report_read.c - a JSON report's items (sites, concurrent findings, hooks,
 * runs) read strictly, each field checked (report_jget.c), and merged into
 * the model; what the report derives (attribution, severity) is derived again.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report_int.h"
#include "report_read.h"
#include "rules.h"
#include "xalloc.h"

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

/* the rule a site or hook names (optional: reports before rules have
 * none; then "" and the built-in's hold and device) */
struct rrule {
	const char *text, *src;
	int hold;
	bool device;
};

static void read_rule(struct jreader *jr, json_object *o, struct rrule *ru)
{
	json_object *v;
	const char *hold;

	ru->text = ru->src = "";
	ru->hold = LA_HOLD_ANY;
	ru->device = true;
	if (!json_object_object_get_ex(o, "rule", NULL))
		return;
	v = jget(jr, o, "rule", json_type_object);
	if (!v)
		return;
	ru->text = jget_str(jr, v, "assertion");
	ru->src = jget_str(jr, v, "source");
	hold = jget_str(jr, v, "hold");
	for (ru->hold = 0; ru->hold <= LA_HOLD_READ; ru->hold++)
		if (!strcmp(hold, rules__hold_name(ru->hold)))
			break;
	if (!jr->failed && ru->hold > LA_HOLD_READ)
		jfail(jr, "unknown value of", "hold");
	if (!jr->failed && !ru->src[0])
		jfail(jr, "empty string in", "source");
	/* sites say whether the lock is a device's; hooks need not */
	if (json_object_object_get_ex(v, "device", NULL))
		ru->device = jget_bool(jr, v, "device");
}

/* "registered": a boolean, or null where the rule's lock is no device's */
static bool read_registered(struct jreader *jr, json_object *o, bool device)
{
	json_object *v = NULL;

	if (!device) {
		if (!json_object_object_get_ex(o, "registered", &v) || v)
			jfail(jr, "non-null value of", "registered");
		return false;
	}
	return jget_bool(jr, o, "registered");
}

/*
 * A site's runs into one (a site of a file's runs): "run_ranges", [[lo, hi],
 * ...] in the file's "runs", ascending and apart, if it lists its runs, else
 * its one run; r's run indexes.
 */
static void read_ranges(struct jreader *jr, json_object *o,
			struct la_rsite *one)
{
	json_object *a, *x;
	uint64_t lo, hi, next = 0;
	size_t i;

	if (!jr->listed) {
		if (json_object_object_get_ex(o, "run_ranges", NULL))
			jfail(jr, "a report of one run with", "run_ranges");
		la_ranges_add(one, (uint32_t)jr->run_base,
			      (uint32_t)jr->run_base);
		return;
	}
	a = jget(jr, o, "run_ranges", json_type_array);
	if (a && !json_object_array_length(a))
		jfail(jr, "no run in", "run_ranges");
	for (i = 0; a && !jr->failed && i < json_object_array_length(a); i++) {
		x = jitem(jr, a, i, json_type_array, "run_ranges");
		if (x && json_object_array_length(x) != 2)
			jfail(jr, "want [first, last] in", "run_ranges");
		if (jr->failed)
			return;
		lo = jcheck_count(jr,
				  jitem(jr, x, 0, json_type_int, "run_ranges"),
				  "run_ranges", UINT32_MAX);
		hi = jcheck_count(jr,
				  jitem(jr, x, 1, json_type_int, "run_ranges"),
				  "run_ranges", UINT32_MAX);
		if (!jr->failed && (lo < next || hi < lo || hi >= jr->nr_runs))
			jfail(jr, "runs not ascending or not in 'runs' in",
			      "run_ranges");
		if (jr->failed)
			return;
		la_ranges_add(one, (uint32_t)(jr->run_base + lo),
			      (uint32_t)(jr->run_base + hi));
		next = hi + 1;
	}
}

/*
 * A site: the facts are read and checked, the attribution (group, module,
 * function, caller, core path) and the severity are derived from the stack
 * as for a live site; what the file says of them is not read.
 */
int read_site(struct jreader *jr, json_object *o, struct la_report *r)
{
	const char *entry, *pl, *comm = "";
	json_object *devs, *nested, *v;
	struct la_rsite *s, one = {0};
	struct la_rdev dev;
	int state, probe_lock, pid = 0;
	uint64_t count, by_caller = 0;
	double first_s, last_s;
	bool registered, truncated;
	struct rrule ru;
	char **frames;
	size_t i, n;

	if (!json_object_is_type(o, json_type_object)) {
		jfail(jr, "site is not an object in", "sites");
		return -1;
	}
	read_rule(jr, o, &ru);
	entry = jget_str(jr, o, "entry_point");
	state = report__state_from_name(jget_str(jr, o, "lock_state"));
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
	registered = read_registered(jr, o, ru.device);
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
		read_ranges(jr, o, &one);
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
		free(one.ranges);
		return -1;
	}
	s = report__add_site(r, entry, state, frames, n, truncated, registered,
			     probe_lock);
	free(frames);
	report__site_rule(s, ru.text, ru.src, ru.hold, ru.device);
	s->ranges = one.ranges;
	s->nr_ranges = one.nr_ranges;
	s->cap_ranges = one.cap_ranges;
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

		report__add_nested(s, jget_str(jr, x, "entry_point"),
				   jget_count(jr, x, "count"));
	}
	report__merge_last(r);
	return 0;
}

int read_race(struct jreader *jr, json_object *o, struct la_report *r)
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

void merge_name(char **dst, const char *src)
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

/* what same_run() compares */
static uint64_t run_hash(const void *item)
{
	const struct la_run *x = item;

	return la_hash_str(
		la_hash_str(la_hash_str(LA_HASH_SEED, x->hostname), x->kernel),
		x->started);
}

/* key: a struct la_run */
static bool run_eq(const struct la_report *r, size_t idx, const void *key)
{
	const struct la_run *k = key;

	return same_run(&r->runs[idx], k->hostname, k->kernel, k->started);
}

/* Add one run to r, refused if r has it already (an input read twice, two
 * snapshots of one run, or a merged report holding a run merged again) */
static void add_run(struct jreader *jr, struct la_report *r, const char *host,
		    const char *kernel, const char *started)
{
	struct la_run *x, key = {(char *)host, (char *)kernel, (char *)started};
	struct la_index *idx;
	uint64_t h = run_hash(&key);

	if (jr->failed)
		return;
	if (r->nr_runs >= UINT32_MAX) {
		jfail(jr, "more than 2^32-1 runs merged, at", "runs");
		return;
	}
	idx = la_index_sync(r, IDX_RUNS, r->nr_runs, r->runs, sizeof(*r->runs),
			    run_hash, run_eq);
	if (la_index_find(idx, h, run_eq, r, &key) != SIZE_MAX) {
		jr->failed++;
		snprintf(jr->err, jr->errlen,
			 "%s: the run on '%s' (kernel %s) started %s is merged "
			 "already: its counts would be counted twice",
			 jr->path, host, kernel, started);
		return;
	}
	if (r->nr_runs == r->cap_runs) {
		r->cap_runs = r->cap_runs ? r->cap_runs * 2 : 16;
		r->runs = xrealloc(r->runs, r->cap_runs * sizeof(*r->runs));
	}
	la_index_put(idx, h, r->nr_runs);
	x = &r->runs[r->nr_runs++];
	r->indexed[IDX_RUNS] = r->nr_runs;
	x->hostname = xstrdup(host);
	x->kernel = xstrdup(kernel);
	x->started = xstrdup(started);
}

/* The runs a report covers: its "runs" (a merged report), or the one run
 * its hostname, kernel and started name. */
void read_runs(struct jreader *jr, json_object *o, struct la_report *r)
{
	size_t i, before = r->nr_runs;
	json_object *a, *x;

	jr->run_base = before;
	jr->listed = json_object_object_get_ex(o, "runs", &a);
	if (!jr->listed) {
		add_run(jr, r, jget_str(jr, o, "hostname"),
			jget_str(jr, o, "kernel"), jget_str(jr, o, "started"));
		jr->nr_runs = r->nr_runs - before;
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
	/* refused: r keeps only the runs it had (the index starts over) */
	while (jr->failed && r->nr_runs > before) {
		r->nr_runs--;
		free(r->runs[r->nr_runs].hostname);
		free(r->runs[r->nr_runs].kernel);
		free(r->runs[r->nr_runs].started);
		r->indexed[IDX_RUNS] = 0;
	}
	jr->nr_runs = r->nr_runs - before;
}

/* one hook line: added up by function */
int read_hook(struct jreader *jr, json_object *h, struct la_report *r)
{
	uint64_t calls[LA_NR_STATES], missed[2];
	const char *function, *attach;
	struct la_rhook *rh;
	size_t before = r->nr_hooks;
	struct rrule ru;
	json_object *v;

	if (!jtype(h, json_type_object)) {
		jfail(jr, "wrong type for an item of", "hooks");
		return -1;
	}
	function = jget_str(jr, h, "function");
	attach = jget_str(jr, h, "attach");
	if (!jr->failed && strcmp(attach, "fentry") &&
	    strcmp(attach, "kprobe") && strcmp(attach, "absent"))
		jfail(jr, "unknown value of", "attach");
	v = jget(jr, h, "calls", json_type_object);
	for (int st = 0; st < LA_NR_STATES; st++) {
		/* read_held: optional (reports before rwsem rules) */
		calls[st] = v && (st != LA_READ_HELD ||
				  json_object_object_get_ex(
					  v, la_state_name(st), NULL))
				    ? jget_count(jr, v, la_state_name(st))
				    : 0;
		jadd(jr, &r->read_calls, calls[st], la_state_name(st));
	}
	jget_str(jr, h, "reason");
	missed[0] = jget_missed(jr, h, "missed");
	missed[1] = jget_missed(jr, h, "missed_exit");
	read_rule(jr, h, &ru);
	if (jr->failed)
		return -1;
	rh = report__hook_rule(r, function, ru.text, ru.src, ru.hold);
	/* a new line starts at 0 (known): the file's is added */
	jadd_missed(jr, &rh->missed, missed[0], "missed");
	jadd_missed(jr, &rh->missed_exit, missed[1], "missed_exit");
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
	return 0;
}
