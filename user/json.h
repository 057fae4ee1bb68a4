/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - the JSON values lockaudit writes (json-c objects): strings only
 * valid UTF-8, counts, seconds, devices; and how documents are serialized.
 */
#ifndef LA_JSON_H
#define LA_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

/* A string of valid UTF-8 ("" for NULL): each byte outside well-formed
 * UTF-8 (a task comm from the kernel can hold any bytes) becomes U+FFFD. */
json_object *la_json_str(const char *s);
/* A count: an unsigned 64-bit integer. */
json_object *la_json_count(uint64_t v);
/* Seconds with microseconds ("%.6f"), not 17 significant digits. */
json_object *la_json_sec(double v);
/* A device: {name, bus, driver (null if none bound, driver ""),
 * registered}. */
json_object *la_json_dev(const char *name, const char *bus, const char *driver,
			 bool registered);
/* json_object_to_json_string_ext's flags for a document: pretty (two
 * spaces a level) or plain, slashes not escaped. */
int la_json_flags(bool pretty);

#endif
