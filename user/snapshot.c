// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot.c - the report of watched hooks: the kernel's counts now, with
 * what the report says about the watch (kernel, host, start, duration).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collect.h"
#include "env.h"
#include "hooks.h"
#include "report.h"
#include "snapshot.h"

/* The report's metadata: this kernel and host, since the hooks attached. */
static enum la_err fill_meta(struct la_report *r, const struct la_hooks *h)
{
	char rel[128], arch[64], host[256], when[32];
	time_t started = (time_t)h->attached_real_s;

	env__kernel(rel, sizeof(rel), arch, sizeof(arch), host, sizeof(host));
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&started));
	r->kernel = strdup(rel);
	r->arch = strdup(arch);
	r->hostname = strdup(host);
	r->started = strdup(when);
	r->duration_s = (double)(env__boot_ns() - h->attached_boot_ns) / 1e9;
	r->sources = 1;
	if (!r->kernel || !r->arch || !r->hostname || !r->started)
		return fail__oom();
	return LA_OK;
}

enum la_err snapshot__take(struct la_collector *c, const struct la_hooks *h,
			   struct la_report *r)
{
	enum la_err ret;
	int e;

	report__init(r);
	ret = fill_meta(r, h);
	if (ret) {
		report__free(r);
		return ret;
	}
	e = collect__snapshot(c, r);
	if (e) {
		report__free(r);
		return fail__say(LA_ERR_FAIL, "reading the kernel's counts: %s",
				 strerror(-e));
	}
	return LA_OK;
}
