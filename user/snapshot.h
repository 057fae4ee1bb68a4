/* SPDX-License-Identifier: GPL-2.0 */
/*
 * snapshot.h - the report of watched hooks: the kernel's counts now, with
 * what the report says about the watch (kernel, host, start, duration).
 */
#ifndef LA_SNAPSHOT_H
#define LA_SNAPSHOT_H

#include "fail.h"

struct la_collector;
struct la_hooks;
struct la_report;

/* r made and filled (free it with report__free), or a failure said and
 * nothing to free. */
enum la_err snapshot__take(struct la_collector *c, const struct la_hooks *h,
			   struct la_report *r);

#endif
