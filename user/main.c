// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - the command line: parses, calls one function per command, maps
 * errors to exit codes. Nothing else.
 */
#include <argp.h>
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collect.h"
#include "env.h"
#include "hooks.h"
#include "ksyms.h"
#include "live.h"
#include "pin.h"
#include "report.h"

/* Exit codes: each failure class has its own (documented in README). */
enum {
	EXIT_FAIL = 1,	     /* runtime failure (BPF load, map read, write) */
	EXIT_USAGE = 2,	     /* bad command line */
	EXIT_HOOK = 3,	     /* unknown hook name */
	EXIT_PERM = 4,	     /* missing CAP_BPF/CAP_PERFMON */
	EXIT_NOBTF = 5,	     /* no kernel BTF and no --btf */
	EXIT_KPTR = 6,	     /* kernel addresses hidden (kptr_restrict) */
	EXIT_OUTPUT = 7,     /* output path not writable */
	EXIT_NOHOOKS = 8,    /* nothing could be attached */
	EXIT_INPUT = 9,	     /* report: unreadable or invalid input */
	EXIT_PINNED = 10,    /* boot: state already pinned */
	EXIT_NOTPINNED = 11, /* collect: nothing pinned */
	EXIT_FOREIGN = 12,   /* pinned state is not lockaudit's */
};

#define KALLSYMS "/proc/kallsyms"
#define MODULES	 "/proc/modules"
/* 6.7+: the global lock serialising dev->iommu; judged, not required */
#define PROBE_LOCK "iommu_probe_device_lock"

const char *argp_program_version = "lockaudit " LA_VERSION;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct opts {
	const char *cmd;
	double duration; /* 0: until SIGINT/SIGTERM */
	const char *json;
	const char *events;
	const char *hooks;
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
};

enum {
	OPT_BTF = 256,
	OPT_PRETTY,
	OPT_DETACH,
	OPT_LIVE,
	OPT_INTERVAL,
	OPT_RACES,
	OPT_PIN_DIR,
};

/* what to attach, and how: the same for run and boot */
/* clang-format off */
#define LA_ATTACH_OPTIONS						\
	{"attach", 'a', "MODE", 0,					\
	 "auto (default): fentry, else kprobe; fentry; kprobe", 0},	\
	{"hooks", 'H', "LIST", 0,					\
	 "Comma-separated entry points to watch (default: all)", 0},	\
	{"btf", OPT_BTF, "FILE", 0,					\
	 "BTF of the running kernel if it exposes none (kprobes only)", 0}, \
	{"races", OPT_RACES, NULL, 0,					\
	 "Hook the exits too and record concurrent configuration of one " \
	 "device (fexit/kretprobe; costs every call a full stack walk)", 0},
