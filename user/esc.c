// SPDX-License-Identifier: GPL-2.0
/*
 * esc.c - names from the kernel and from files (any bytes) made safe: their
 * UTF-8 checked, and escaped for a terminal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "report.h"
#include "xalloc.h"

size_t la_utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	n = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

bool la_utf8_valid(const char *s)
{
	size_t n;

	for (; *s; s += n)
		if (!(n = la_utf8_len((const unsigned char *)s)))
			return false;
	return true;
}

/* A byte the terminal must not get raw: C0 controls, DEL, a byte outside
 * well-formed UTF-8, and (as their two bytes) the C1 controls U+0080-009F;
 * a backslash is escaped too, so that an escape is never ambiguous. */
static bool text_unsafe(const unsigned char *s, size_t *n)
{
	*n = la_utf8_len(s);
	return !*n || *s < 0x20 || *s == 0x7f || *s == '\\' ||
	       (*s == 0xc2 && s[1] < 0xa0);
}

const char *la_tesc(struct la_tpool *p, const char *s)
{
	const unsigned char *u;
	size_t n, len = 0;
	char *d, *o;
	bool clean = true;

	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		if (text_unsafe(u, &n)) {
			clean = false;
			len += 4 * (n ? n : 1);
		} else {
			len += n;
		}
	}
	if (clean)
		return s;
	d = o = xrealloc(NULL, len + 1);
	for (u = (const unsigned char *)s; *u; u += n ? n : 1) {
		if (!text_unsafe(u, &n)) {
			memcpy(o, u, n);
			o += n;
		} else if (*u == '\\') {
			*o++ = '\\';
			*o++ = '\\';
		} else {
			for (size_t i = 0; i < (n ? n : 1); i++)
				o += sprintf(o, "\\x%02x", u[i]);
		}
	}
	*o = 0;
	p->v = xrealloc(p->v, (p->n + 1) * sizeof(*p->v));
	p->v[p->n++] = d;
	return d;
}

void la_tpool_free(struct la_tpool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* report.h: into buf, truncated */
const char *report__text_esc(char *buf, size_t len, const char *s)
{
	struct la_tpool tp = {0};

	snprintf(buf, len, "%s", la_tesc(&tp, s ? s : ""));
	la_tpool_free(&tp);
	return buf;
}
