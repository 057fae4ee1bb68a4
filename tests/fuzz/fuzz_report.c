// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_report.c - libFuzzer harness for the report reader, merge and both
 * writers (docs/fuzzing.md).
 *
 * Each input is read as a JSON report into an empty report
 * (report__merge_file, which reads by path: the input is put into a memfd,
 * created once per process and rewritten each time). An input the reader
 * refuses is fine. One it accepts must survive the round trip: the text
 * writer succeeds on it, the JSON writer's output is read back into a fresh
 * report, and that one has the same totals (calls by state, sites, the sum
 * of their counts, concurrent findings and theirs, sources, dropped counts,
 * runs) and duration (as written: to the microsecond). Any difference, or a
 * refusal of our own output, aborts, and libFuzzer keeps the input.
 */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/types.h>

#include "lockaudit.h"
#include "report.h"

static int in_fd = -1, out_fd = -1;
static char in_path[64], out_path[64];
static FILE *text_sink;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_report: %s\n", what);
	abort();
}

static int memfd(const char *name, char *path, size_t len)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0) {
		perror("fuzz_report: memfd_create");
		abort();
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* what folding nested calls (done by the writers) keeps: the calls of the
 * sites, nested ones included, not the number of sites */
struct totals {
	uint64_t calls[LA_NR_STATES];
	size_t races;
	uint64_t site_count, race_count;
	uint64_t sources, dropped[LA_NR_DROPS];
	size_t runs; /* the fleet's: a report of one run reads back as one */
};

static void totals(const struct la_report *r, struct totals *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < LA_NR_STATES; i++)
		t->calls[i] = report__calls(r, (int)i);
	for (i = 0; i < r->nr_sites; i++) {
		t->site_count += r->sites[i].count;
		for (size_t j = 0; j < r->sites[i].nr_nested; j++)
			t->site_count += r->sites[i].nested[j].count;
	}
	t->races = r->nr_races;
	for (i = 0; i < r->nr_races; i++)
		t->race_count += r->races[i].count;
	t->sources = r->sources;
	t->runs = r->nr_runs;
	for (i = 0; i < LA_NR_DROPS; i++)
		t->dropped[i] = LA_DROP_C(r, i);
}

static void print_totals(const char *which, const struct totals *t)
{
	fprintf(stderr,
		"  %s: calls %" PRIu64 "/%" PRIu64 "/%" PRIu64
		", site calls %" PRIu64 ", %zu races (count %" PRIu64
		"), %" PRIu64 " sources, dropped %" PRIu64 "/%" PRIu64
		"/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 "/%" PRIu64
		", %zu runs\n",
		which, t->calls[0], t->calls[1], t->calls[2], t->site_count,
		t->races, t->race_count, t->sources, t->dropped[0],
		t->dropped[1], t->dropped[2], t->dropped[3], t->dropped[4],
		t->dropped[5], t->dropped[6], t->runs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct la_report r, back;
	struct totals a, b;
	char err[512], sec[512];
	FILE *f;

	if (in_fd < 0) {
		in_fd = memfd("fuzz-in", in_path, sizeof(in_path));
		out_fd = memfd("fuzz-out", out_path, sizeof(out_path));
		text_sink = fopen("/dev/null", "we");
		if (!text_sink)
			die("cannot open /dev/null");
	}
	if (ftruncate(in_fd, 0) ||
	    (size && pwrite(in_fd, data, size, 0) != (ssize_t)size))
		die("cannot write the input to its memfd");

	report__init(&r);
	if (report__merge_file(&r, in_path, err, sizeof(err))) {
		report__free(&r);
		return 0; /* refused: fine, as long as nothing broke */
	}
	report__sort(&r);
	clearerr(text_sink);
	if (report__write_text(&r, text_sink))
		die("the text writer failed on a report the reader accepted");

	/* fopen truncates the memfd (a fresh open of /proc/self/fd/N) */
	f = fopen(out_path, "we");
	if (!f)
		die("cannot open the output memfd");
	if (report__write_json(&r, f, size & 1) || fclose(f))
		die("the JSON writer failed on a report the reader accepted");

	report__init(&back);
	if (report__merge_file(&back, out_path, err, sizeof(err))) {
		fprintf(stderr, "fuzz_report: own output refused: %s\n", err);
		abort();
	}
	totals(&r, &a);
	totals(&back, &b);
	if (memcmp(&a, &b, sizeof(a))) {
		fprintf(stderr, "fuzz_report: totals differ after the round "
				"trip\n");
		print_totals("read", &a);
		print_totals("read back", &b);
		abort();
	}
	/* a fixpoint: what was read back is written back byte for byte */
	{
		char *j1 = NULL, *j2 = NULL;
		size_t n1 = 0, n2 = 0;
		FILE *m1 = open_memstream(&j1, &n1),
		     *m2 = open_memstream(&j2, &n2);

		if (!m1 || !m2 || report__write_json(&r, m1, size & 1) ||
		    report__write_json(&back, m2, size & 1) || fclose(m1) ||
		    fclose(m2))
			die("cannot write JSON to memory");
		if (n1 != n2 || memcmp(j1, j2, n1)) {
			fprintf(stderr, "fuzz_report: the JSON written differs "
					"after the round trip\n");
			abort();
		}
		free(j1);
		free(j2);
	}
	/* the writer gives seconds to the microsecond (%.6f) */
	snprintf(sec, sizeof(sec), "%.6f", r.duration_s);
	if (back.duration_s != strtod(sec, NULL) &&
	    !(isnan(back.duration_s) && isnan(r.duration_s))) {
		fprintf(stderr,
			"fuzz_report: duration_s %.17g read back as %.17g\n",
			r.duration_s, back.duration_s);
		abort();
	}
	report__free(&back);
	report__free(&r);
	return 0;
}