#define LA_PIN_DIR_OPTION						\
	{"pin-dir", OPT_PIN_DIR, "DIR", 0,				\
	 "Pinned state under DIR, on bpffs (default " LA_PIN_DIR ")", 0},
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
	LA_PIN_DIR_OPTION{"verbose", 'v', NULL, 0,
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
	{"btf", OPT_BTF, "FILE", 0,
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
	LA_PIN_DIR_OPTION{0},
};

static const struct argp_option report_options[] = {
	{"json", 'j', "OUTPUT", 0,
	 "Also write the merged report as JSON to OUTPUT ('-': stdout); "
	 "never one of the inputs",
	 0},
	{"pretty", OPT_PRETTY, NULL, 0, "Indent JSON output", 0},
	{0},
};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct opts *o = state->input;
	char *end;
	int i;

	switch (key) {
	case 'd':
		errno = 0;
		o->duration = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->duration > 0) ||
		    o->duration > 1e9)
			argp_error(state,
				   "invalid duration '%s': want seconds > 0",
				   arg);
		break;
	case 'j':
		if (!strcmp(o->cmd, "probes"))
			o->json_probes = true;
		else
			o->json = arg;
		break;
	case 'e':
		o->events = arg;
		break;
	case 'a':
		if (!strcmp(arg, "auto"))
			o->mode = LA_MODE_AUTO;
		else if (!strcmp(arg, "fentry"))
			o->mode = LA_MODE_FENTRY;
		else if (!strcmp(arg, "kprobe"))
			o->mode = LA_MODE_KPROBE;
		else
			argp_error(state,
				   "invalid attach mode '%s': want auto, "
				   "fentry or kprobe",
				   arg);
		break;
	case 'H':
		o->hooks = arg;
		break;
	case OPT_BTF:
		o->btf = arg;
		break;
	case OPT_PRETTY:
		o->pretty = true;
		break;
	case 'v':
		o->verbose = true;
		break;
	case OPT_DETACH:
		o->detach = true;
		break;
	case OPT_LIVE:
		o->live = true;
		break;
	case OPT_RACES:
		o->races = true;
		break;
	case OPT_PIN_DIR:
		if (!*arg)
			argp_error(state, "empty --pin-dir");
		o->pin_dir = arg;
		break;
	case OPT_INTERVAL:
		errno = 0;
		o->interval = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->interval >= 0.1) ||
		    o->interval > 1e6)
			argp_error(state,
				   "invalid interval '%s': want seconds >= 0.1",
				   arg);
		break;
	case ARGP_KEY_ARG:
		if (strcmp(o->cmd, "report"))
			argp_error(state, "unexpected argument '%s'", arg);
		return ARGP_ERR_UNKNOWN;
	case ARGP_KEY_ARGS:
		o->files = state->argv + state->next;
		o->nr_files = state->argc - state->next;
		break;
	case ARGP_KEY_END:
		if (!strcmp(o->cmd, "report") && !o->nr_files)
			argp_error(state, "no report file given");
		if (o->json && o->events && !strcmp(o->json, "-") &&
		    !strcmp(o->events, "-"))
			argp_error(state, "--json - and --events - cannot both "
					  "use stdout");
		if (o->json && o->events && strcmp(o->json, "-") &&
		    strcmp(o->events, "-") &&
		    env__same_file(o->json, o->events))
			argp_error(state,
				   "--json '%s' and --events '%s' are the same "
				   "file",
				   o->json, o->events);
		/* `report --json a.json b.json` reads as two inputs to the
		 * eye but renders b.json over a.json: an existing file
		 * named by --json before the inputs is refused */
		if (o->json_first && strcmp(o->json, "-") &&
		    !access(o->json, F_OK))
			argp_error(
				state,
				"--json '%s' comes before the inputs and "
				"exists: it would be overwritten; put --json "
				"after the inputs (lockaudit report "
				"IN.json... --json OUT.json)",
				o->json);
		for (i = 0; o->json && strcmp(o->json, "-") && i < o->nr_files;
		     i++)
			if (env__same_file(o->json, o->files[i]))
				argp_error(
					state,
					"--json '%s' is also the input '%s': "
					"it would be overwritten (lockaudit "
					"report IN.json... --json OUT.json)",
					o->json, o->files[i]);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
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

