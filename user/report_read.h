/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report_read.h - what the parts of the JSON report reader share: checked
 * values (report_jget.c), items read into the model (report_read.c), the
 * streaming scanner (report_scan.c), and the file's top level walked and
 * merged (report_merge.c, report__merge_file).
 */
#ifndef LA_REPORT_READ_H
#define LA_REPORT_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "report.h"

/* ---- report_jget.c: values, checked ---------------------------------- */

/* One file being read: its path, and the first failure's message. */
struct jreader {
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	/* the file's runs, r->runs[run_base, run_base + nr_runs); listed
	 * ("runs"): its sites say which they were seen in ("run_ranges") */
	size_t run_base, nr_runs;
	bool listed;
};

/* the first failure wins: "FILE: what 'key'" */
void jfail(struct jreader *jr, const char *what, const char *key);
/* v has the type (an integer is a valid double) */
bool jtype(json_object *v, json_type type);
/* o[key], which must exist and have the type; NULL after a failure */
json_object *jget(struct jreader *jr, json_object *o, const char *key,
		  json_type type);
/* item i of the array a (named name), which must have the type */
json_object *jitem(struct jreader *jr, json_object *a, size_t i, json_type type,
		   const char *name);
/* the string v (named key), without NUL inside; "" if v is NULL or after a
 * failure */
const char *jstring(struct jreader *jr, json_object *v, const char *key);
/* the string o[key], without NUL inside; "" after a failure */
const char *jget_str(struct jreader *jr, json_object *o, const char *key);
/* the integer v (named key): a count from 0 to max; 0 after a failure */
uint64_t jcheck_count(struct jreader *jr, json_object *v, const char *key,
		      uint64_t max);
/* a count o[key] up to LA_COUNT_MAX */
uint64_t jget_count(struct jreader *jr, json_object *o, const char *key);
/* a process id o[key]: 0 to INT_MAX */
int jget_pid(struct jreader *jr, json_object *o, const char *key);
/* the boolean o[key]; false after a failure */
bool jget_bool(struct jreader *jr, json_object *o, const char *key);
/* seconds o[key], 0 to LA_SECONDS_MAX */
double jget_double(struct jreader *jr, json_object *o, const char *key);
/* *sum += v, refused (not wrapped) above LA_COUNT_MAX */
void jadd(struct jreader *jr, uint64_t *sum, uint64_t v, const char *key);
/* a count the kernel may not keep, o[key]: LA_UNKNOWN if null or absent */
uint64_t jget_missed(struct jreader *jr, json_object *o, const char *key);
/* *sum += v, LA_UNKNOWN if either is; refused above LA_COUNT_MAX */
void jadd_missed(struct jreader *jr, uint64_t *sum, uint64_t v,
		 const char *key);

/* ---- report_read.c: items, read into the model ----------------------- */

/* An item of the arrays read, merged into r: 0, or -1 after a failure. */
int read_site(struct jreader *jr, json_object *o, struct la_report *r);
int read_race(struct jreader *jr, json_object *o, struct la_report *r);
int read_hook(struct jreader *jr, json_object *h, struct la_report *r);
/* The runs the report o covers into r, refused if r has one of them. */
void read_runs(struct jreader *jr, json_object *o, struct la_report *r);
/* Add each item of src (itself possibly "a, b") to the set in *dst. */
void merge_name(char **dst, const char *src);

/* ---- report_scan.c: the document walked without a tree of it --------- */

/* levels walked: the top-level object (0), its arrays (1), a group (2), the
 * group's sites (3) and a site (4) */
#define JS_LEVELS 5

struct jscan {
	struct jreader *jr;
	const char *buf;
	size_t len;
	struct json_tokener *tok[JS_LEVELS];
};

/* the first byte at or after i that is no whitespace */
size_t js_skip(const struct jscan *s, size_t i);
/* a syntax error: "FILE: not valid JSON (what at byte N)" */
void js_fail(struct jscan *s, const char *what, size_t at);
/* where the array or object at i ends, skimmed; SIZE_MAX if never */
size_t js_end(const struct jscan *s, size_t i);
/* json-c's parse of the value at i, nested in level containers, into *out:
 * where it ends, or SIZE_MAX after a failure */
size_t js_value(struct jscan *s, size_t i, int level, json_object **out);
/* the value at i checked and dropped: where it ends, or SIZE_MAX */
size_t js_check(struct jscan *s, size_t i, int level);
/* a value not read, checked: an array item by item, anything else whole */
size_t js_check_value(struct jscan *s, size_t i, int level);

/* an item of an array at i, at level: where it ends, SIZE_MAX on failure */
typedef size_t js_item_fn(struct jscan *s, size_t i, int level, void *arg);
/* Each item of the array at i (its '[') to fn, in order, until a failure:
 * where the array ends, or SIZE_MAX. */
size_t js_array(struct jscan *s, size_t i, int level, js_item_fn *fn,
		void *arg);

/* a member of an object: its name and the value at i, at level; where the
 * value ends, SIZE_MAX on failure */
typedef size_t js_member_fn(struct jscan *s, const char *key, size_t i,
			    int level, void *arg);
/* Each member of the object at i (its '{') to fn, in order, until a
 * failure: where the object ends, or SIZE_MAX. */
size_t js_object(struct jscan *s, size_t i, int level, js_member_fn *fn,
		 void *arg);

/* "FILE: duplicate field 'KEY'" (KEY escaped: it is anything) */
void js_duplicate(struct jscan *s, const char *key);

#endif
