/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esc.h - names from the kernel and from files (any bytes) made safe: their
 * UTF-8 checked, and escaped for a terminal.
 */
#ifndef LA_ESC_H
#define LA_ESC_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 if s does not start one. */
size_t la_utf8_len(const unsigned char *s);
/* Is all of s well-formed UTF-8? */
bool la_utf8_valid(const char *s);

/* The escaped copies made by la_tesc, freed together by la_tpool_free. */
struct la_tpool {
	size_t n;
	char **v;
};

/* s itself if it is safe on a terminal, else an escaped copy kept in p:
 * "\\" for a backslash, \xNN for each other unsafe byte (C0 controls, DEL,
 * bytes outside well-formed UTF-8, the C1 controls) */
const char *la_tesc(struct la_tpool *p, const char *s);
void la_tpool_free(struct la_tpool *p);

#endif
