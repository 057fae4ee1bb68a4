// SPDX-License-Identifier: GPL-2.0
/*
 * report_metrics.c - the report model as Prometheus metrics text
 * (OpenMetrics 1.0.0, or the Prometheus text format 0.0.4 for
 * node_exporter's textfile collector): families, label escaping, the cap on
 * violation series.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "metrics.h"
#include "report.h"
#include "report_int.h"
#include "xalloc.h"

/* A violation series: the labels and the calls of the sites that share
 * them. */
struct series {
	const char *module, *function, *entry, *path;
	const char *rule; /* the rule's FILE:LINE, "" if unknown */
	int state;
	enum la_severity severity;
	enum la_group group;
	uint64_t count;
	double first_s; /* the earliest site's: who keeps a place under the cap
			 */
};

struct out {
	FILE *f;
	enum la_metrics_fmt fmt;
};

/* A label value as OpenMetrics quotes it: backslash, double quote and
 * newline escaped; a byte outside well-formed UTF-8 as U+FFFD. */
static void put_value(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = la_utf8_len(p);

		if (*p == '\\' || *p == '"') {
			fputc('\\', f);
			fputc(*p++, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
			p++;
		} else if (!n) {
			fputs("\xef\xbf\xbd", f);
			p++;
		} else {
			fwrite(p, 1, n, f);
			p += n;
		}
	}
}

/* {k1="v1",k2="v2"} from a NULL-terminated list of name, value pairs */
static void put_labels(FILE *f, const char *const *kv)
{
	if (!kv || !kv[0])
		return;
	fputc('{', f);
	for (size_t i = 0; kv[i]; i += 2) {
		fprintf(f, "%s%s=\"", i ? "," : "", kv[i]);
		put_value(f, kv[i + 1]);
		fputc('"', f);
	}
	fputc('}', f);
}

/* HELP and TYPE of a family. A counter's family is "name" in OpenMetrics
 * and "name_total" in the Prometheus format; an info family is "name" (its
 * sample name_info) in OpenMetrics and the gauge "name_info" otherwise. */
static void family(const struct out *o, const char *name, const char *type,
		   const char *help)
{
	bool om = o->fmt == LA_METRICS_OPENMETRICS;
	const char *suffix = "";

	if (!strcmp(type, "counter") && !om)
		suffix = "_total";
	if (!strcmp(type, "info")) {
		suffix = om ? "" : "_info";
		type = om ? "info" : "gauge";
	}
	fprintf(o->f, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help,
		name, suffix, type);
}

static void sample_u64(const struct out *o, const char *name,
		       const char *const *kv, uint64_t v)
{
	fputs(name, o->f);
	put_labels(o->f, kv);
	fprintf(o->f, " %" PRIu64 "\n", v);
}

static void write_calls(const struct out *o, const struct la_report *r)
{
	family(o, "lockaudit_calls", "counter",
	       "Calls of a watched entry point audited, by the state of its "
	       "rule's lock (the rule's FILE:LINE: a function may have "
	       "several).");
	for (size_t i = 0; i < r->nr_hooks; i++)
		for (int s = 0; s < LA_NR_STATES; s++) {
			const char *kv[] = {"entry_point", r->hooks[i].function,
					    "lock_state",  la_state_name(s),
					    "rule",	   r->hooks[i].rule_src,
					    NULL};

			sample_u64(o, "lockaudit_calls_total", kv,
				   r->hooks[i].calls[s]);
		}
}

static void write_hooks(const struct out *o, const struct la_report *r)
{
	family(o, "lockaudit_hook_attached", "gauge",
	       "1 if the entry point is watched (mode fentry or kprobe), 0 if "
	       "absent.");
	for (size_t i = 0; i < r->nr_hooks; i++) {
		const char *mode = r->hooks[i].attach;
		const char *kv[] = {
			"entry_point", r->hooks[i].function, "mode", mode,
			"rule",	       r->hooks[i].rule_src, NULL};

		sample_u64(o, "lockaudit_hook_attached", kv,
			   strcmp(mode, "absent") != 0);
	}
}

