// SPDX-License-Identifier: GPL-2.0
/*
 * report_merge.c - report__merge_file: a JSON report file read (a regular
 * file, size capped), its top level walked with the scanner, checked (schema,
 * runs not merged before, no field twice) and merged into a report.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_read.h"
#include "xalloc.h"

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

/* a reader of one item of an array: read_site, read_race or read_hook */
typedef int read_fn(struct jreader *jr, json_object *o, struct la_report *r);

/* the item at i parsed, read into r and dropped: where it ends, SIZE_MAX */
static size_t js_read(struct jscan *s, size_t i, int level, struct la_report *r,
		      read_fn *fn)
{
	json_object *o;
	size_t end = js_value(s, i, level, &o);

	if (end != SIZE_MAX)
		fn(s->jr, o, r);
	json_object_put(o);
	return end;
}

/* one site of an array */
static size_t js_site(struct jscan *s, size_t i, int level, void *r)
{
	return js_read(s, i, level, r, read_site);
}

/* one concurrent finding */
static size_t js_race(struct jscan *s, size_t i, int level, void *r)
{
	return js_read(s, i, level, r, read_race);
}

/* one hook line: added up by function */
static size_t js_hook(struct jscan *s, size_t i, int level, void *r)
{
	return js_read(s, i, level, r, read_hook);
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

/* The top level walked into t, its arrays skimmed: 0, or -1 and a message */
static int js_walk(struct jscan *s, struct js_top *t)
{
	struct jreader *jr = s->jr;
	size_t i = js_skip(s, 0);

	if (i < s->len && s->buf[i] == '{')
		i = js_object(s, i, 0, js_top_member, t);
	else
		i = js_check_value(s, i, 0);
	if (i != SIZE_MAX && js_skip(s, i) != s->len)
		js_fail(s, "data after the report", js_skip(s, i));
	if (jr->failed) {
		js_recheck(s, t);
		return -1;
	}
	if (s->buf[js_skip(s, 0)] != '{') {
		snprintf(jr->err, jr->errlen, "%s: not a lockaudit report",
			 jr->path);
		return -1;
	}
	return 0;
}

/*
 * The top-level fields o that are no arrays, merged into r: the schema
 * checked, the runs (first, so that a refused run leaves r as it was), the
 * names, the start, the duration and the sources. -1 (and a message) if the
 * report is refused before anything of it is merged.
 */
static int read_head(struct jreader *jr, json_object *o, struct la_report *r)
{
	const char *schema = jget_str(jr, o, "schema"), *started;
	uint64_t sources;

	/* 1: before rules (no rule, no read_held): read as the built-in's */
	if (jr->failed ||
	    (strcmp(schema, LA_SCHEMA) && strcmp(schema, LA_SCHEMA_V1))) {
		snprintf(jr->err, jr->errlen,
			 "%s: not a lockaudit report (schema '%s', want '%s')",
			 jr->path, schema, LA_SCHEMA);
		return -1;
	}
	/* a merged /1 report does not say which runs saw a site */
	if (!strcmp(schema, LA_SCHEMA_V1) &&
	    json_object_object_get_ex(o, "runs", NULL)) {
		snprintf(jr->err, jr->errlen,
			 "%s: a merged %s report (its sites do not name their "
			 "runs): merge the reports it was made of",
			 jr->path, LA_SCHEMA_V1);
		return -1;
	}
	read_runs(jr, o, r);
	if (jr->failed)
		return -1;
	merge_name(&r->kernel, jget_str(jr, o, "kernel"));
	merge_name(&r->arch, jget_str(jr, o, "arch"));
	merge_name(&r->hostname, jget_str(jr, o, "hostname"));
	started = jget_str(jr, o, "started");
	if (!r->started || strcmp(started, r->started) < 0) {
		free(r->started);
		r->started = xstrdup(started);
	}
	r->duration_s += jget_double(jr, o, "duration_s");
	if (!isfinite(r->duration_s) || r->duration_s > LA_SECONDS_MAX)
		jfail(jr, "merged sum above 1e12 s of", "duration_s");
	sources = jcheck_count(jr, jget(jr, o, "sources", json_type_int),
			       "sources", UINT_MAX - r->sources);
	r->sources += (unsigned int)sources;
	return 0;
}

/* totals.dropped of o added to r's */
static void read_drops(struct jreader *jr, json_object *o, struct la_report *r)
{
	json_object *d = jget(jr, o, "totals", json_type_object);

	d = d ? jget(jr, d, "dropped", json_type_object) : NULL;
	if (!d)
		return;
	/* the first four are in every report; tracking and modules only in
	 * those written since they are reported */
	for (size_t k = 0; k < LA_NR_DROPS && !jr->failed; k++) {
		if (la_drops[k].unknowable) {
			/* null or absent: the kernel did not count them */
			jadd_missed(jr, &LA_DROP(r, k),
				    jget_missed(jr, d, la_drops[k].key),
				    la_drops[k].key);
			continue;
		}
		if (k >= 4 &&
		    !json_object_object_get_ex(d, la_drops[k].key, NULL))
			continue;
		jadd(jr, &LA_DROP(r, k), jget_count(jr, d, la_drops[k].key),
		     la_drops[k].key);
	}
}

int report__merge_file(struct la_report *r, const char *path, char *err,
		       size_t errlen)
{
	struct jreader jr = {.path = path, .err = err, .errlen = errlen};
	struct jscan s = {.jr = &jr};
	struct js_top t;
	int ret = -EINVAL;
	char *buf;

	buf = read_file(path, &s.len, err, errlen, &ret);
	if (!buf)
		return ret;
	s.buf = buf;
	memset(&t, 0, sizeof(t));
	t.small = js_new_object();
	t.seen = js_new_object();
	ret = -EINVAL;
	if (!js_walk(&s, &t) && !read_head(&jr, t.small, r)) {
		js_read_big(&s, &t, 0, r); /* hooks */
		read_drops(&jr, t.small, r);
		for (size_t k = 1; k < JS_NR_BIG; k++)
			js_read_big(&s, &t, k, r);
		if (!jr.failed)
			ret = 0;
	}
	json_object_put(t.small);
	json_object_put(t.seen);
	for (size_t i = 0; i < JS_LEVELS; i++)
		if (s.tok[i])
			json_tokener_free(s.tok[i]);
	free(buf);
	return ret;
}
