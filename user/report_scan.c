// SPDX-License-Identifier: GPL-2.0
/*
 * report_scan.c - the streaming scanner of the JSON report reader: walks the
 * objects and arrays of a document held in memory, json-c parsing each value
 * walked as a document of its own.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_read.h"

/*
 * The document is read without a json-c tree of all of it (that tree is
 * about ten times the file): the file's bytes are kept, the top-level
 * object, the big arrays in it (hooks, concurrent, drivers, core,
 * unclassified, held) and the driver and core groups are walked here, and
 * each item of those arrays, each other top-level value and each field name
 * walked is parsed by json-c as a document of its own (strict, UTF-8
 * checked, nesting counted from the top of the file), which json-c ends
 * where the value does. So json-c checks every value and the walk only the
 * whitespace, commas, colons and brackets between them. A site is read and
 * its tree freed before the next one is parsed.
 *
 * The top level is walked first: the big arrays are only skimmed (their
 * extent found by counting brackets outside strings) and read afterwards,
 * in the order of the old reader (hooks, concurrent, drivers, core,
 * unclassified, held), once schema and runs have been checked. A syntax
 * error inside an item of a big array is thus reported when that item is
 * read, after the errors of the items before it. A field name twice in the
 * top-level object or in a group is refused (json-c would keep the last one
 * silently).
 */

static bool js_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t js_skip(const struct jscan *s, size_t i)
{
	while (i < s->len && js_ws(s->buf[i]))
		i++;
	return i;
}

/* a syntax error: "FILE: not valid JSON (what at byte N)" (the first
 * failure wins) */
void js_fail(struct jscan *s, const char *what, size_t at)
{
	struct jreader *jr = s->jr;

	if (jr->failed++)
		return;
	snprintf(jr->err, jr->errlen, "%s: not valid JSON (%s at byte %zu)",
		 jr->path, what, at);
}

/*
 * Where the array or object starting at i ends, skimmed: after the bracket
 * that closes it (brackets counted outside strings, a backslash in a string
 * skips the next byte); SIZE_MAX if the input ends first. Only the extent:
 * the walk (json-c) checks what is inside.
 */
size_t js_end(const struct jscan *s, size_t i)
{
	const char *b = s->buf, *q, *e;
	size_t depth = 0;

	for (; i < s->len; i++) {
		if (b[i] == '"') {
			/* to the closing quote, over escaped bytes */
			for (i++;; i = (size_t)(e - b) + 2) {
				q = i < s->len ? memchr(b + i, '"', s->len - i)
					       : NULL;
				if (!q)
					return SIZE_MAX;
				e = memchr(b + i, '\\', (size_t)(q - b) - i);
				if (!e) {
					i = (size_t)(q - b);
					break;
				}
			}
		} else if (b[i] == '{' || b[i] == '[') {
			depth++;
		} else if ((b[i] == '}' || b[i] == ']') && !--depth) {
			return i + 1;
		}
	}
	return SIZE_MAX;
}

/*
 * json-c's parse of the value starting at i, nested in level containers:
 * where it ends and *out (NULL for null: put it when done), or SIZE_MAX
 * after a failure.
 */
size_t js_value(struct jscan *s, size_t i, int level, json_object **out)
{
	struct json_tokener *tok = s->tok[level];
	enum json_tokener_error e;
	size_t end;

	*out = NULL;
	if (!tok) {
		tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH - level);
		if (!tok) {
			fprintf(stderr, "lockaudit: out of memory\n");
			exit(1);
		}
		/* the value ends where json-c says: what follows is the walk's
		 */
		json_tokener_set_flags(
			tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8 |
				     JSON_TOKENER_ALLOW_TRAILING_CHARS);
		s->tok[level] = tok;
	}
	if (i >= s->len) {
		js_fail(s, "unexpected end of input", s->len);
		return SIZE_MAX;
	}
	json_tokener_reset(tok);
	*out = json_tokener_parse_ex(tok, s->buf + i, (int)(s->len - i));
	e = json_tokener_get_error(tok);
	end = i + json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue) {
		/* at the end of the input: a number or a literal may end
		 * there, nothing else */
		*out = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) == json_tokener_success)
			return end;
		json_object_put(*out);
		*out = NULL;
		js_fail(s, "unexpected end of input", s->len);
		return SIZE_MAX;
	}
	if (e == json_tokener_success)
		return end;
	js_fail(s, json_tokener_error_desc(e), end);
	return SIZE_MAX;
}

