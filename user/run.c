// SPDX-License-Identifier: GPL-2.0
/*
 * run.c - the `run` command: attach (or adopt), watch until --duration or a
 * signal with live lines, events, the --live table or progress lines and
 * --interval snapshots and --metrics served, then the final report.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "collect.h"
#include "env.h"
#include "hooks.h"
#include "ksyms.h"
#include "live.h"
#include "metrics.h"
#include "output.h"
#include "report.h"
#include "setup.h"
#include "snapshot.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One run: where its output goes, and what it holds while it watches. */
struct run {
	const struct la_opts *o;
	FILE *human;  /* the text: stderr when --json/--events use stdout */
	FILE *events; /* --events, opened; NULL: none */
	bool tty;     /* --live on a terminal: the table, no lines */
	double tick;  /* seconds between frames */
	struct la_hooks h;
	struct la_ksyms_read
		kr; /* kallsyms as setup read it: the collector's */
	struct la_collector *c;
	struct la_live *live;
	struct la_metrics_http *http; /* --metrics */
};

static void run_init(struct run *run, const struct la_opts *o)
{
	bool stdout_taken = (o->json && !strcmp(o->json, "-")) ||
			    (o->events && !strcmp(o->events, "-"));

	run->o = o;
	run->human = stdout_taken ? stderr : stdout;
	run->events = NULL;
	run->tty = o->live && isatty(fileno(run->human));
	/* a frame per second on a terminal, else per --interval (10 s) */
	run->tick = run->tty ? 1.0 : o->interval > 0 ? o->interval : 10.0;
	run->c = NULL;
	run->live = NULL;
	run->http = NULL;
	run->kr = (struct la_ksyms_read){0};
}

/* --metrics: listening before anything is attached (a port in use is
 * said at once); served from libmicrohttpd's thread */
static enum la_err start_metrics(struct run *run)
{
	char err[256];

	if (!run->o->metrics)
		return LA_OK;
	run->http = metrics_http__start(run->o->metrics, err, sizeof(err));
	if (!run->http)
		return fail__say(LA_ERR_OUTPUT, "cannot serve metrics: %s",
				 err);
	return LA_OK;
}

