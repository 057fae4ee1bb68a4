// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the command line: parses, calls one function per command, maps
 * errors to exit codes. Nothing else.
 */
#include <argp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "env.h"
#include "metrics.h"
#include "pin.h"
#include "rules.h"

const char *argp_program_version = "lockaudit " LA_VERSION;

enum {
	OPT_BTF = 256,
	OPT_PRETTY,
	OPT_DETACH,
	OPT_LIVE,
	OPT_INTERVAL,
	OPT_RACES,
	OPT_PIN_DIR,
	OPT_RULES,
	OPT_METRICS,
	OPT_METRICS_MAX,
};

/* what to watch: the same for run, boot and probes */
#define LA_RULES_OPTION                                                        \
	{"rules",                                                              \
	 OPT_RULES,                                                            \
	 "FILE",                                                               \
	 0,                                                                    \
	 "Watch the rules in FILE instead of the built-in IOMMU rules "        \
	 "(repeatable; see 'lockaudit rules')",                                \
	 0},
/* what to attach, and how: the same for run and boot */
/* clang-format off */
#define LA_ATTACH_OPTIONS						\
	{"attach", 'a', "MODE", 0,					\
	 "auto (default): fentry, else kprobe; fentry; kprobe", 0},	\
	{"hooks", 'H', "LIST", 0,					\
	 "Comma-separated entry points to watch (default: all)", 0},	\
	LA_RULES_OPTION							\
	{"btf", OPT_BTF, "FILE", 0,					\
	 "BTF of the running kernel if it exposes none (kprobes only)", 0}, \
	{"races", OPT_RACES, NULL, 0,					\
	 "Hook the exits too and record concurrent configuration of one " \
	 "device (fexit/kretprobe; costs every call a full stack walk)", 0},
#define LA_PIN_DIR_OPTION						\
	{"pin-dir", OPT_PIN_DIR, "DIR", 0,				\
	 "Pinned state under DIR, on bpffs (default " LA_PIN_DIR ")", 0},
#define LA_METRICS_MAX_OPTION						\
	{"metrics-max-sites", OPT_METRICS_MAX, "N", 0,			\
	 "Export at most N violation series (default 1000); the rest are " \
	 "counted in lockaudit_violation_sites_cut_total", 0},
/* clang-format on */

