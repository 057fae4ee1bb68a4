/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic.h - a file replaced whole or not at all: written to a temporary
 * file beside it, synced, renamed over it, the directory synced.
 */
#ifndef LA_ATOMIC_H
#define LA_ATOMIC_H

#include <stdio.h>

/* What goes into the file: 0 or -errno. */
typedef int (*la_atomic_fill)(FILE *f, void *arg);

/*
 * Write path through fill(f, arg): a temporary ".lockaudit.XXXXXX" in
 * path's directory (a name node_exporter's textfile collector skips), mode
 * 0666 less the umask, fsync, rename over path, fsync of the directory. On
 * failure path is untouched and the temporary removed. 0 or -errno.
 */
int atomic__save(const char *path, la_atomic_fill fill, void *arg);

#endif
