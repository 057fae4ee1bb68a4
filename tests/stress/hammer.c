// SPDX-License-Identifier: GPL-2.0
/*
 * hammer.c - BPF map syscalls in a loop for SECONDS (tests/stress/misses.sh,
 * in the guest): each lookup holds its CPU's bpf_prog_active while it runs
 * (bpf_disable_instrumentation). On PREEMPT_RT a task that preempts it there
 * and hits a kprobe has its BPF program skipped by trace_call_bpf(), and the
 * kernel counts the skip (6.7+): the calls lockaudit must report as missed.
 * Usage: hammer SECONDS. Prints "hammer: N lookups"; exit 0, or 1.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS 512

static double since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0;
	unsigned long long k, v = 0, n = 0;
	struct timespec t0;
	int fd;

	if (argc != 2 || !(secs > 0)) {
		fprintf(stderr, "usage: hammer SECONDS\n");
		return 1;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "hammer", sizeof(k), sizeof(v),
			    KEYS, NULL);
	if (fd < 0) {
		fprintf(stderr, "hammer: cannot create a map: %s\n",
			strerror(errno));
		return 1;
	}
	for (k = 0; k < KEYS; k++)
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY)) {
			fprintf(stderr, "hammer: cannot fill the map: %s\n",
				strerror(errno));
			return 1;
		}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (k = 0; k < KEYS; k++, n++)
			if (bpf_map_lookup_elem(fd, &k, &v)) {
				fprintf(stderr, "hammer: lookup: %s\n",
					strerror(errno));
				return 1;
			}
	} while (since(&t0) < secs);
	printf("hammer: %llu lookups\n", n);
	return 0;
}
