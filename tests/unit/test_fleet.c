// SPDX-License-Identifier: GPL-2.0
/*
 * test_fleet.c - the fleet view of merged reports: run range sets and their
 * unions, machines and kernels per site for a hand-checked fleet of five
 * runs (tests/cli/data/fleet: a..e), merges of merged reports counting each
 * machine once, and run_ranges read strictly.
 *
 * The fleet (K1 6.1.0-56-amd64, K2 6.12.117+deb12-amd64):
 *   a alpha K1: unlocked 5, held_by_other 4, core 1
 *   b beta  K1: unlocked 2
 *   c gamma K2: unlocked 3, core 2
 *   d alpha K2: unlocked 1, held_by_other 1   (alpha rebooted into K2)
 *   e delta K1: held_by_other 7
 * so: unlocked on 3 machines (K1: alpha beta, K2: gamma alpha), 11 calls;
 * held_by_other on 2 (K1: alpha delta, K2: alpha), 12; core on 2 (K1 1,
 * K2 1), 3; the fleet 5 runs on 4 machines, K1 on 3, K2 on 2.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "lockaudit.h"
#include "report.h"
#include "report_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define K1	      "6.1.0-56-amd64"
#define K2	      "6.12.117+deb12-amd64"

static const char *fleet_dir(void)
{
	const char *d = getenv("LA_FLEETDATA");

	return d && d[0] ? d : "tests/cli/data/fleet";
}

/* ---- range sets -------------------------------------------------------- */

/* s's ranges are exactly want (n pairs lo, hi) */
static void expect_ranges(const struct la_rsite *s, size_t n, ...)
{
	va_list ap;

	assert_int_equal(s->nr_ranges, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t lo = va_arg(ap, uint32_t), hi = va_arg(ap, uint32_t);

		assert_int_equal(s->ranges[i].lo, lo);
		assert_int_equal(s->ranges[i].hi, hi);
	}
	va_end(ap);
}

static void test_ranges_add(void **state)
{
	struct la_rsite s = {0};

	(void)state;
	la_ranges_add(&s, 0, 0);
	la_ranges_add(&s, 1, 1); /* touches: one range */
	la_ranges_add(&s, 2, 2);
	la_ranges_add(&s, 5, 5);
	la_ranges_add(&s, 5, 5); /* again: nothing new */
	expect_ranges(&s, 2, 0u, 2u, 5u, 5u);
	la_ranges_add(&s, 3, 4); /* fills the gap, out of order */
	expect_ranges(&s, 1, 0u, 5u);
	free(s.ranges);
}

static void test_ranges_union(void **state)
{
	struct la_rsite d = {0}, s = {0};

	(void)state;
	la_ranges_add(&d, 0, 1);
	la_ranges_add(&d, 6, 8);
	la_ranges_add(&d, 20, 20);
	la_ranges_add(&s, 2, 3);
	la_ranges_add(&s, 5, 5);
	la_ranges_add(&s, 9, 19);
	la_ranges_add(&s, 30, 31);
	la_ranges_union(&d, &s);
	expect_ranges(&d, 3, 0u, 3u, 5u, 20u, 30u, 31u);
	/* a union with a subset changes nothing */
	la_ranges_union(&d, &s);
	expect_ranges(&d, 3, 0u, 3u, 5u, 20u, 30u, 31u);
	free(d.ranges);
	free(s.ranges);
	/* the top of the index range: no wrap */
	memset(&d, 0, sizeof(d));
	la_ranges_add(&d, UINT32_MAX - 1, UINT32_MAX);
	la_ranges_add(&d, UINT32_MAX, UINT32_MAX);
	la_ranges_add(&d, 0, 0);
	expect_ranges(&d, 2, 0u, 0u, UINT32_MAX - 1, UINT32_MAX);
	free(d.ranges);
}

/* ---- the five-run fleet ------------------------------------------------ */

/* r with the given files of the fleet (names "a".."e") merged, in order */
static void merge_fleet(struct la_report *r, const char *names)
{
	char path[512], err[512];

	for (const char *n = names; *n; n++) {
		snprintf(path, sizeof(path), "%s/%c.json", fleet_dir(), *n);
		if (report__merge_file(r, path, err, sizeof(err)))
			fail_msg("%s", err);
	}
}

