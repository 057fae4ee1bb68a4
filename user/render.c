// SPDX-License-Identifier: GPL-2.0
/*
 * render.c - the `report` command: saved JSON reports merged into one,
 * rendered as text on stdout and as JSON to --json.
 */
#include <string.h>

#include "cmds.h"
#include "env.h"
#include "output.h"
#include "report.h"

enum la_err cmd_report(const struct la_opts *o)
{
	bool text = !o->json || strcmp(o->json, "-");
	struct la_report r;
	enum la_err ret;
	char err[512];
	int i;

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail__report_to(o->json, err);
	report__init(&r);
	r.sources = 0;
	for (i = 0; i < o->nr_files; i++) {
		if (report__merge_file(&r, o->files[i], err, sizeof(err))) {
			report__free(&r);
			return fail__say(LA_ERR_INPUT, "%s", err);
		}
	}
	ret = output__report(&r, text ? stdout : NULL, o->json, o->pretty);
	report__free(&r);
	return ret;
}
