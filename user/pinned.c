// SPDX-License-Identifier: GPL-2.0
/*
 * pinned.c - the commands on state that outlives the process: `boot`
 * attaches and pins, `collect` reports on what is pinned (text, --json,
 * --metrics) and, with --detach, removes it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "collect.h"
#include "env.h"
#include "hooks.h"
#include "metrics.h"
#include "output.h"
#include "pin.h"
#include "report.h"
#include "setup.h"
#include "snapshot.h"

enum la_err cmd_boot(const struct la_opts *o)
{
	struct la_hooks h;
	enum la_err ret;
	size_t nfe, nkp;
	char err[256];

	ret = setup__hooks(o, &h, false, NULL);
	if (ret)
		return ret;
	if (pin__save(&h, o->pin_dir, err, sizeof(err))) {
		hooks__detach(&h);
		return fail__say(LA_ERR_FAIL, "%s", err);
	}
	setup__count(&h, &nfe, &nkp);
	printf("lockaudit: %zu entry points attached (%zu fentry, %zu kprobe) "
	       "and pinned under %s; counting goes on without a process: read "
	       "it with 'lockaudit collect'\n",
	       nfe + nkp, nfe, nkp, o->pin_dir);
	/* links were handed to the pins: this only closes our descriptors */
	hooks__detach(&h);
	return fflush(stdout) ? LA_ERR_OUTPUT : LA_OK;
}

/* Before anything is opened: the output, privileges, something pinned. */
static enum la_err collect_checks(const struct la_opts *o)
{
	char err[256];

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail__report_to(o->json, err);
	if (o->metrics &&
	    env__check_output(o->metrics, false, err, sizeof(err)))
		return fail__say(LA_ERR_OUTPUT,
				 "cannot write the metrics to '%s': %s",
				 o->metrics, err);
	if (!env__has_bpf_caps())
		return fail__caps("collect");
	if (!pin__exists(o->pin_dir))
		return fail__say(LA_ERR_NOTPINNED,
				 "nothing pinned under %s: start counting with "
				 "'lockaudit boot'",
				 o->pin_dir);
	return LA_OK;
}

/* The pinned state adopted and read into r (report__free it). */
static enum la_err collect_report(const struct la_opts *o, struct la_report *r)
{
	struct la_collect_opts co = {.kallsyms = LA_KALLSYMS,
				     .modules = LA_MODULES,
				     .mode = LA_EVENTS_NONE};
	struct la_collector *c;
	struct la_hooks h;
	enum la_err ret;
	bool hidden;
	char err[256];
	int e;

	e = pin__open(&h, o->pin_dir, err, sizeof(err));
	if (e)
		return fail__pin(e, err);
	c = collect__new(&h, &co, &hidden, err, sizeof(err));
	if (!c) {
		hooks__detach(&h);
		return hidden ? fail__kptr()
			      : fail__say(LA_ERR_FAIL, "%s", err);
	}
	ret = snapshot__take(c, &h, r);
	collect__free(c);
	hooks__detach(&h);
	return ret;
}

/* --detach: unpin, and say what is left. */
static enum la_err collect_detach(const struct la_opts *o, FILE *human)
{
	char err[256];
	int ret;

	ret = pin__remove(o->pin_dir, err, sizeof(err));
	if (ret == -ENOTEMPTY) /* ours are gone: detached */
		fprintf(human, "lockaudit: detached; %s\n", err);
	else if (ret)
		return fail__pin(ret, err);
	else
		fprintf(human, "lockaudit: detached and unpinned %s\n",
			o->pin_dir);
	return LA_OK;
}

enum la_err cmd_collect(const struct la_opts *o)
{
	FILE *human = o->json && !strcmp(o->json, "-") ? stderr : stdout;
	struct la_report r;
	enum la_err ret;

	ret = collect_checks(o);
	if (ret)
		return ret;
	ret = collect_report(o, &r);
	if (ret)
		return ret;
	fputc('\n', human);
	ret = output__report(&r, human, o->json, o->pretty);
	if (o->metrics) {
		/* boot sampling has no process to scrape: no process_* */
		struct la_metrics_opts mo = {.fmt = LA_METRICS_PROMETHEUS,
					     .max_sites = o->metrics_max_sites};
		int e = metrics__save(&r, &mo, o->metrics);

		if (e && !ret)
			ret = fail__say(LA_ERR_OUTPUT,
					"cannot write the metrics to '%s': %s",
					o->metrics, strerror(-e));
	}
	report__free(&r);
	if (ret)
		return ret;
	return o->detach ? collect_detach(o, human) : LA_OK;
}