/* what writer writes of r, NUL-terminated (free it) */
static char *written(const struct la_report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(json ? report__write_json(r, m, false)
			      : report__write_text(r, m),
			 0);
	assert_int_equal(fclose(m), 0);
	return buf;
}

/* the site of the JSON report j whose function (or core_path) is name */
static json_object *site_named(json_object *j, const char *name)
{
	static const char *const sec[] = {"drivers", "core"};

	for (size_t k = 0; k < ARRAY_SIZE(sec); k++) {
		json_object *groups = json_object_object_get(j, sec[k]);

		for (size_t g = 0; g < json_object_array_length(groups); g++) {
			json_object *sites = json_object_object_get(
				json_object_array_get_idx(groups, g), "sites");

			for (size_t i = 0; i < json_object_array_length(sites);
			     i++) {
				json_object *s =
					json_object_array_get_idx(sites, i);
				json_object *f;

				if ((json_object_object_get_ex(s, "function",
							       &f) ||
				     json_object_object_get_ex(s, "core_path",
							       &f)) &&
				    !strcmp(json_object_get_string(f), name))
					return s;
			}
		}
	}
	fail_msg("no site %s", name);
	return NULL;
}

/* site name of j: count, machines and kernels ("K=n" in order) as given */
static void expect_site(json_object *j, const char *name, int64_t count,
			int64_t machines, const char *kernels)
{
	json_object *s = site_named(j, name), *ks;
	char got[256] = "";

	assert_int_equal(
		json_object_get_int64(json_object_object_get(s, "count")),
		count);
	assert_int_equal(
		json_object_get_int64(json_object_object_get(s, "machines")),
		machines);
	ks = json_object_object_get(s, "kernels");
	for (size_t i = 0; i < json_object_array_length(ks); i++) {
		json_object *k = json_object_array_get_idx(ks, i);
		size_t n = strlen(got);

		snprintf(got + n, sizeof(got) - n, "%s%s=%" PRId64,
			 i ? " " : "",
			 json_object_get_string(
				 json_object_object_get(k, "kernel")),
			 json_object_get_int64(
				 json_object_object_get(k, "machines")));
	}
	assert_string_equal(got, kernels);
}

static void expect_fleet_json(const char *json)
{
	json_object *j = json_tokener_parse(json);

	assert_non_null(j);
	expect_site(j, "la_call_unlocked", 11, 3, K1 "=2 " K2 "=2");
	expect_site(j, "la_call_other", 12, 2, K1 "=2 " K2 "=1");
	expect_site(j, "device add (iommu_bus_notifier)", 3, 2,
		    K1 "=1 " K2 "=1");
	assert_int_equal(
		json_object_array_length(json_object_object_get(j, "runs")), 5);
	json_object_put(j);
}

static void test_fleet_counts(void **state)
{
	struct la_report r;
	char *json, *text;

	(void)state;
	report__init(&r);
	merge_fleet(&r, "abcde");
	json = written(&r, true);
	expect_fleet_json(json);
	text = written(&r, false);
	assert_non_null(strstr(text,
			       "\nfleet: 5 runs on 4 machines (by "
			       "hostname), kernels: " K1 " (3), " K2 " (2)\n"));
	assert_non_null(strstr(text, "\n      seen on 3 machines, kernels: " K1
				     " (2), " K2 " (2)\n"));
	assert_non_null(strstr(text, "\n      seen on 2 machines, kernels: " K1
				     " (2), " K2 " (1)\n"));
	/* by machines, then count: 11 calls on 3 machines before 12 on 2 */
	assert_true(strstr(text, "la_call_unlocked+0x23") <
		    strstr(text, "la_call_other+0x23"));
	free(json);
	free(text);
	report__free(&r);
}

/* one machine: no fleet lines */
static void test_single_run_text(void **state)
{
	struct la_report r;
	char *text;

	(void)state;
	report__init(&r);
	merge_fleet(&r, "a");
	text = written(&r, false);
	assert_null(strstr(text, "fleet:"));
	assert_null(strstr(text, "seen on"));
	assert_non_null(strstr(text, "\nkernel " K1 " (x86_64), alpha, "));
	free(text);
	report__free(&r);
}

