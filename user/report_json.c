// SPDX-License-Identifier: GPL-2.0
/*
 * report_json.c - the JSON report (lockaudit.report/2, docs/report.schema.json)
 * written as it is made, item by item; and saved atomically to a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <linux/types.h>

#include "atomic.h"
#include "json.h"
#include "lockaudit.h"
#include "report_int.h"
#include "rules.h"
#include "xalloc.h"

static const char *probe_lock_name(int v)
{
	return v == 1 ? "held" : v == 0 ? "not_held" : "absent";
}

static json_object *json_rule(const char *text, const char *src, int hold,
			      bool device)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "assertion", la_json_str(text));
	json_object_object_add(o, "source", la_json_str(src));
	json_object_object_add(o, "hold", la_json_str(rules__hold_name(hold)));
	json_object_object_add(o, "device", json_object_new_boolean(device));
	return o;
}

/* the kernels s was seen on: [{kernel, machines}], most machines first */
static json_object *json_kernels(const struct la_report *view,
				 const struct la_rsite *s)
{
	size_t max = la_fleet_kernels(view), n;
	struct la_kcount *k = xrealloc(NULL, (max + 1) * sizeof(*k));
	json_object *a = json_object_new_array();

	n = la_fleet_kernels_of(view, s, k, max);
	for (size_t i = 0; i < n && i < max; i++) {
		json_object *x = json_object_new_object();

		json_object_object_add(x, "kernel", la_json_str(k[i].kernel));
		json_object_object_add(x, "machines",
				       la_json_count(k[i].machines));
		json_object_array_add(a, x);
	}
	free(k);
	return a;
}

/* the runs s was seen in: [[first, last], ...] into view's "runs" */
static json_object *json_ranges(const struct la_rsite *s)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < s->nr_ranges; i++) {
		json_object *x = json_object_new_array();

		json_object_array_add(x, la_json_count(s->ranges[i].lo));
		json_object_array_add(x, la_json_count(s->ranges[i].hi));
		json_object_array_add(a, x);
	}
	return a;
}