/* the value at i checked and dropped: where it ends, or SIZE_MAX */
size_t js_check(struct jscan *s, size_t i, int level)
{
	json_object *v;
	size_t end = js_value(s, i, level, &v);

	json_object_put(v);
	return end;
}

/*
 * After an item or a member's value that ends at end (SIZE_MAX: it failed):
 * where the next one starts after the ',', or *done and where the container
 * ends after its close; SIZE_MAX on failure. what: the ',' missing.
 */
static size_t js_next(struct jscan *s, size_t end, char close, const char *what,
		      bool *done)
{
	size_t i;

	if (end == SIZE_MAX || s->jr->failed)
		return SIZE_MAX;
	i = js_skip(s, end);
	if (i < s->len && s->buf[i] == ',')
		return js_skip(s, i + 1);
	if (i < s->len && s->buf[i] == close) {
		*done = true;
		return i + 1;
	}
	js_fail(s, i < s->len ? what : "unexpected end of input", i);
	return SIZE_MAX;
}

size_t js_array(struct jscan *s, size_t i, int level, js_item_fn *fn, void *arg)
{
	bool done = false;

	i = js_skip(s, i + 1);
	if (i < s->len && s->buf[i] == ']')
		return i + 1;
	while (i != SIZE_MAX && !done)
		i = js_next(s, fn(s, i, level + 1, arg), ']',
			    "array value separator ',' expected", &done);
	return i;
}

/* The member whose name starts at i to fn: where its value ends, or
 * SIZE_MAX */
static size_t js_member(struct jscan *s, size_t i, int level, js_member_fn *fn,
			void *arg)
{
	json_object *k;

	if (i < s->len && s->buf[i] != '"') {
		js_fail(s, "quoted object property name expected", i);
		return SIZE_MAX;
	}
	i = js_value(s, i, level + 1, &k);
	if (i == SIZE_MAX)
		return SIZE_MAX;
	if (strlen(json_object_get_string(k)) !=
	    (size_t)json_object_get_string_len(k)) {
		json_object_put(k);
		jfail(s->jr, "NUL character in", "a field name");
		return SIZE_MAX;
	}
	i = js_skip(s, i);
	if (i < s->len && s->buf[i] == ':')
		i = fn(s, json_object_get_string(k), js_skip(s, i + 1),
		       level + 1, arg);
	else
		js_fail(s,
			i < s->len ? "object property name separator "
				     "':' expected"
				   : "unexpected end of input",
			i);
	json_object_put(k);
	return i;
}

size_t js_object(struct jscan *s, size_t i, int level, js_member_fn *fn,
		 void *arg)
{
	bool done = false;

	i = js_skip(s, i + 1);
	if (i < s->len && s->buf[i] == '}')
		return i + 1;
	while (i != SIZE_MAX && !done)
		i = js_next(s, js_member(s, i, level, fn, arg), '}',
			    "object value separator ',' expected", &done);
	return i;
}

static size_t js_check_item(struct jscan *s, size_t i, int level, void *arg)
{
	(void)arg;
	return js_check(s, i, level);
}

/* a value not read, checked: an array item by item (a big one is not held
 * whole), anything else whole */
size_t js_check_value(struct jscan *s, size_t i, int level)
{
	if (i < s->len && s->buf[i] == '[')
		return js_array(s, i, level, js_check_item, NULL);
	return js_check(s, i, level);
}

/* "FILE: duplicate field 'KEY'" (KEY escaped: it is anything) */
void js_duplicate(struct jscan *s, const char *key)
{
	char esc[128];

	jfail(s->jr, "duplicate field",
	      report__text_esc(esc, sizeof(esc), key));
}
