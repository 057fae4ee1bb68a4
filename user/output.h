/* SPDX-License-Identifier: GPL-2.0 */
/*
 * output.h - a report to where the command line sends it: the text to a
 * stream, the JSON to --json ('-': stdout); the first failure said.
 */
#ifndef LA_OUTPUT_H
#define LA_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include "fail.h"

struct la_report;

/* The text to text (stdout or stderr; NULL: none), then the JSON to json
 * (NULL: none). Both are tried; the first failure is said and returned. */
enum la_err output__report(const struct la_report *r, FILE *text,
			   const char *json, bool pretty);

#endif
