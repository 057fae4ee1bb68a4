// SPDX-License-Identifier: GPL-2.0
/*
 * empty - attach empty BPF programs to one kernel function and wait for
 * SIGINT/SIGTERM (the baseline of bench/run.sh).
 *
 * Usage: empty fentry|kprobe|fentry+fexit|kprobe+kretprobe FUNCTION
 * Prints "empty: attached MODE FUNCTION" on stdout once attached.
 * Exit: 0 after a signal, 1 load/attach failure, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "empty.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet_print(enum libbpf_print_level level, const char *fmt,
		       va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpf_link *links[2] = {NULL, NULL};
	struct empty_bpf *skel;
	struct bpf_program *entry;
	bool fentry, kprobe, fexit, kretprobe;
	const char *fn;
	sigset_t set, old;
	int err, i;

	if (argc != 3)
		goto usage;
	fn = argv[2];
	fentry = !strcmp(argv[1], "fentry") || !strcmp(argv[1], "fentry+fexit");
	fexit = !strcmp(argv[1], "fentry+fexit");
	kprobe = !strcmp(argv[1], "kprobe") ||
		 !strcmp(argv[1], "kprobe+kretprobe");
	kretprobe = !strcmp(argv[1], "kprobe+kretprobe");
	if (!fentry && !kprobe)
		goto usage;
	libbpf_set_print(quiet_print);

	skel = empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "empty: open failed: %s\n", strerror(errno));
		return 1;
	}
	/* LA_EMPTY_WORK=MASK: the fentry program does lockaudit's pieces
	 * (bench/empty.bpf.c), for the pieces table of bench/run.sh (bench/guest.sh part-N) */
	if (getenv("LA_EMPTY_WORK"))
		skel->rodata->work =
			(unsigned int)strtoul(getenv("LA_EMPTY_WORK"), NULL, 0);
	entry = skel->rodata->work ? skel->progs.parts_fentry
				   : skel->progs.empty_fentry;
	bpf_program__set_autoload(skel->progs.empty_fentry,
				  fentry && entry == skel->progs.empty_fentry);
	bpf_program__set_autoload(skel->progs.parts_fentry,
				  fentry && entry == skel->progs.parts_fentry);
	bpf_program__set_autoload(skel->progs.empty_fexit, fexit);
	bpf_program__set_autoload(skel->progs.empty_kprobe, kprobe);
	bpf_program__set_autoload(skel->progs.empty_kretprobe, kretprobe);
	if (fentry)
		err = bpf_program__set_attach_target(entry, 0, fn);
	else
		err = 0;
	if (!err && fexit)
		err = bpf_program__set_attach_target(skel->progs.empty_fexit, 0,
						     fn);
	if (err) {
		fprintf(stderr, "empty: set_attach_target %s: %s\n", fn,
			strerror(-err));
		goto fail;
	}
	err = empty_bpf__load(skel);
	if (err) {
		fprintf(stderr, "empty: load failed: %s\n", strerror(-err));
		goto fail;
	}
	{
		unsigned long long k[4] = {1, 2, 3, 4}, v = 0;

		if (bpf_map__update_elem(skel->maps.hmap, k, sizeof(k), &v,
					 sizeof(v), BPF_ANY)) {
			fprintf(stderr, "empty: hmap: %s\n", strerror(errno));
			goto fail;
		}
	}
	if (fentry) {
		links[0] = bpf_program__attach_trace(entry);
		if (links[0] && fexit)
			links[1] = bpf_program__attach_trace(
				skel->progs.empty_fexit);
	} else {
		links[0] = bpf_program__attach_kprobe(skel->progs.empty_kprobe,
						      false, fn);
		if (links[0] && kretprobe)
			links[1] = bpf_program__attach_kprobe(
				skel->progs.empty_kretprobe, true, fn);
	}
	if (!links[0] || ((fexit || kretprobe) && !links[1])) {
		fprintf(stderr, "empty: attach %s %s: %s\n", argv[1], fn,
			strerror(errno));
		goto fail;
	}

	/* block the signals, then wait for them atomically (no lost wakeup) */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("empty: attached %s %s\n", argv[1], fn);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);

	for (i = 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	empty_bpf__destroy(skel);
	return 0;
fail:
	for (i = 1; i >= 0; i--)
		bpf_link__destroy(links[i]);
	empty_bpf__destroy(skel);
	return 1;
usage:
	fprintf(stderr,
		"usage: empty fentry|kprobe|fentry+fexit|kprobe+kretprobe "
		"FUNCTION\n");
	return 2;
}