static int fail(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("lockaudit: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

/* The checks every command that loads BPF shares, in the order a user
 * would fix them. Returns 0 or an exit code (message printed). */
static int preflight(const struct opts *o, struct la_hooks *h,
		     struct ksyms **ks)
{
	char err[256];

	if (hooks__select(h, o->hooks, err, sizeof(err)))
		return fail(EXIT_HOOK, "%s", err);
	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail(EXIT_OUTPUT, "cannot write the report to '%s': %s",
			    o->json, err);
	if (o->events && env__check_output(o->events, true, err, sizeof(err)))
		return fail(EXIT_OUTPUT, "cannot write events to '%s': %s",
			    o->events, err);
	if (!env__has_bpf_caps())
		return fail(EXIT_PERM,
			    "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): "
			    "run as root, e.g. 'sudo lockaudit %s'",
			    o->cmd);
	if (o->btf && access(o->btf, R_OK))
		return fail(EXIT_NOBTF, "cannot read BTF file '%s': %s", o->btf,
			    strerror(errno));
	if (!o->btf && !env__kernel_btf())
		return fail(EXIT_NOBTF,
			    "kernel exposes no BTF (/sys/kernel/btf/vmlinux): "
			    "use a kernel built with CONFIG_DEBUG_INFO_BTF=y, "
			    "or pass --btf FILE");
	*ks = ksyms__load(KALLSYMS);
	if (!*ks && errno == EPERM)
		return fail(EXIT_KPTR,
			    "kernel addresses are hidden in " KALLSYMS
			    " (kernel.kptr_restrict=2): run 'sysctl "
			    "kernel.kptr_restrict=1' as root");
	if (!*ks)
		return fail(EXIT_FAIL, "cannot read " KALLSYMS ": %s",
			    strerror(errno));
	return 0;
}

static int attach(const struct opts *o, struct la_hooks *h,
		  const struct ksyms *ks)
{
	struct la_attach_opts ao = {
		.mode = o->mode,
		.btf_path = o->btf,
		.kernel_btf = env__kernel_btf(),
		.probe_lock_addr = ksyms__addr_of(KALLSYMS, PROBE_LOCK),
		.text_start = ksyms__addr_of(KALLSYMS, "_stext"),
		.text_end = ksyms__addr_of(KALLSYMS, "_etext"),
		.races = o->races,
	};
	char err[256];
	int n;

	hooks__set_verbose(o->verbose);
	n = hooks__attach(h, ks, &ao, err, sizeof(err));
	if (n < 0)
		return -fail(EXIT_FAIL, "%s", err);
	return n;
}

/* the events file, checked again as opened; NULL with a reason in why */
static FILE *open_events(const char *path, char *why, size_t len)
{
	FILE *f;
	int fd;

	if (!strcmp(path, "-"))
		return stdout;
	fd = env__open_output(path, true, why, len);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		snprintf(why, len, "%s", strerror(errno));
		close(fd);
	}
	return f;
}

static void fill_meta(struct la_report *r, const struct la_hooks *h)
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
	if (!r->kernel || !r->arch || !r->hostname || !r->started) {
		fprintf(stderr, "lockaudit: out of memory\n");
		exit(EXIT_FAIL);
	}
}

static void count_attached(const struct la_hooks *h, size_t *nfe, size_t *nkp)
{
	size_t i;

	*nfe = *nkp = 0;
	for (i = 0; i < h->nr; i++) {
		*nfe += h->hook[i].attached == LA_ATTACHED_FENTRY;
		*nkp += h->hook[i].attached == LA_ATTACHED_KPROBE;
	}
}

/*
 * Hooks for run/boot: attach them, or (run) adopt what `lockaudit boot`
 * pinned. 0 or an exit code (message printed).
 */
static int get_hooks(const struct opts *o, struct la_hooks *h, bool adopt)
{
	struct ksyms *ks = NULL;
	char err[256];
	size_t i;
	int ret, n;

	ret = preflight(o, h, &ks);
	if (ret)
		return ret;
	if (pin__exists(o->pin_dir)) {
		ksyms__free(ks);
		/* only state shown to be lockaudit's is "already attached" */
		ret = pin__open(h, o->pin_dir, err, sizeof(err));
		if (ret)
			return fail(ret == PIN_FOREIGN ? EXIT_FOREIGN
						       : EXIT_FAIL,
				    "%s", err);
		if (!adopt) {
			hooks__detach(h);
			return fail(EXIT_PINNED,
				    "already attached (state pinned under %s): "
				    "read it with 'lockaudit collect', or "
				    "detach with 'lockaudit collect --detach'",
				    o->pin_dir);
		}
		if (o->hooks || o->mode != LA_MODE_AUTO)
			fprintf(stderr,
				"lockaudit: adopting the hooks pinned under "
				"%s; --hooks/--attach do not apply\n",
				o->pin_dir);
		return 0;
	}
	n = attach(o, h, ks);
	ksyms__free(ks);
	if (n < 0)
		return -n;
	if (!n) {
		bool refused = hooks__tracing_refused(h, err, sizeof(err));

		for (i = 0; i < h->nr && (!refused || o->verbose); i++)
			fprintf(stderr, "lockaudit: %s: %s\n",
				h->hook[i].def->func, h->hook[i].reason);
		hooks__detach(h);
		if (refused)
			return fail(EXIT_NOHOOKS, "%s", err);
		return fail(EXIT_NOHOOKS, "no entry point could be attached "
					  "(see 'lockaudit probes')");
	}
	return 0;
}

