// SPDX-License-Identifier: GPL-2.0
/*
 * metrics_file.c - metrics written for node_exporter's textfile collector:
 * atomically (a temporary file in the same directory, fsync, rename, the
 * directory synced), so the collector never reads half a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "metrics.h"
#include "xalloc.h"

struct save_arg {
	const struct la_report *r;
	const struct la_metrics_opts *o;
};

static int fill_metrics(FILE *f, void *arg)
{
	const struct save_arg *a = arg;

	return metrics__write(a->r, a->o, f);
}

int metrics__save(const struct la_report *r, const struct la_metrics_opts *o,
		  const char *path)
{
	struct save_arg a = {.r = r, .o = o};

	/* .lockaudit.XXXXXX: a name the textfile collector skips (it reads
	 * *.prom only) */
	return atomic__save(path, fill_metrics, &a);
}