static void write_drops(const struct out *o, const struct la_report *r)
{
	family(o, "lockaudit_dropped", "counter",
	       "What the kernel side could not keep, by kind (the JSON "
	       "report's totals.dropped; no sample: this kernel does not "
	       "count that kind).");
	for (size_t i = 0; i < LA_NR_DROPS; i++) {
		const char *kv[] = {"kind", la_drops[i].key, NULL};

		/* a count the kernel does not keep: no sample, never 0 */
		if (LA_DROP_C(r, i) != LA_UNKNOWN)
			sample_u64(o, "lockaudit_dropped_total", kv,
				   LA_DROP_C(r, i));
	}
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* the label order: what the output lists series by */
static int cmp_labels(const struct series *a, const struct series *b)
{
	int c;

	if ((c = cmp_str(a->module, b->module)) ||
	    (c = cmp_str(a->function, b->function)) ||
	    (c = strcmp(a->entry, b->entry)) || (c = a->state - b->state) ||
	    (c = (int)a->severity - (int)b->severity) ||
	    (c = (int)a->group - (int)b->group) ||
	    (c = cmp_str(a->rule, b->rule)))
		return c;
	return cmp_str(a->path, b->path);
}

static int cmp_labels_q(const void *a, const void *b)
{
	return cmp_labels(a, b);
}

/* who keeps a place under the cap: the most severe, then the earliest seen
 * (a series once exported stays exported while the cap holds) */
static int cmp_rank(const void *pa, const void *pb)
{
	const struct series *a = pa, *b = pb;

	if (a->severity != b->severity)
		return a->severity > b->severity ? -1 : 1;
	if (a->first_s != b->first_s)
		return a->first_s < b->first_s ? -1 : 1;
	return cmp_labels(a, b);
}

/* The folded view's violation sites, one series per label set. */
static struct series *collect_series(const struct la_report *v, size_t *n)
{
	struct series *s = xcalloc(v->nr_sites ? v->nr_sites : 1, sizeof(*s));
	size_t i, k = 0;

	for (i = 0; i < v->nr_sites; i++) {
		const struct la_rsite *x = &v->sites[i];
		bool drv = x->group == LA_GROUP_DRIVER;

		if (x->severity == LA_SEV_NONE) /* kept its rule */
			continue;
		s[k] = (struct series){
			.module = drv ? x->module : "",
			.function = drv ? x->function : "",
			.entry = x->entry,
			.path = x->group == LA_GROUP_CORE ? x->core_path : "",
			.rule = x->rule_src,
			.state = x->state,
			.severity = x->severity,
			.group = x->group,
			.count = x->count,
			.first_s = x->first_s,
		};
		k++;
	}
	qsort(s, k, sizeof(*s), cmp_labels_q);
	/* sites that differ only in their stacks are one series */
	for (i = 0, *n = 0; i < k; i++) {
		struct series *last = *n ? &s[*n - 1] : NULL;

		if (last && !cmp_labels(last, &s[i])) {
			last->count = last->count > LA_COUNT_MAX - s[i].count
					      ? LA_COUNT_MAX
					      : last->count + s[i].count;
			if (s[i].first_s < last->first_s)
				last->first_s = s[i].first_s;
		} else {
			s[(*n)++] = s[i];
		}
	}
	return s;
}

static void write_violations(const struct out *o, const struct la_report *v,
			     size_t max_sites)
{
	size_t n, keep;
	struct series *s = collect_series(v, &n);

	keep = n < max_sites ? n : max_sites;
	if (keep < n) {
		qsort(s, n, sizeof(*s), cmp_rank);
		qsort(s, keep, sizeof(*s), cmp_labels_q);
	}
	family(o, "lockaudit_violations", "counter",
	       "Calls that broke their rule (the built-in one: without the "
	       "device lock held by the caller; outermost calls, nested ones "
	       "are folded in), by site: culprit module and function (driver "
	       "group), entry point, lock state, severity, group, IOMMU-core "
	       "path (core group) and the rule's FILE:LINE.");
	for (size_t i = 0; i < keep; i++) {
		const char *kv[] = {
			"module",      s[i].module,
			"function",    s[i].function,
			"entry_point", s[i].entry,
			"lock_state",  la_state_name(s[i].state),
			"severity",    la_severity_name(s[i].severity),
			"group",       la_group_name(s[i].group),
			"path",	       s[i].path,
			"rule",	       s[i].rule,
			NULL};

		sample_u64(o, "lockaudit_violations_total", kv, s[i].count);
	}
	family(o, "lockaudit_violation_sites_cut", "counter",
	       "Violation series not exported: over the cap "
	       "(--metrics-max-sites), the least severe and latest seen "
	       "first.");
	sample_u64(o, "lockaudit_violation_sites_cut_total", NULL, n - keep);
	free(s);
}

static void write_concurrent(const struct out *o, const struct la_report *r)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < r->nr_races; i++)
		sum = sum > LA_COUNT_MAX - r->races[i].count
			      ? LA_COUNT_MAX
			      : sum + r->races[i].count;
	family(o, "lockaudit_concurrent", "counter",
	       "Calls that entered for a device while another task was inside "
	       "a watched function for it (--races).");
	sample_u64(o, "lockaudit_concurrent_total", NULL, sum);
}

static void write_info(const struct out *o, const struct la_report *r)
{
	const char *kv[] = {"version", LA_VERSION,
			    "kernel",  r->kernel ? r->kernel : "",
			    "arch",    r->arch ? r->arch : "",
			    NULL};

	family(o, "lockaudit", "info",
	       "lockaudit's version and the kernel it watches.");
	sample_u64(o, "lockaudit_info", kv, 1);
}

static void write_proc(const struct out *o, const struct la_proc_facts *p)
{
	family(o, "process_cpu_seconds", "counter",
	       "Total user and system CPU time spent in seconds.");
	fprintf(o->f, "process_cpu_seconds_total %.2f\n", p->cpu_s);
	family(o, "process_resident_memory_bytes", "gauge",
	       "Resident memory size in bytes.");
	fprintf(o->f, "process_resident_memory_bytes %" PRIu64 "\n",
		p->rss_bytes);
	family(o, "process_start_time_seconds", "gauge",
	       "Start time of the process since unix epoch in seconds.");
	fprintf(o->f, "process_start_time_seconds %.2f\n", p->start_s);
}

int metrics__write(const struct la_report *r, const struct la_metrics_opts *o,
		   FILE *f)
{
	struct out out = {.f = f, .fmt = o->fmt};
	uint64_t nested[LA_NR_STATES] = {0};
	struct la_report view;

	write_info(&out, r);
	write_calls(&out, r);
	report__fold(r, &view, nested);
	write_violations(&out, &view, o->max_sites);
	report__unfold(&view);
	write_concurrent(&out, r);
	write_drops(&out, r);
	write_hooks(&out, r);
	if (o->proc)
		write_proc(&out, o->proc);
	if (o->fmt == LA_METRICS_OPENMETRICS)
		fputs("# EOF\n", f);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}

char *metrics__text(const struct la_report *r, const struct la_metrics_opts *o,
		    size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	int err;

	if (!f)
		return NULL;
	err = metrics__write(r, o, f);
	if (fclose(f) || err) {
		free(buf);
		return NULL;
	}
	return buf;
}
