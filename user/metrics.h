/* SPDX-License-Identifier: GPL-2.0 */
/*
 * metrics.h - a report as Prometheus metrics (report_metrics.c), this
 * process's own facts for them (procfacts.c), and the HTTP server that
 * serves them (metrics_http.c).
 */
#ifndef LA_METRICS_H
#define LA_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct la_report;

/* The two text formats: the same samples, but a counter family is named
 * without "_total" in OpenMetrics' HELP/TYPE lines and with it in the
 * Prometheus text format (0.0.4) that node_exporter's textfile collector and
 * promtool read; OpenMetrics ends with "# EOF". */
enum la_metrics_fmt {
	LA_METRICS_OPENMETRICS,
	LA_METRICS_PROMETHEUS,
};

#define LA_METRICS_MAX_SITES 1000 /* default of --metrics-max-sites */
#define LA_METRICS_CONTENT_TYPE                                                \
	"application/openmetrics-text; version=1.0.0; charset=utf-8"

/* The standard process_* facts of a long-running process. */
struct la_proc_facts {
	double cpu_s;	    /* user + system CPU time */
	uint64_t rss_bytes; /* resident memory */
	double start_s;	    /* start time, seconds since the Unix epoch */
};

struct la_metrics_opts {
	enum la_metrics_fmt fmt;
	/* violation series (label sets) exported at most; the rest are cut
	 * and counted (lockaudit_violation_sites_cut_total) */
	size_t max_sites;
	const struct la_proc_facts *proc; /* NULL: no process_* metrics */
};

/*
 * r as metrics to out: calls audited by entry point and lock state,
 * violations by (module, function, entry point, lock state, severity,
 * group, core path) with nested calls folded as in the reports, the drops
 * by kind, one gauge per hook with its attach mode, and the process facts.
 * Label values escaped (backslash, double quote, newline) and made valid
 * UTF-8. 0 or -errno (a write error, or ENOMEM).
 */
int metrics__write(const struct la_report *r, const struct la_metrics_opts *o,
		   FILE *out);

/* The same into a new NUL-terminated buffer (free it): NULL on failure. */
char *metrics__text(const struct la_report *r, const struct la_metrics_opts *o,
		    size_t *len);

/* Atomically to path (a temporary file in its directory, fsync, rename),
 * in the Prometheus text format; 0 or -errno. */
int metrics__save(const struct la_report *r, const struct la_metrics_opts *o,
		  const char *path);

/* This process's facts from /proc/self; 0 or -errno (procfacts.c). */
int procfacts__read(struct la_proc_facts *p);

/* ---- metrics_http.c ----------------------------------------------------- */

struct la_metrics_http;

/* Is addr "A.B.C.D:PORT" or "[IPV6]:PORT" (numeric)? 0 or -EINVAL. */
int metrics_http__check_addr(const char *addr);

/*
 * Listen on addr (as metrics_http__check_addr; port 0: any free port) and
 * serve the text last published at /metrics from libmicrohttpd's own
 * thread; other paths get 404, other methods 405, and /metrics before the
 * first publication 503. NULL with the reason in err.
 */
struct la_metrics_http *metrics_http__start(const char *addr, char *err,
					    size_t errlen);
/* The port listened on (useful with port 0). */
unsigned int metrics_http__port(const struct la_metrics_http *s);
/* Replace the text served (taken over: freed by the server); requests see
 * the old text or the new one, never a mix. */
void metrics_http__publish(struct la_metrics_http *s, char *text, size_t len);
void metrics_http__stop(struct la_metrics_http *s);

#endif