static json_object *json_site(const struct la_report *view,
			      const struct la_rsite *s)
{
	json_object *o = json_object_new_object(), *a;
	size_t i;

	json_object_object_add(o, "entry_point", la_json_str(s->entry));
	json_object_object_add(o, "lock_state",
			       la_json_str(la_state_name(s->state)));
	json_object_object_add(o, "count", la_json_count(s->count));
	json_object_object_add(o, "counted_by_caller",
			       la_json_count(s->by_caller));
	json_object_object_add(o, "machines", la_json_count(s->machines));
	json_object_object_add(o, "kernels", json_kernels(view, s));
	json_object_object_add(o, "group",
			       la_json_str(la_group_name(s->group)));
	json_object_object_add(o, "severity",
			       la_json_str(la_severity_name(s->severity)));
	if (s->rule_src[0])
		json_object_object_add(
			o, "rule",
			json_rule(s->rule, s->rule_src, s->hold, s->device));
	/* null: the rule's lock is not a device's */
	json_object_object_add(
		o, "registered",
		s->device ? json_object_new_boolean(s->registered) : NULL);
	json_object_object_add(o, "iommu_probe_device_lock",
			       la_json_str(probe_lock_name(s->probe_lock)));
	if (s->group == LA_GROUP_CORE)
		json_object_object_add(o, "core_path",
				       la_json_str(s->core_path));
	if (s->group == LA_GROUP_DRIVER) {
		json_object_object_add(o, "module", la_json_str(s->module));
		json_object_object_add(o, "function", la_json_str(s->function));
		json_object_object_add(o, "caller", la_json_str(s->caller));
	}
	json_object_object_add(o, "first_seen_s", la_json_sec(s->first_s));
	json_object_object_add(o, "last_seen_s", la_json_sec(s->last_s));
	if (s->state == LA_HELD_OTHER) {
		a = json_object_new_object();
		json_object_object_add(a, "pid",
				       json_object_new_int(s->holder_pid));
		json_object_object_add(a, "comm", la_json_str(s->holder_comm));
		json_object_object_add(o, "holder", a);
	}
	a = json_object_new_array();
	for (i = 0; i < s->nr_devs; i++)
		json_object_array_add(a, la_json_dev(s->devs[i].name,
						     s->devs[i].bus,
						     s->devs[i].driver,
						     s->devs[i].registered));
	json_object_object_add(o, "devices", a);
	a = json_object_new_array();
	for (i = 0; i < s->nr_frames; i++)
		json_object_array_add(a, la_json_str(s->frames[i]));
	json_object_object_add(o, "stack", a);
	json_object_object_add(o, "stack_truncated",
			       json_object_new_boolean(s->truncated));
	if (s->nr_nested) {
		a = json_object_new_array();
		for (i = 0; i < s->nr_nested; i++) {
			json_object *x = json_object_new_object();

			json_object_object_add(x, "entry_point",
					       la_json_str(s->nested[i].entry));
			json_object_object_add(
				x, "count", la_json_count(s->nested[i].count));
			json_object_array_add(a, x);
		}
		json_object_object_add(o, "nested", a);
	}
	/* with "runs" only: a report of one run is that run's */
	if (view->nr_runs > 1)
		json_object_object_add(o, "run_ranges", json_ranges(s));
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

/* the sites of a group, each an element of the open array */
static void jw_sites(struct jw *w, const struct la_report *r,
		     const struct la_site_group *g)
{
	for (size_t i = g->from; i < g->to; i++) {
		jw_elem(w);
		jw_value(w, json_site(r, &r->sites[i]));
	}
}

/* a section's groups: [{key: name, violations: n, sites: [...]}] */
static void json_groups(struct jw *w, const struct la_report *r,
			enum la_section sec, const char *key)
{
	struct la_site_group g = {0};

	jw_open(w, "[");
	while (report__next_group(r, sec, &g)) {
		jw_elem(w);
		jw_open(w, "{");
		jw_member(w, key, la_json_str(g.name));
		jw_member(w, "violations", la_json_count(g.count));
		jw_key(w, "sites");
		jw_open(w, "[");
		jw_sites(w, r, &g);
		jw_close(w, "]");
		jw_close(w, "}");
	}
	jw_close(w, "]");
}

/* a section's sites, ungrouped: [...] */
static void json_sites(struct jw *w, const struct la_report *r,
		       enum la_section sec)
{
	struct la_site_group g = {0};

	jw_open(w, "[");
	while (report__next_group(r, sec, &g))
		jw_sites(w, r, &g);
	jw_close(w, "]");
}

/* item i of r's array, as a json-c object */
typedef json_object *json_item_fn(const struct la_report *r, size_t i);

static json_object *json_race(const struct la_report *r, size_t i)
{
	const struct la_rrace *x = &r->races[i];
	json_object *o = json_object_new_object(),
		    *ts = json_object_new_array();

	json_object_object_add(o, "entry_point", la_json_str(x->task[1].entry));
	json_object_object_add(o, "count", la_json_count(x->count));
	json_object_object_add(o, "first_seen_s", la_json_sec(x->first_s));
	json_object_object_add(o, "last_seen_s", la_json_sec(x->last_s));
	json_object_object_add(o, "device",
			       la_json_dev(x->dev.name, x->dev.bus,
					   x->dev.driver, x->dev.registered));
	for (int t = 0; t < 2; t++) {
		json_object *to = json_object_new_object(),
			    *st = json_object_new_array();

		json_object_object_add(to, "role",
				       la_json_str(t ? "entering" : "inside"));
		json_object_object_add(to, "pid",
				       json_object_new_int(x->task[t].pid));
		json_object_object_add(to, "comm",
				       la_json_str(x->task[t].comm));
		json_object_object_add(to, "entry_point",
				       la_json_str(x->task[t].entry));
		for (size_t j = 0; j < x->task[t].nr_frames; j++)
			json_object_array_add(
				st, la_json_str(x->task[t].frames[j]));
		json_object_object_add(to, "stack", st);
		json_object_array_add(ts, to);
	}
	json_object_object_add(o, "tasks", ts);
	return o;
}

/* a count the kernel may not keep: null where it does not (never 0) */
static json_object *known_json(uint64_t n)
{
	return n == LA_UNKNOWN ? NULL : la_json_count(n);
}

static json_object *json_hook(const struct la_report *r, size_t i)
{
	const struct la_rhook *h = &r->hooks[i];
	json_object *o = json_object_new_object(),
		    *calls = json_object_new_object();

	json_object_object_add(o, "function", la_json_str(h->function));
	json_object_object_add(o, "attach", la_json_str(h->attach));
	json_object_object_add(o, "reason", la_json_str(h->reason));
	if (h->rule_src[0]) {
		json_object *ru = json_object_new_object();

		json_object_object_add(ru, "assertion", la_json_str(h->rule));
		json_object_object_add(ru, "source", la_json_str(h->rule_src));
		json_object_object_add(ru, "hold",
				       la_json_str(rules__hold_name(h->hold)));
		json_object_object_add(o, "rule", ru);
	}
	for (int s = 0; s < LA_NR_STATES; s++)
		json_object_object_add(calls, la_state_name(s),
				       la_json_count(h->calls[s]));
	json_object_object_add(o, "calls", calls);
	json_object_object_add(o, "missed", known_json(h->missed));
	json_object_object_add(o, "missed_exit", known_json(h->missed_exit));
	return o;
}

static json_object *json_run(const struct la_report *r, size_t i)
{
	const struct la_run *run = &r->runs[i];
	json_object *o = json_object_new_object();

	json_object_object_add(o, "hostname", la_json_str(run->hostname));
	json_object_object_add(o, "kernel", la_json_str(run->kernel));
	json_object_object_add(o, "started", la_json_str(run->started));
	return o;
}

/* nested: the calls folded, by state */
static json_object *json_totals(const struct la_report *r,
				const uint64_t nested[LA_NR_STATES])
{
	json_object *t = json_object_new_object(), *d;
	uint64_t c[LA_NR_STATES];

	uint64_t audited = 0, viol = 0;

	for (int i = 0; i < LA_NR_STATES; i++) {
		uint64_t calls = report__calls(r, i);
		uint64_t v = report__violations(r, i);

		/* violations: the outermost calls */
		c[i] = calls > nested[i] ? calls - nested[i] : 0;
		audited += calls;
		viol += v > nested[i] ? v - nested[i] : 0;
	}
	json_object_object_add(t, "calls_audited", la_json_count(audited));
	json_object_object_add(t, "held", la_json_count(c[LA_HELD]));
	json_object_object_add(t, "violations", la_json_count(viol));
	json_object_object_add(t, "unlocked", la_json_count(c[LA_UNLOCKED]));
	json_object_object_add(t, "held_by_other",
			       la_json_count(c[LA_HELD_OTHER]));
	json_object_object_add(t, "read_held", la_json_count(c[LA_READ_HELD]));
	if (nested[LA_UNLOCKED] + nested[LA_HELD_OTHER] + nested[LA_READ_HELD] +
	    nested[LA_HELD])
		json_object_object_add(t, "nested",
				       la_json_count(nested[LA_UNLOCKED] +
						     nested[LA_HELD_OTHER] +
						     nested[LA_READ_HELD] +
						     nested[LA_HELD]));
	d = json_object_new_object();
	for (size_t k = 0; k < LA_NR_DROPS; k++)
		json_object_object_add(d, la_drops[k].key,
				       known_json(LA_DROP_C(r, k)));
	json_object_object_add(t, "dropped", d);
	return t;
}

/* key: [item(r, i) for each of r's n items] */
static void jw_items(struct jw *w, const char *key, const struct la_report *r,
		     size_t n, json_item_fn *item)
{
	jw_key(w, key);
	jw_open(w, "[");
	for (size_t i = 0; i < n; i++) {
		jw_elem(w);
		jw_value(w, item(r, i));
	}
	jw_close(w, "]");
}

/* the members before the runs: what wrote it, and what run it is */
static void json_head(struct jw *w, const struct la_report *r)
{
	json_object *t = json_object_new_object();

	jw_member(w, "schema", la_json_str(LA_SCHEMA));
	json_object_object_add(t, "name", la_json_str("lockaudit"));
	json_object_object_add(t, "version", la_json_str(LA_VERSION));
	jw_member(w, "generator", t);
	jw_member(w, "kernel", la_json_str(r->kernel));
	jw_member(w, "arch", la_json_str(r->arch));
	jw_member(w, "hostname", la_json_str(r->hostname));
	jw_member(w, "started", la_json_str(r->started));
	jw_member(w, "duration_s", la_json_sec(r->duration_s));
	jw_member(w, "sources", la_json_count(r->sources));
}

int report__write_json(const struct la_report *r, FILE *out, bool pretty)
{
	struct jw w = {
		.out = out,
		.flags = la_json_flags(pretty),
		.pretty = pretty,
	};
	uint64_t nested[LA_NR_STATES];
	struct la_report sorted;

	report__fold(r, &sorted, nested);
	jw_open(&w, "{");
	json_head(&w, r);
	if (r->nr_runs > 1)
		jw_items(&w, "runs", r, r->nr_runs, json_run);
	jw_items(&w, "hooks", r, r->nr_hooks, json_hook);
	jw_member(&w, "totals", json_totals(r, nested));
	jw_items(&w, "concurrent", r, r->nr_races, json_race);
	jw_key(&w, "drivers");
	json_groups(&w, &sorted, LA_SEC_DRIVERS, "module");
	jw_key(&w, "core");
	json_groups(&w, &sorted, LA_SEC_CORE, "path");
	jw_key(&w, "unclassified");
	json_sites(&w, &sorted, LA_SEC_UNCLASSIFIED);
	jw_key(&w, "held");
	json_sites(&w, &sorted, LA_SEC_HELD);
	jw_close(&w, "}");
	jw_puts(&w, "\n");
	if (!w.err) {
		errno = 0;
		if (fflush(out))
			w.err = errno ? -errno : -EIO;
	}
	report__unfold(&sorted);
	return w.err;
}

struct save_arg {
	const struct la_report *r;
	bool pretty;
};

static int fill_json(FILE *f, void *arg)
{
	const struct save_arg *a = arg;

	return report__write_json(a->r, f, a->pretty);
}

int report__save_json(const struct la_report *r, const char *path, bool pretty)
{
	struct save_arg a = {.r = r, .pretty = pretty};

	return atomic__save(path, fill_json, &a);
}
