// SPDX-License-Identifier: GPL-2.0
/* live.c - the live per-driver table (terminal) or progress lines */
#include <inttypes.h>
#include <linux/types.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lockaudit.h"
#include "live.h"
#include "report.h"

#define KEY_LEN	 384
#define MAX_ROWS 40 /* sites shown in the table; the rest are summed */

struct seen {
	char key[KEY_LEN];
	uint64_t count;
};

struct la_live {
	FILE *out;
	bool tty;
	struct seen *prev; /* the last frame's sites */
	size_t nr_prev;
	uint64_t prev_calls;
	double prev_t;
	unsigned long frames;
};

struct la_live *live__new(FILE *out, bool tty)
{
	struct la_live *l = calloc(1, sizeof(*l));

	if (l) {
		l->out = out;
		l->tty = tty;
	}
	return l;
}

/* "nothing dropped", or each non-zero drop counter by its JSON name */
static const char *drops(const struct la_report *r, char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < LA_NR_DROPS && n < len; i++)
		if (LA_DROP_C(r, i) == LA_UNKNOWN)
			n += (size_t)snprintf(
				buf + n, len - n, "%s%s unknown",
				n ? ", " : "dropped: ", la_drops[i].key);
		else if (LA_DROP_C(r, i))
			n += (size_t)snprintf(buf + n, len - n, "%s%s %" PRIu64,
					      n ? ", " : "dropped: ",
					      la_drops[i].key, LA_DROP_C(r, i));
	return buf[0] ? buf : "nothing dropped";
}

void live__free(struct la_live *l)
{
	if (!l)
		return;
	free(l->prev);
	free(l);
}

/* what identifies a site across frames */
static void site_key(const struct la_rsite *s, char *buf)
{
	snprintf(buf, KEY_LEN, "%s|%d|%d|%s|%s|%s", s->entry, s->state,
		 s->registered, s->core_path, s->caller,
		 s->nr_frames > 1 ? s->frames[1] : "");
}

static const struct seen *find_prev(const struct la_live *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->nr_prev; i++)
		if (!strcmp(l->prev[i].key, key))
			return &l->prev[i];
	return NULL;
}

static uint64_t calls(const struct la_report *r)
{
	return report__calls(r, LA_HELD) + report__calls(r, LA_UNLOCKED) +
	       report__calls(r, LA_HELD_OTHER) + report__calls(r, LA_READ_HELD);
}

void live__frame(struct la_live *l, const struct la_report *r, double elapsed)
{
	uint64_t total = calls(r);
	uint64_t viol = report__violations(r, LA_HELD) +
			report__violations(r, LA_UNLOCKED) +
			report__violations(r, LA_HELD_OTHER) +
			report__violations(r, LA_READ_HELD);
	double dt = elapsed - l->prev_t > 0 ? elapsed - l->prev_t : 1;
	struct seen *now = calloc(r->nr_sites + 1, sizeof(*now));
	char dbuf[256];
	size_t i, shown = 0, nsites = 0;
	uint64_t hidden = 0;

	if (!now)
		return;
	for (i = 0; i < r->nr_sites; i++)
		nsites += r->sites[i].severity != LA_SEV_NONE;
	if (!l->tty) {
		fprintf(l->out,
			"lockaudit: %.0f s, %" PRIu64
			" calls audited (%.0f/s), %" PRIu64
			" violations at %zu sites, %s\n",
			elapsed, total, (double)(total - l->prev_calls) / dt,
			viol, nsites, drops(r, dbuf, sizeof(dbuf)));
	} else {
		/* home, clear: redraw in place */
		fprintf(l->out, "\033[H\033[2J");
		fprintf(l->out,
			"lockaudit live  %s  %.0f s  %" PRIu64
			" calls (%.0f/s)  %" PRIu64 " violations  %s\n\n",
			r->kernel, elapsed, total,
			(double)(total - l->prev_calls) / dt, viol,
			drops(r, dbuf, sizeof(dbuf)));
		fprintf(l->out, "  %-3s %-6s %-22s %-24s %-13s %10s %8s\n", "",
			"sev", "driver / core path", "entry point", "lock",
			"calls", "/s");
	}
	for (i = 0; i < r->nr_sites; i++) {
		const struct la_rsite *s = &r->sites[i];
		const struct seen *p;
		char key[KEY_LEN];
		uint64_t delta;

		site_key(s, key);
		memcpy(now[i].key, key, KEY_LEN);
		now[i].count = s->count;
		if (!l->tty || s->severity == LA_SEV_NONE)
			continue;
		if (shown == MAX_ROWS) {
			hidden += s->count;
			continue;
		}
		/* a linear search, but for the shown rows only */
		p = find_prev(l, key);
		delta = s->count - (p ? p->count : 0);
		shown++;
		fprintf(l->out,
			"  %-3s %-6s %-22.22s %-24.24s %-13s %10" PRIu64
			" %8.0f\n",
			p || !l->frames ? "" : "NEW",
			la_severity_name(s->severity),
			s->group == LA_GROUP_CORE     ? s->core_path
			: s->group == LA_GROUP_DRIVER ? s->caller
						      : "unclassified",
			s->entry, la_state_label(s->state), s->count,
			(double)delta / dt);
	}
	if (l->tty) {
		if (hidden)
			fprintf(l->out,
				"  ... %" PRIu64
				" more calls at sites not shown\n",
				hidden);
		if (!shown)
			fprintf(l->out, "  no violation yet\n");
	}
	fflush(l->out);
	free(l->prev);
	l->prev = now;
	l->nr_prev = r->nr_sites;
	l->prev_calls = total;
	l->prev_t = elapsed;
	l->frames++;
}
