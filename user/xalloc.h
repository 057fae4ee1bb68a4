/* SPDX-License-Identifier: GPL-2.0 */
/* xalloc.h - memory for lockaudit's user space: running out of it exits. */
#ifndef LA_XALLOC_H
#define LA_XALLOC_H

#include <stddef.h>

/* realloc(3); out of memory: "lockaudit: out of memory" and exit(1) */
void *xrealloc(void *p, size_t n);
/* calloc(3), zeroed, or exit(1) as xrealloc */
void *xcalloc(size_t n, size_t size);
/* a copy of s ("" for NULL), or exit(1) as xrealloc */
char *xstrdup(const char *s);

#endif
