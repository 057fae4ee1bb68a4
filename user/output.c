// SPDX-License-Identifier: GPL-2.0
/*
 * output.c - a report to where the command line sends it: the text to a
 * stream, the JSON to --json ('-': stdout); the first failure said.
 */
#include <string.h>

#include "output.h"
#include "report.h"

enum la_err output__report(const struct la_report *r, FILE *text,
			   const char *json, bool pretty)
{
	enum la_err ret = LA_OK;
	int e;

	if (text) {
		e = report__write_text(r, text);
		if (e)
			ret = fail__say(LA_ERR_OUTPUT,
					"cannot write the report to %s: %s",
					text == stdout ? "stdout" : "stderr",
					strerror(-e));
	}
	if (json) {
		e = strcmp(json, "-") ? report__save_json(r, json, pretty)
				      : report__write_json(r, stdout, pretty);
		if (e && !ret)
			ret = fail__report_to(json, strerror(-e));
	}
	return ret;
}
