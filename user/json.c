// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the JSON values lockaudit writes (json-c objects): strings only
 * valid UTF-8, counts, seconds, devices; and how documents are serialized.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "json.h"
#include "xalloc.h"

json_object *la_json_str(const char *s)
{
	const unsigned char *u;
	json_object *o;
	char *d, *p;
	size_t n;

	if (!s)
		s = "";
	if (la_utf8_valid(s))
		return json_object_new_string(s);
	d = p = xrealloc(NULL, 3 * strlen(s) + 1);
	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		n = la_utf8_len(u);
		if (n) {
			memcpy(p, u, n);
			p += n;
		} else {
			memcpy(p, "\xef\xbf\xbd", 3);
			p += 3;
		}
	}
	*p = 0;
	o = json_object_new_string(d);
	free(d);
	return o;
}

json_object *la_json_count(uint64_t v)
{
	return json_object_new_uint64(v);
}

json_object *la_json_sec(double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6f", v);
	return json_object_new_double_s(v, buf);
}

json_object *la_json_dev(const char *name, const char *bus, const char *driver,
			 bool registered)
{
	json_object *d = json_object_new_object();

	json_object_object_add(d, "name", la_json_str(name));
	json_object_object_add(d, "bus", la_json_str(bus));
	json_object_object_add(d, "driver",
			       driver[0] ? la_json_str(driver) : NULL);
	json_object_object_add(d, "registered",
			       json_object_new_boolean(registered));
	return d;
}

int la_json_flags(bool pretty)
{
	return (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
	       JSON_C_TO_STRING_NOSLASHESCAPE;
}
