// SPDX-License-Identifier: GPL-2.0
/* xalloc.c - memory for lockaudit's user space: running out of it exits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void *oom(void *p)
{
	if (!p) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(1);
	}
	return p;
}

void *xrealloc(void *p, size_t n)
{
	return oom(realloc(p, n));
}

void *xcalloc(size_t n, size_t size)
{
	return oom(calloc(n, size));
}

char *xstrdup(const char *s)
{
	return oom(strdup(s ? s : ""));
}