/* the JSON of the fleet files names merged, saved to dir/out */
static void save_merged(const char *names, const char *path)
{
	struct la_report r;

	report__init(&r);
	merge_fleet(&r, names);
	assert_int_equal(report__save_json(&r, path, false), 0);
	report__free(&r);
}

static void test_merge_of_merges(void **state)
{
	char dir[] = "/tmp/la_fleet_XXXXXX", ab[64], cde[64], ad[64], err[512];
	struct la_report all, r;
	char *want, *got;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(ab, sizeof(ab), "%s/ab.json", dir);
	snprintf(cde, sizeof(cde), "%s/cde.json", dir);
	snprintf(ad, sizeof(ad), "%s/ad.json", dir);
	save_merged("ab", ab);
	save_merged("cde", cde);
	save_merged("ad", ad);
	report__init(&all);
	merge_fleet(&all, "abcde");
	want = written(&all, true);
	/* in the same order: the same bytes */
	report__init(&r);
	assert_int_equal(report__merge_file(&r, ab, err, sizeof(err)), 0);
	assert_int_equal(report__merge_file(&r, cde, err, sizeof(err)), 0);
	got = written(&r, true);
	assert_string_equal(got, want);
	free(got);
	report__free(&r);
	/* in another order (a d, then b c e): the same numbers */
	report__init(&r);
	assert_int_equal(report__merge_file(&r, ad, err, sizeof(err)), 0);
	merge_fleet(&r, "bce");
	got = written(&r, true);
	expect_fleet_json(got);
	free(got);
	/* a run already merged (a, inside ad): refused */
	assert_int_equal(report__merge_file(&r, ab, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "is merged already"));
	report__free(&r);
	report__free(&all);
	free(want);
	unlink(ab);
	unlink(cde);
	unlink(ad);
	rmdir(dir);
}

/* the merged fleet's JSON with from replaced by to (once) is refused with
 * why */
static void expect_refused(const char *from, const char *to, const char *why)
{
	char dir[] = "/tmp/la_fleet_XXXXXX", path[64], err[512];
	struct la_report r;
	char *json, *at, *bad;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/in.json", dir);
	report__init(&r);
	merge_fleet(&r, "abcde");
	json = written(&r, true);
	report__free(&r);
	at = strstr(json, from);
	if (!at)
		fail_msg("'%s' not in the fleet's JSON", from);
	bad = malloc(strlen(json) + strlen(to) + 1);
	assert_non_null(bad);
	sprintf(bad, "%.*s%s%s", (int)(at - json), json, to, at + strlen(from));
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(bad, f);
	assert_int_equal(fclose(f), 0);
	report__init(&r);
	assert_int_equal(report__merge_file(&r, path, err, sizeof(err)),
			 -EINVAL);
	if (!strstr(err, why))
		fail_msg("'%s' lacks '%s'", err, why);
	report__free(&r);
	free(json);
	free(bad);
	unlink(path);
	rmdir(dir);
}

static void test_run_ranges_read(void **state)
{
	(void)state;
	/* the first site is on runs 0-3 (a b c d: alpha beta gamma alpha) */
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[0,5]]",
		       "runs not ascending or not in 'runs' in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[2,3],[0,0]]",
		       "runs not ascending or not in 'runs' in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[3,2]]",
		       "runs not ascending or not in 'runs' in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[]",
		       "no run in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[0]]",
		       "want [first, last] in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[0,-1]]",
		       "negative count in 'run_ranges'");
	expect_refused("\"run_ranges\":[[0,3]]", "\"run_ranges\":[[0,\"3\"]]",
		       "wrong type for an item of 'run_ranges'");
	expect_refused(",\"run_ranges\":[[0,3]]", "",
		       "missing field 'run_ranges'");
	/* a merged /1 report: its sites do not name their runs */
	expect_refused("lockaudit.report/2", "lockaudit.report/1",
		       "a merged lockaudit.report/1 report");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ranges_add),
		cmocka_unit_test(test_ranges_union),
		cmocka_unit_test(test_fleet_counts),
		cmocka_unit_test(test_single_run_text),
		cmocka_unit_test(test_merge_of_merges),
		cmocka_unit_test(test_run_ranges_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