/* The text report to human, the JSON report to --json. */
static int write_report(const struct opts *o, struct la_report *r, FILE *human)
{
	int ret = 0, e;

	fputc('\n', human);
	e = report__write_text(r, human);
	if (e)
		ret = fail(EXIT_OUTPUT, "cannot write the report to %s: %s",
			   human == stdout ? "stdout" : "stderr", strerror(-e));
	if (o->json) {
		e = strcmp(o->json, "-")
			    ? report__save_json(r, o->json, o->pretty)
			    : report__write_json(r, stdout, o->pretty);
		if (e && !ret)
			ret = fail(EXIT_OUTPUT,
				   "cannot write the report to '%s': %s",
				   o->json, strerror(-e));
	}
	return ret;
}

static int snapshot(struct la_collector *c, const struct la_hooks *h,
		    struct la_report *r)
{
	int ret;

	report__init(r);
	fill_meta(r, h);
	ret = collect__snapshot(c, r);
	if (ret) {
		report__free(r);
		return fail(EXIT_FAIL, "reading the kernel's counts: %s",
			    strerror(-ret));
	}
	return 0;
}

/*
 * Every tick: a snapshot for the live view or progress line, and (with
 * --json --interval) the report rewritten atomically, so a crash leaves
 * the last complete one.
 */
static int tick_frame(const struct opts *o, struct la_collector *c,
		      const struct la_hooks *h, struct la_live *live,
		      double elapsed)
{
	struct la_report r;
	int ret;

	ret = snapshot(c, h, &r);
	if (ret)
		return ret;
	report__sort(&r);
	if (live)
		live__frame(live, &r, elapsed);
	if (o->json && o->interval > 0 && strcmp(o->json, "-")) {
		int e = report__save_json(&r, o->json, o->pretty);

		if (e)
			fprintf(stderr,
				"lockaudit: cannot rewrite the report '%s': "
				"%s\n",
				o->json, strerror(-e));
	}
	report__free(&r);
	return 0;
}

