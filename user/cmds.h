/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cmds.h - the commands as main.c calls them: the parsed command line, and
 * one function per command that returns an error class (fail.h), its
 * message already said.
 */
#ifndef LA_CMDS_H
#define LA_CMDS_H

#include <stdbool.h>

#include "fail.h"
#include "hooks.h"
#include "ksyms.h"   /* LA_KALLSYMS, LA_MODULES */
#include "ruleset.h" /* LA_MAX_RULE_FILES */

struct la_opts {
	const char *cmd;
	double duration; /* 0: until SIGINT/SIGTERM */
	const char *json;
	const char *events;
	const char *hooks;
	char *rules[LA_MAX_RULE_FILES]; /* --rules, in order; none: built-in */
	size_t nr_rules;
	const char *btf;
	const char *pin_dir; /* --pin-dir, default LA_PIN_DIR */
	enum la_attach_mode mode;
	bool json_probes;
	bool pretty;
	bool verbose;
	bool detach;
	bool live;
	bool races;
	double interval; /* 0: none */
	char **files;
	int nr_files;
	bool json_first; /* report: --json came before every input */
	bool json_rules; /* rules: a JSON array instead of lines */
	/* run: ADDR:PORT served at /metrics; collect: the textfile to write */
	const char *metrics;
	size_t metrics_max_sites; /* violation series exported at most */
};

enum la_err cmd_run(const struct la_opts *o);	  /* run.c */
enum la_err cmd_probes(const struct la_opts *o);  /* probes.c */
enum la_err cmd_boot(const struct la_opts *o);	  /* pinned.c */
enum la_err cmd_collect(const struct la_opts *o); /* pinned.c */
enum la_err cmd_report(const struct la_opts *o);  /* render.c */
enum la_err cmd_rules(const struct la_opts *o);	  /* rules_cmd.c */

#endif