static const struct argp_option run_options[] = {
	{"duration", 'd', "SEC", 0,
	 "Stop after SEC seconds (default: until SIGINT/SIGTERM)", 0},
	{"json", 'j', "FILE", 0, "Write the JSON report to FILE ('-': stdout)",
	 0},
	{"events", 'e', "FILE", 0,
	 "Write every audited call as JSON Lines to FILE ('-': stdout)", 0},
	LA_ATTACH_OPTIONS{
		"live", OPT_LIVE, NULL, 0,
		"Redraw a per-driver table every second on a terminal (else a "
		"progress line per --interval)",
		0},
	{"interval", OPT_INTERVAL, "SEC", 0,
	 "With --json: rewrite the report atomically every SEC seconds; "
	 "progress lines without a terminal",
	 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{"metrics", OPT_METRICS, "ADDR:PORT", 0,
	 "Serve OpenMetrics at http://ADDR:PORT/metrics while running "
	 "(numeric address, e.g. 127.0.0.1:9892 or [::1]:9892), refreshed "
	 "every --interval seconds (default 10)",
	 0},
	LA_METRICS_MAX_OPTION LA_PIN_DIR_OPTION{
		"verbose", 'v', NULL, 0,
		"Show libbpf's messages (verifier log, attach "
		"errors)",
		0},
	{0},
};

static const struct argp_option probes_options[] = {
	{"json", 'j', NULL, 0, "Print JSON instead of a table", 0},
	{"attach", 'a', "MODE", 0, "auto (default), fentry or kprobe", 0},
	{"hooks", 'H', "LIST", 0, "Comma-separated entry points (default: all)",
	 0},
	LA_RULES_OPTION{"btf", OPT_BTF, "FILE", 0,
			"BTF of the running kernel if it exposes none", 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{"verbose", 'v', NULL, 0, "Show libbpf's messages", 0},
	{0},
};

static const struct argp_option boot_options[] = {
	LA_ATTACH_OPTIONS LA_PIN_DIR_OPTION{"verbose", 'v', NULL, 0,
					    "Show libbpf's messages", 0},
	{0},
};

static const struct argp_option collect_options[] = {
	{"json", 'j', "FILE", 0, "Write the JSON report to FILE ('-': stdout)",
	 0},
	{"detach", OPT_DETACH, NULL, 0,
	 "Then detach and unpin (counting stops)", 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{"metrics", OPT_METRICS, "FILE", 0,
	 "Write the metrics to FILE atomically (Prometheus text format, for "
	 "node_exporter's textfile collector: FILE ends in .prom)",
	 0},
	LA_METRICS_MAX_OPTION LA_PIN_DIR_OPTION{0},
};

static const struct argp_option report_options[] = {
	{"json", 'j', "OUTPUT", 0,
	 "Also write the merged report as JSON to OUTPUT ('-': stdout); "
	 "never one of the inputs",
	 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{0},
};

static const struct argp_option rules_options[] = {
	{"btf", OPT_BTF, "FILE", 0,
	 "Resolve against this BTF (vmlinux ELF or raw BTF) instead of the "
	 "running kernel's; kallsyms is not read",
	 0},
	{"json", 'j', NULL, 0, "Print a JSON array instead of lines", 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{0},
};

/* all of arg as a number (NaN too: the range checks refuse it) */
static bool parse_number(const char *arg, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(arg, &end);
	return !errno && end != arg && !*end;
}

static void parse_mode(const char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	if (!strcmp(arg, "auto"))
		o->mode = LA_MODE_AUTO;
	else if (!strcmp(arg, "fentry"))
		o->mode = LA_MODE_FENTRY;
	else if (!strcmp(arg, "kprobe"))
		o->mode = LA_MODE_KPROBE;
	else
		argp_error(state,
			   "invalid attach mode '%s': want auto, fentry or "
			   "kprobe",
			   arg);
}

/* The options spelled and meant alike wherever a command has them. */
static error_t parse_common(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json = arg;
		break;
	case 'a':
		parse_mode(arg, state);
		break;
	case 'H':
		o->hooks = arg;
		break;
	case OPT_BTF:
		o->btf = arg;
		break;
	case OPT_RULES:
		if (o->nr_rules == LA_MAX_RULE_FILES)
			argp_error(state, "more than %d --rules files",
				   LA_MAX_RULE_FILES);
		o->rules[o->nr_rules++] = arg;
		break;
	case OPT_RACES:
		o->races = true;
		break;
	case OPT_PIN_DIR:
		if (!*arg)
			argp_error(state, "empty --pin-dir");
		o->pin_dir = arg;
		break;
	case OPT_PRETTY:
		o->pretty = true;
		break;
	case OPT_METRICS_MAX: {
		double n;

		if (!parse_number(arg, &n) || !(n >= 0) || n > 1e6 ||
		    n != (double)(size_t)n)
			argp_error(state,
				   "invalid --metrics-max-sites '%s': want a "
				   "whole number from 0 to 1000000",
				   arg);
		o->metrics_max_sites = (size_t)n;
		break;
	}
	case 'v':
		o->verbose = true;
		break;
	case ARGP_KEY_ARG:
		argp_error(state, "unexpected argument '%s'", arg);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* run: --json and --events must not be one output */
static void check_run_outputs(const struct la_opts *o, struct argp_state *state)
{
	if (!o->json || !o->events)
		return;
	if (!strcmp(o->json, "-") && !strcmp(o->events, "-"))
		argp_error(state, "--json - and --events - cannot both use "
				  "stdout");
	if (strcmp(o->json, "-") && strcmp(o->events, "-") &&
	    env__same_file(o->json, o->events))
		argp_error(state,
			   "--json '%s' and --events '%s' are the same file",
			   o->json, o->events);
}

static error_t parse_run(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	switch (key) {
	case 'd':
		if (!parse_number(arg, &o->duration) || !(o->duration > 0) ||
		    o->duration > 1e9)
			argp_error(state,
				   "invalid duration '%s': want seconds > 0",
				   arg);
		break;
	case 'e':
		o->events = arg;
		break;
	case OPT_LIVE:
		o->live = true;
		break;
	case OPT_METRICS:
		if (metrics_http__check_addr(arg))
			argp_error(state,
				   "invalid --metrics '%s': want ADDR:PORT "
				   "with a numeric address (127.0.0.1:9892, "
				   "[::1]:9892, 0.0.0.0:9892)",
				   arg);
		o->metrics = arg;
		break;
	case OPT_INTERVAL:
		if (!parse_number(arg, &o->interval) || !(o->interval >= 0.1) ||
		    o->interval > 1e6)
			argp_error(state,
				   "invalid interval '%s': want seconds >= 0.1",
				   arg);
		break;
	case ARGP_KEY_END:
		check_run_outputs(o, state);
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

static error_t parse_probes(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	if (key != 'j')
		return parse_common(key, arg, state);
	o->json_probes = true;
	return 0;
}

static error_t parse_collect(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	switch (key) {
	case OPT_DETACH:
		o->detach = true;
		break;
	case OPT_METRICS:
		if (!*arg || !strcmp(arg, "-"))
			argp_error(state, "--metrics wants a file name");
		o->metrics = arg;
		break;
	case ARGP_KEY_END:
		if (o->metrics && o->json && strcmp(o->json, "-") &&
		    env__same_file(o->json, o->metrics))
			argp_error(state,
				   "--json '%s' and --metrics '%s' are the "
				   "same file",
				   o->json, o->metrics);
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

/*
 * report: does --json (-j) come before the first input on the command line?
 * Read from argv as given, before argp permutes it.
 */
static bool json_before_inputs(int argc, char **argv)
{
	bool json = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return json && i + 1 < argc;
		if (!strcmp(a, "--json") || !strcmp(a, "-j")) {
			json = true;
			i++; /* its value */
		} else if (!strncmp(a, "--json=", 7) ||
			   (!strncmp(a, "-j", 2) && a[2])) {
			json = true;
		} else if (a[0] == '-' && a[1]) {
			continue; /* --pretty, --help, ... */
		} else {
			return json; /* the first input */
		}
	}
	return false;
}

/* report: inputs given, and --json overwrites none of them */
static void check_report_files(const struct la_opts *o,
			       struct argp_state *state)
{
	int i;

	if (!o->nr_files)
		argp_error(state, "no report file given");
	/* `report --json a.json b.json` reads as two inputs to the eye but
	 * renders b.json over a.json: an existing file named by --json
	 * before the inputs is refused */
	if (o->json_first && strcmp(o->json, "-") && !access(o->json, F_OK))
		argp_error(state,
			   "--json '%s' comes before the inputs and exists: it "
			   "would be overwritten; put --json after the inputs "
			   "(lockaudit report IN.json... --json OUT.json)",
			   o->json);
	for (i = 0; o->json && strcmp(o->json, "-") && i < o->nr_files; i++)
		if (env__same_file(o->json, o->files[i]))
			argp_error(state,
				   "--json '%s' is also the input '%s': it "
				   "would be overwritten (lockaudit report "
				   "IN.json... --json OUT.json)",
				   o->json, o->files[i]);
}

static error_t parse_report(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		return ARGP_ERR_UNKNOWN; /* all of them: ARGP_KEY_ARGS */
	case ARGP_KEY_ARGS:
		o->files = state->argv + state->next;
		o->nr_files = state->argc - state->next;
		break;
	case ARGP_KEY_END:
		check_report_files(o, state);
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

/* rules: FILE... (none: the built-in rule file) */
static error_t parse_rules(int key, char *arg, struct argp_state *state)
{
	struct la_opts *o = state->input;

	switch (key) {
	case 'j':
		o->json_rules = true;
		break;
	case ARGP_KEY_ARG:
		return ARGP_ERR_UNKNOWN; /* all of them: ARGP_KEY_ARGS */
	case ARGP_KEY_ARGS:
		o->files = state->argv + state->next;
		o->nr_files = state->argc - state->next;
		break;
	default:
		return parse_common(key, arg, state);
	}
	return 0;
}

struct cmd {
	const char *name;
	struct argp argp;
	enum la_err (*fn)(const struct la_opts *o);
};

static const struct cmd cmds[] = {
	{"run",
	 {run_options, parse_run, NULL,
	  "Watch the IOMMU configuration entry points; print new violation "
	  "sites as they appear and the per-driver report on exit.",
	  NULL, NULL, NULL},
	 cmd_run},
	{"probes",
	 {probes_options, parse_probes, NULL,
	  "List every watch-list entry point: present or absent, the attach "
	  "mode that works here, and why not.",
	  NULL, NULL, NULL},
	 cmd_probes},
	{"boot",
	 {boot_options, parse_common, NULL,
	  "Attach, pin programs, links and maps under " LA_PIN_DIR
	  " and exit: counting goes on in the kernel with no process (for "
	  "early boot).",
	  NULL, NULL, NULL},
	 cmd_boot},
	{"collect",
	 {collect_options, parse_collect, NULL,
	  "Read the state pinned by 'lockaudit boot' and write the report; "
	  "--detach ends it.",
	  NULL, NULL, NULL},
	 cmd_collect},
	{"report",
	 {report_options, parse_report, "INPUT.json...",
	  "Render the text report from saved JSON reports, merging several "
	  "into one. The arguments are the inputs; --json takes the output as "
	  "its value: lockaudit report a.json b.json --json merged.json",
	  NULL, NULL, NULL},
	 cmd_report},
	{"rules",
	 {rules_options, parse_rules, "[FILE...]",
	  "Parse rule files and resolve every rule against the running "
	  "kernel's BTF and kallsyms (or --btf FILE) without loading BPF; no "
	  "FILE: the built-in " LA_RULES_BUILTIN_NAME ".",
	  NULL, NULL, NULL},
	 cmd_rules},
};

#define NR_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static const char doc[] =
	"lockaudit -- is device_lock held when the kernel configures a "
	"device's IOMMU?\n\n"
	"Commands:\n"
	"  run       attach, show new violation sites live, report on exit\n"
	"  probes    which entry points this kernel has and how they attach\n"
	"  boot      attach and pin, then exit: keep counting with no process\n"
	"  collect   report on (and optionally detach) the pinned state\n"
	"  report    render (and merge) saved JSON reports\n"
	"  rules     check rule files against this kernel's BTF (or --btf)\n\n"
	"Run 'lockaudit COMMAND --help' for a command's options.";

/* Parse a command's options (argv[0]: the command) and run it. */
static enum la_err run_cmd(const struct cmd *cmd, int argc, char **argv)
{
	struct la_opts o = {.cmd = cmd->name,
			    .pin_dir = LA_PIN_DIR,
			    .metrics_max_sites = LA_METRICS_MAX_SITES};
	char name[64];
	enum la_err ret;

	/* argp's messages name "lockaudit run", not the path */
	snprintf(name, sizeof(name), "lockaudit %s", cmd->name);
	argv[0] = name;
	if (!strcmp(cmd->name, "report"))
		o.json_first = json_before_inputs(argc - 1, argv + 1);
	if (argp_parse(&cmd->argp, argc, argv, 0, NULL, &o))
		return LA_ERR_USAGE;
	ret = cmd->fn(&o);
	/* what is still buffered for stdout must get out */
	errno = 0;
	if ((fflush(stdout) || ferror(stdout)) && !ret)
		ret = fail__say(LA_ERR_OUTPUT, "cannot write to stdout: %s",
				errno ? strerror(errno) : "write error");
	return ret;
}

/* No command: --help, --usage, --version, or a usage error. */
static enum la_err no_cmd(int argc, char **argv)
{
	struct argp a = {NULL, NULL, "COMMAND [OPTION...]", doc, NULL,
			 NULL, NULL};

	argv[0] = "lockaudit"; /* messages name the tool, not its path */
	argp_parse(&a, argc, argv, 0, NULL, NULL);
	return fail__say(LA_ERR_USAGE, "no command given (run, probes, boot, "
				       "collect, report, rules; see --help)");
}

int main(int argc, char **argv)
{
	size_t i;

	argp_err_exit_status = fail__exit_code(LA_ERR_USAGE);
	if (argc < 2 || argv[1][0] == '-')
		return fail__exit_code(no_cmd(argc, argv));
	for (i = 0; i < NR_CMDS; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return fail__exit_code(
				run_cmd(&cmds[i], argc - 1, argv + 1));
	return fail__exit_code(
		fail__say(LA_ERR_USAGE,
			  "unknown command '%s' (run, probes, boot, collect, "
			  "report, rules; see --help)",
			  argv[1]));
}