static int cmd_run(struct opts *o)
{
	bool stdout_taken = (o->json && !strcmp(o->json, "-")) ||
			    (o->events && !strcmp(o->events, "-"));
	FILE *human = stdout_taken ? stderr : stdout, *events = NULL;
	bool tty = o->live && isatty(fileno(human));
	struct la_collect_opts co = {.kallsyms = KALLSYMS,
				     .modules = MODULES,
				     /* the live table replaces the lines */
				     .live = tty ? NULL : human};
	struct la_collector *c = NULL;
	struct la_live *live = NULL;
	struct la_report r;
	struct la_hooks h;
	struct sigaction sa = {.sa_handler = on_signal};
	unsigned long long t0, next_tick;
	/* a frame per second on a terminal, else per --interval (10 s) */
	double tick = tty ? 1.0 : o->interval > 0 ? o->interval : 10.0;
	bool ticking = o->live || o->interval > 0;
	size_t nfe, nkp;
	char err[256];
	int ret;

	ret = get_hooks(o, &h, true);
	if (ret)
		return ret;
	if (o->events) {
		events = open_events(o->events, err, sizeof(err));
		if (!events) {
			ret = fail(EXIT_OUTPUT,
				   "cannot write events to '%s': %s", o->events,
				   err);
			goto detach;
		}
		co.events = events;
	}
	co.mode = o->events ? LA_EVENTS_ALL : LA_EVENTS_NEW_SITES;
	c = collect__new(&h, &co, err, sizeof(err));
	if (!c) {
		ret = fail(EXIT_FAIL, "%s", err);
		goto detach;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed events pipe is reported once; the report still gets out */
	signal(SIGPIPE, SIG_IGN);
	count_attached(&h, &nfe, &nkp);
	fprintf(human,
		"lockaudit: watching %zu entry points (%zu fentry, %zu "
		"kprobe)%s%s",
		nfe + nkp, nfe, nkp, h.adopted ? ", adopted from " : "",
		h.adopted ? o->pin_dir : "");
	if (o->duration > 0)
		fprintf(human, " for %g s", o->duration);
	fprintf(human, "; Ctrl-C to stop\n");
	fflush(human);

	if (o->live || o->interval > 0) {
		/* the table on the terminal, else progress lines on stderr */
		live = live__new(tty ? human : stderr, tty);
		if (!live) {
			ret = fail(EXIT_FAIL, "out of memory");
			goto detach;
		}
	}
	t0 = env__boot_ns();
	next_tick = t0 + (unsigned long long)(tick * 1e9);
	while (!stop) {
		unsigned long long now = env__boot_ns();
		double left = o->duration > 0
				      ? o->duration - (double)(now - t0) / 1e9
				      : 0.2;
		int ms;

		if (left <= 0)
			break;
		if (ticking && now >= next_tick) {
			next_tick = now + (unsigned long long)(tick * 1e9);
			ret = tick_frame(o, c, &h, live,
					 (double)(now - t0) / 1e9);
			if (ret)
				goto detach;
		}
		ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
		ret = collect__poll(c, ms);
		if (ret) {
			ret = fail(EXIT_FAIL, "reading events: %s",
				   strerror(-ret));
			goto detach;
		}
	}
	/* drain what is left before the snapshot */
	collect__poll(c, 0);
	ret = snapshot(c, &h, &r);
	if (ret)
		goto detach;
	collect__free(c);
	c = NULL;
	live__free(live);
	live = NULL;
	/* adopted state goes on counting; our own attachment ends here */
	hooks__detach(&h);

	ret = write_report(o, &r, human);
	report__free(&r);
	if (events && (events == stdout ? fflush(events) : fclose(events)) &&
	    !ret)
		ret = fail(EXIT_OUTPUT, "writing events to '%s' failed: %s",
			   o->events, strerror(errno));
	return ret;
detach:
	collect__free(c);
	live__free(live);
	hooks__detach(&h);
	if (events && events != stdout)
		fclose(events);
	return ret;
}

static int cmd_boot(struct opts *o)
{
	struct la_hooks h;
	size_t nfe, nkp;
	char err[256];
	int ret;

	ret = get_hooks(o, &h, false);
	if (ret)
		return ret;
	if (pin__save(&h, o->pin_dir, err, sizeof(err))) {
		hooks__detach(&h);
		return fail(EXIT_FAIL, "%s", err);
	}
	count_attached(&h, &nfe, &nkp);
	printf("lockaudit: %zu entry points attached (%zu fentry, %zu kprobe) "
	       "and pinned under %s; counting goes on without a process: read "
	       "it with 'lockaudit collect'\n",
	       nfe + nkp, nfe, nkp, o->pin_dir);
	/* links were handed to the pins: this only closes our descriptors */
	hooks__detach(&h);
	return fflush(stdout) ? EXIT_OUTPUT : 0;
}

static int cmd_collect(struct opts *o)
{
	FILE *human = o->json && !strcmp(o->json, "-") ? stderr : stdout;
	struct la_collect_opts co = {.kallsyms = KALLSYMS,
				     .modules = MODULES,
				     .mode = LA_EVENTS_NONE};
	struct la_collector *c;
	struct la_report r;
	struct la_hooks h;
	char err[256];
	int ret;

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail(EXIT_OUTPUT, "cannot write the report to '%s': %s",
			    o->json, err);
	if (!env__has_bpf_caps())
		return fail(EXIT_PERM,
			    "needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN): "
			    "run as root, e.g. 'sudo lockaudit collect'");
	if (!pin__exists(o->pin_dir))
		return fail(EXIT_NOTPINNED,
			    "nothing pinned under %s: start counting with "
			    "'lockaudit boot'",
			    o->pin_dir);
	ret = pin__open(&h, o->pin_dir, err, sizeof(err));
	if (ret)
		return fail(ret == PIN_FOREIGN ? EXIT_FOREIGN : EXIT_FAIL, "%s",
			    err);
	c = collect__new(&h, &co, err, sizeof(err));
	if (!c) {
		int e = errno; /* before closing descriptors can change it */

		hooks__detach(&h);
		if (strstr(err, KALLSYMS) && e == EPERM)
			return fail(EXIT_KPTR,
				    "kernel addresses are hidden in " KALLSYMS
				    " (kernel.kptr_restrict=2): run 'sysctl "
				    "kernel.kptr_restrict=1' as root");
		return fail(EXIT_FAIL, "%s", err);
	}
	ret = snapshot(c, &h, &r);
	collect__free(c);
	hooks__detach(&h);
	if (ret)
		return ret;
	ret = write_report(o, &r, human);
	report__free(&r);
	if (ret)
		return ret;
	if (o->detach) {
		ret = pin__remove(o->pin_dir, err, sizeof(err));
		if (ret == -ENOTEMPTY) /* ours are gone: detached */
			fprintf(human, "lockaudit: detached; %s\n", err);
		else if (ret)
			return fail(ret == PIN_FOREIGN ? EXIT_FOREIGN
						       : EXIT_FAIL,
				    "%s", err);
		else
			fprintf(human, "lockaudit: detached and unpinned %s\n",
				o->pin_dir);
	}
	return 0;
}

static int cmd_probes(struct opts *o)
{
	char rel[128], arch[64], host[256];
	struct ksyms *ks = NULL;
	struct la_hooks h;
	size_t i;
	int ret, n;

	ret = preflight(o, &h, &ks);
	if (ret)
		return ret;
	n = attach(o, &h, ks);
	ksyms__free(ks);
	if (n < 0)
		return -n;
	env__kernel(rel, sizeof(rel), arch, sizeof(arch), host, sizeof(host));
	if (o->json_probes) {
		json_object *root = json_object_new_object(), *a;

		json_object_object_add(
			root, "schema",
			json_object_new_string("lockaudit.probes/1"));
		json_object_object_add(root, "kernel",
				       json_object_new_string(rel));
		json_object_object_add(root, "arch",
				       json_object_new_string(arch));
		a = json_object_new_array();
		for (i = 0; i < h.nr; i++) {
			const struct la_hook *hk = &h.hook[i];
			json_object *e = json_object_new_object();

			json_object_object_add(
				e, "function",
				json_object_new_string(hk->def->func));
			json_object_object_add(
				e, "present",
				json_object_new_boolean(hk->in_kallsyms));
			json_object_object_add(
				e, "btf", json_object_new_boolean(hk->in_btf));
			json_object_object_add(
				e, "attach",
				json_object_new_string(
					hooks__attached_name(hk->attached)));
			json_object_object_add(
				e, "reason",
				json_object_new_string(hk->reason));
			json_object_array_add(a, e);
		}
		json_object_object_add(root, "hooks", a);
		printf("%s\n",
		       json_object_to_json_string_ext(
			       root, (o->pretty ? JSON_C_TO_STRING_PRETTY
						: JSON_C_TO_STRING_PLAIN) |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(root);
	} else {
		printf("kernel %s (%s)\n%-26s %-8s %-7s %s\n", rel, arch,
		       "entry point", "present", "attach",
		       "why not fentry / why absent");
		for (i = 0; i < h.nr; i++) {
			const struct la_hook *hk = &h.hook[i];

			printf("%-26s %-8s %-7s %s\n", hk->def->func,
			       hk->in_kallsyms ? "yes" : "no",
			       hooks__attached_name(hk->attached),
			       hk->reason[0] ? hk->reason : "-");
		}
	}
	hooks__detach(&h);
	if (!n)
		return fail(EXIT_NOHOOKS, "no entry point could be attached");
	return fflush(stdout) ? EXIT_OUTPUT : 0;
}

static int cmd_report(struct opts *o)
{
	struct la_report r;
	char err[512];
	int i, ret = 0;

	if (o->json && env__check_output(o->json, false, err, sizeof(err)))
		return fail(EXIT_OUTPUT, "cannot write the report to '%s': %s",
			    o->json, err);
	report__init(&r);
	r.sources = 0;
	for (i = 0; i < o->nr_files; i++) {
		if (report__merge_file(&r, o->files[i], err, sizeof(err))) {
			report__free(&r);
			return fail(EXIT_INPUT, "%s", err);
		}
	}
	if (!o->json || strcmp(o->json, "-")) {
		int e = report__write_text(&r, stdout);

		if (e)
			ret = fail(EXIT_OUTPUT,
				   "cannot write the report to stdout: %s",
				   strerror(-e));
	}
	if (o->json) {
		int e = strcmp(o->json, "-")
				? report__save_json(&r, o->json, o->pretty)
				: report__write_json(&r, stdout, o->pretty);

		if (e && !ret)
			ret = fail(EXIT_OUTPUT,
				   "cannot write the report to '%s': %s",
				   o->json, strerror(-e));
	}
	report__free(&r);
	return ret;
}

static const char doc[] =
	"lockaudit -- is device_lock held when the kernel configures a "
	"device's IOMMU?\n\n"
	"Commands:\n"
	"  run       attach, show new violation sites live, report on exit\n"
	"  probes    which entry points this kernel has and how they attach\n"
	"  boot      attach and pin, then exit: keep counting with no process\n"
	"  collect   report on (and optionally detach) the pinned state\n"
	"  report    render (and merge) saved JSON reports\n\n"
	"Run 'lockaudit COMMAND --help' for a command's options.";

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		const struct argp_option *options;
		const char *args;
		const char *doc;
		int (*fn)(struct opts *);
	} cmds[] = {
		{"run", run_options, NULL,
		 "Watch the IOMMU configuration entry points; print new "
		 "violation sites as they appear and the per-driver report on "
		 "exit.",
		 cmd_run},
		{"probes", probes_options, NULL,
		 "List every watch-list entry point: present or absent, the "
		 "attach mode that works here, and why not.",
		 cmd_probes},
		{"boot", boot_options, NULL,
		 "Attach, pin programs, links and maps under " LA_PIN_DIR
		 " and exit: counting goes on in the kernel with no process "
		 "(for early boot).",
		 cmd_boot},
		{"collect", collect_options, NULL,
		 "Read the state pinned by 'lockaudit boot' and write the "
		 "report; --detach ends it.",
		 cmd_collect},
		{"report", report_options, "INPUT.json...",
		 "Render the text report from saved JSON reports, merging "
		 "several into one. The arguments are the inputs; --json takes "
		 "the output as its value: lockaudit report a.json b.json "
		 "--json merged.json",
		 cmd_report},
	};
	struct opts o = {.pin_dir = LA_PIN_DIR};
	size_t i;
	int ret;

	argp_err_exit_status = EXIT_USAGE;
	if (argc >= 2 && argv[1][0] != '-') {
		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			struct argp a = {cmds[i].options,
					 parse_opt,
					 cmds[i].args,
					 cmds[i].doc,
					 NULL,
					 NULL,
					 NULL};
			char name[64];

			if (strcmp(argv[1], cmds[i].name))
				continue;
			snprintf(name, sizeof(name), "lockaudit %s",
				 cmds[i].name);
			argv[1] = name;
			o.cmd = cmds[i].name;
			if (!strcmp(o.cmd, "report"))
				o.json_first =
					json_before_inputs(argc - 2, argv + 2);
			if (argp_parse(&a, argc - 1, argv + 1, 0, NULL, &o))
				return EXIT_USAGE;
			ret = cmds[i].fn(&o);
			/* what is still buffered for stdout must get out */
			errno = 0;
			if ((fflush(stdout) || ferror(stdout)) && !ret)
				ret = fail(EXIT_OUTPUT,
					   "cannot write to stdout: %s",
					   errno ? strerror(errno)
						 : "write error");
			return ret;
		}
		return fail(EXIT_USAGE,
			    "unknown command '%s' (run, probes, boot, collect, "
			    "report; see --help)",
			    argv[1]);
	}
	{
		struct argp a = {NULL, NULL, "COMMAND [OPTION...]", doc, NULL,
				 NULL, NULL};

		argv[0] =
			"lockaudit"; /* messages name the tool, not its path */

		argp_parse(&a, argc, argv, 0, NULL, NULL);
	}
	return fail(EXIT_USAGE, "no command given (run, probes, boot, collect, "
				"report; see --help)");
}