/* The metrics of r, in place of those served so far. */
static void publish_metrics(const struct run *run, const struct la_report *r)
{
	struct la_proc_facts pf;
	struct la_metrics_opts mo = {.fmt = LA_METRICS_OPENMETRICS,
				     .max_sites = run->o->metrics_max_sites};
	size_t len;
	char *text;

	if (!procfacts__read(&pf))
		mo.proc = &pf;
	text = metrics__text(r, &mo, &len);
	if (!text) {
		fprintf(stderr, "lockaudit: cannot format the metrics: %s\n",
			strerror(errno));
		return;
	}
	metrics_http__publish(run->http, text, len);
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

/* --events opened, and the collector reading what the hooks emit. */
static enum la_err open_collector(struct run *run)
{
	struct la_collect_opts co = {.kallsyms = LA_KALLSYMS,
				     .modules = LA_MODULES,
				     /* the live table replaces the lines */
				     .live = run->tty ? NULL : run->human};
	const struct la_opts *o = run->o;
	bool hidden;
	char err[256];

	if (o->events) {
		run->events = open_events(o->events, err, sizeof(err));
		if (!run->events)
			return fail__events_to(o->events, err);
		co.events = run->events;
	}
	co.mode = o->events ? LA_EVENTS_ALL : LA_EVENTS_NEW_SITES;
	/* taken over: not read again (NULL when pinned state was adopted) */
	co.ks = run->kr.ks;
	co.ks_modules_sum = run->kr.modules_sum;
	run->kr.ks = NULL;
	run->c = collect__new(&run->h, &co, &hidden, err, sizeof(err));
	if (!run->c)
		return hidden ? fail__kptr()
			      : fail__say(LA_ERR_FAIL, "%s", err);
	return LA_OK;
}

static void say_watching(const struct run *run)
{
	const struct la_opts *o = run->o;
	FILE *human = run->human;
	size_t nfe, nkp;

	setup__count(&run->h, &nfe, &nkp);
	fprintf(human,
		"lockaudit: watching %zu entry points (%zu fentry, %zu "
		"kprobe)%s%s",
		nfe + nkp, nfe, nkp, run->h.adopted ? ", adopted from " : "",
		run->h.adopted ? o->pin_dir : "");
	if (o->duration > 0)
		fprintf(human, " for %g s", o->duration);
	fprintf(human, "; Ctrl-C to stop\n");
	if (run->http)
		fprintf(human,
			"lockaudit: serving metrics at http://%s/metrics (port "
			"%u)\n",
			o->metrics, metrics_http__port(run->http));
	fflush(human);
}

/* With the hooks attached: events and collector, signals, the first line,
 * the live view. */
static enum la_err start(struct run *run)
{
	struct sigaction sa = {.sa_handler = on_signal};
	enum la_err ret;

	ret = open_collector(run);
	if (ret)
		return ret;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed events pipe is reported once; the report still gets out */
	signal(SIGPIPE, SIG_IGN);
	say_watching(run);
	if (run->o->live || run->o->interval > 0) {
		/* the table on the terminal, else progress lines on stderr */
		run->live = live__new(run->tty ? run->human : stderr, run->tty);
		if (!run->live)
			return fail__oom();
	}
	return LA_OK;
}

/*
 * Every tick: a snapshot for the live view or progress line, the metrics
 * served (--metrics), and (with --json --interval) the report rewritten
 * atomically, so a crash leaves the last complete one. elapsed < 0: the
 * metrics alone.
 */
static enum la_err tick_frame(const struct run *run, double elapsed)
{
	const struct la_opts *o = run->o;
	struct la_report r;
	enum la_err ret;

	ret = snapshot__take(run->c, &run->h, &r);
	if (ret)
		return ret;
	report__sort(&r);
	if (run->http)
		publish_metrics(run, &r);
	if (elapsed < 0) { /* the first metrics, before the first tick */
		report__free(&r);
		return LA_OK;
	}
	if (run->live)
		live__frame(run->live, &r, elapsed);
	if (o->json && o->interval > 0 && strcmp(o->json, "-")) {
		int e = report__save_json(&r, o->json, o->pretty);

		if (e)
			fprintf(stderr,
				"lockaudit: cannot rewrite the report '%s': "
				"%s\n",
				o->json, strerror(-e));
	}
	report__free(&r);
	return LA_OK;
}

/* Until --duration is over or a signal came: events, and frames. */
static enum la_err watch(const struct run *run)
{
	const struct la_opts *o = run->o;
	bool ticking = o->live || o->interval > 0 || run->http;
	unsigned long long t0 = env__boot_ns();
	unsigned long long next_tick =
		t0 + (unsigned long long)(run->tick * 1e9);
	enum la_err ret;

	if (run->http) {
		ret = tick_frame(run, -1);
		if (ret)
			return ret;
	}

	while (!stop) {
		unsigned long long now = env__boot_ns();
		double left = o->duration > 0
				      ? o->duration - (double)(now - t0) / 1e9
				      : 0.2;
		int ms, e;

		if (left <= 0)
			break;
		if (ticking && now >= next_tick) {
			next_tick = now + (unsigned long long)(run->tick * 1e9);
			ret = tick_frame(run, (double)(now - t0) / 1e9);
			if (ret)
				return ret;
		}
		ms = left > 0.2 ? 200 : (int)(left * 1000) + 1;
		e = collect__poll(run->c, ms);
		if (e)
			return fail__say(LA_ERR_FAIL, "reading events: %s",
					 strerror(-e));
	}
	return LA_OK;
}

/* What is still open, as a failure leaves it. */
static void abandon(struct run *run)
{
	ksyms__free(run->kr.ks);
	run->kr.ks = NULL;
	collect__free(run->c);
	live__free(run->live);
	metrics_http__stop(run->http);
	hooks__detach(&run->h);
	if (run->events && run->events != stdout)
		fclose(run->events);
}

/* --events flushed (stdout) or closed: 0 or EOF (errno set) */
static int close_events(FILE *events)
{
	return events == stdout ? fflush(events) : fclose(events);
}

/* The last snapshot, everything released, then the report and the events
 * file closed. */
static enum la_err finish(struct run *run)
{
	const struct la_opts *o = run->o;
	struct la_report r;
	enum la_err ret;

	/* drain what is left before the snapshot */
	collect__poll(run->c, 0);
	ret = snapshot__take(run->c, &run->h, &r);
	if (ret) {
		abandon(run);
		return ret;
	}
	collect__free(run->c);
	live__free(run->live);
	metrics_http__stop(run->http);
	/* adopted state goes on counting; our own attachment ends here */
	hooks__detach(&run->h);

	fputc('\n', run->human);
	ret = output__report(&r, run->human, o->json, o->pretty);
	report__free(&r);
	if (run->events && close_events(run->events) && !ret)
		ret = fail__say(LA_ERR_OUTPUT,
				"writing events to '%s' failed: %s", o->events,
				strerror(errno));
	return ret;
}

enum la_err cmd_run(const struct la_opts *o)
{
	struct run run;
	enum la_err ret;

	run_init(&run, o);
	ret = start_metrics(&run);
	if (ret)
		return ret;
	ret = setup__hooks(o, &run.h, true, &run.kr);
	if (ret) {
		metrics_http__stop(run.http);
		return ret;
	}
	ret = start(&run);
	if (!ret)
		ret = watch(&run);
	if (ret) {
		abandon(&run);
		return ret;
	}
	return finish(&run);
}
