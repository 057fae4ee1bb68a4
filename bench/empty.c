// SPDX-License-Identifier: GPL-2.0
/*
 * empty - attach an empty fentry or kprobe BPF program to one kernel function
 * and wait for SIGINT/SIGTERM (the baseline of bench/run.sh).
 *
 * Usage: empty fentry|kprobe FUNCTION
 * Prints "empty: attached MODE FUNCTION" on stdout once attached.
 * Exit: 0 after a signal, 1 load/attach failure, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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
	struct empty_bpf *skel;
	struct bpf_link *link;
	sigset_t set, old;
	int fentry, err;

	if (argc != 3 || (strcmp(argv[1], "fentry") && strcmp(argv[1], "kprobe"))) {
		fprintf(stderr, "usage: empty fentry|kprobe FUNCTION\n");
		return 2;
	}
	fentry = !strcmp(argv[1], "fentry");
	libbpf_set_print(quiet_print);

	skel = empty_bpf__open();
	if (!skel) {
		fprintf(stderr, "empty: open failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(fentry ? skel->progs.empty_kprobe
					 : skel->progs.empty_fentry, false);
	if (fentry) {
		err = bpf_program__set_attach_target(skel->progs.empty_fentry, 0,
						     argv[2]);
		if (err) {
			fprintf(stderr, "empty: set_attach_target %s: %s\n",
				argv[2], strerror(-err));
			goto fail;
		}
	}
	err = empty_bpf__load(skel);
	if (err) {
		fprintf(stderr, "empty: load failed: %s\n", strerror(-err));
		goto fail;
	}
	if (fentry)
		link = bpf_program__attach_trace(skel->progs.empty_fentry);
	else
		link = bpf_program__attach_kprobe(skel->progs.empty_kprobe,
						  false, argv[2]);
	if (!link) {
		fprintf(stderr, "empty: attach %s %s: %s\n", argv[1], argv[2],
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
	printf("empty: attached %s %s\n", argv[1], argv[2]);
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);

	bpf_link__destroy(link);
	empty_bpf__destroy(skel);
	return 0;
fail:
	empty_bpf__destroy(skel);
	return 1;
}
