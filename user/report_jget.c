// SPDX-License-Identifier: GPL-2.0
/*
 * report_jget.c - a JSON report's values read strictly: each field checked
 * for its type and range, the first failure named by its key ("FILE: what
 * 'key'"), sums refused rather than wrapped. report_read.c reads the
 * report's items with them.
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report_int.h"
#include "report_read.h"

/* the first failure wins: "FILE: what 'key'" */
void jfail(struct jreader *jr, const char *what, const char *key)
{
	if (jr->failed++)
		return;
	snprintf(jr->err, jr->errlen, "%s: %s '%s'", jr->path, what, key);
}

bool jtype(json_object *v, json_type type)
{
	/* integers are valid doubles */
	return json_object_is_type(v, type) ||
	       (type == json_type_double &&
		json_object_is_type(v, json_type_int));
}

/* o[key], which must exist and have the type; NULL after a failure */
json_object *jget(struct jreader *jr, json_object *o, const char *key,
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
json_object *jitem(struct jreader *jr, json_object *a, size_t i, json_type type,
		   const char *name)
{
	json_object *v = json_object_array_get_idx(a, i);

	if (!jtype(v, type)) {
		jfail(jr, "wrong type for an item of", name);
		return NULL;
	}
	return v;
}

/* the string v (named key): no NUL inside (the tokener checked UTF-8) */
const char *jstring(struct jreader *jr, json_object *v, const char *key)
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

const char *jget_str(struct jreader *jr, json_object *o, const char *key)
{
	return jstring(jr, jget(jr, o, key, json_type_string), key);
}

/* a non-negative integer up to max (not a double, string or bool) */
uint64_t jcheck_count(struct jreader *jr, json_object *v, const char *key,
		      uint64_t max)
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

uint64_t jget_count(struct jreader *jr, json_object *o, const char *key)
{
	return jcheck_count(jr, jget(jr, o, key, json_type_int), key,
			    LA_COUNT_MAX);
}

/* a process id: 0 to INT_MAX */
int jget_pid(struct jreader *jr, json_object *o, const char *key)
{
	return (int)jcheck_count(jr, jget(jr, o, key, json_type_int), key,
				 INT_MAX);
}

/* seconds: a finite number from 0 to LA_SECONDS_MAX (what the writer's
 * %.6f gives back exactly) */
double jget_double(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_double);
	double d = v ? json_object_get_double(v) : 0;

	if (!isfinite(d) || d < 0 || d > LA_SECONDS_MAX) {
		jfail(jr, "not a number of seconds (0 to 1e12) in", key);
		return 0;
	}
	return d;
}

bool jget_bool(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v = jget(jr, o, key, json_type_boolean);

	return v && json_object_get_boolean(v);
}

/* *sum += v, refused (not wrapped) above LA_COUNT_MAX */
void jadd(struct jreader *jr, uint64_t *sum, uint64_t v, const char *key)
{
	uint64_t s;

	if (__builtin_add_overflow(*sum, v, &s) || s > LA_COUNT_MAX) {
		jfail(jr, "merged sum above 2^64-2 of", key);
		return;
	}
	*sum = s;
}

/*
 * A count the kernel may not keep (hooks' missed): an integer, or null
 * where the kernel did not count it; absent (reports before it was read)
 * is unknown too.
 */
uint64_t jget_missed(struct jreader *jr, json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return LA_UNKNOWN;
	return jget_count(jr, o, key);
}

/* sum += v, unknown if either is: a merged sum above 2^64-2 fails */
void jadd_missed(struct jreader *jr, uint64_t *sum, uint64_t v, const char *key)
{
	if (!report__add_missed(sum, v))
		jfail(jr, "merged sum above 2^64-2 of", key);
}
