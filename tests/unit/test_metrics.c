// SPDX-License-Identifier: GPL-2.0
/*
 * test_metrics.c - the metrics formatter (report_metrics.c), the textfile
 * writer (metrics_file.c) and the process facts (procfacts.c): exact text.
 *
 * Golden files (in $LA_TESTDATA, default tests/unit/data):
 *   report.golden.om     OpenMetrics of report.golden.json, fixed process
 *                        facts
 *   report.golden.prom   the Prometheus text format of it (no process_*)
 * After an intended change of the format: LA_UPDATE_GOLDEN=1
 * build/unit/test_metrics, then review git diff tests/unit/data.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lockaudit.h"
#include "metrics.h"
#include "report.h"

static char *data_path(const char *name)
{
	const char *dir = getenv("LA_TESTDATA");
	char *p;

	if (!dir || !dir[0])
		dir = "tests/unit/data";
	p = malloc(strlen(dir) + strlen(name) + 2);
	assert_non_null(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf = realloc(buf, len + n + 1);
		assert_non_null(buf);
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (!buf)
		buf = calloc(1, 1);
	else
		buf[len] = 0;
	return buf;
}

static char *text_of(const struct la_report *r, enum la_metrics_fmt fmt,
		     size_t max, const struct la_proc_facts *p)
{
	struct la_metrics_opts o = {.fmt = fmt, .max_sites = max, .proc = p};
	size_t len;
	char *t = metrics__text(r, &o, &len);

	assert_non_null(t);
	assert_int_equal(strlen(t), len);
	return t;
}

/* the lines of text that start with prefix, joined */
static char *lines_with(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix), len = 0;
	char *out = calloc(1, strlen(text) + 1);
	const char *p = text;

	assert_non_null(out);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);

		if (!strncmp(p, prefix, plen)) {
			memcpy(out + len, p, n);
			len += n;
		}
		p += n;
	}
	return out;
}

static void golden(const char *name, const char *text)
{
	char *path = data_path(name), *want;

	if (getenv("LA_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		fclose(f);
	}
	want = slurp(path);
	assert_non_null(want);
	assert_string_equal(text, want);
	free(want);
	free(path);
}

static void load_golden(struct la_report *r)
{
	char *path = data_path("report.golden.json");
	char err[256];

	report__init(r);
	assert_int_equal(report__merge_file(r, path, err, sizeof(err)), 0);
	free(path);
}

static void test_golden_openmetrics(void **state)
{
	const struct la_proc_facts p = {
		.cpu_s = 1.25, .rss_bytes = 7340032, .start_s = 1700000000.5};
	struct la_report r;
	char *t;

	(void)state;
	load_golden(&r);
	t = text_of(&r, LA_METRICS_OPENMETRICS, LA_METRICS_MAX_SITES, &p);
	golden("report.golden.om", t);
	free(t);
	report__free(&r);
}

static void test_golden_prometheus(void **state)
{
	struct la_report r;
	char *t;

	(void)state;
	load_golden(&r);
	t = text_of(&r, LA_METRICS_PROMETHEUS, LA_METRICS_MAX_SITES, NULL);
	golden("report.golden.prom", t);
	free(t);
	report__free(&r);
}

/* The golden report's series, spelled out: the golden files above must not
 * be trusted alone. */
static void test_golden_series(void **state)
{
	struct la_report r;
	char *t, *v;

	(void)state;
	load_golden(&r);
	t = text_of(&r, LA_METRICS_OPENMETRICS, LA_METRICS_MAX_SITES, NULL);
	v = lines_with(t, "lockaudit_violations_total");
	assert_string_equal(
		v,
		"lockaudit_violations_total{module=\"\",function=\"\","
		"entry_point=\"acpi_dma_configure_id\",lock_state="
		"\"unlocked\",severity=\"low\",group=\"unclassified\","
		"path=\"\",rule=\"\"} 2\n"
		"lockaudit_violations_total{module=\"\",function=\"\","
		"entry_point=\"iommu_probe_device\",lock_state=\"unlocked\","
		"severity=\"info\",group=\"core\",path=\"device add "
		"(iommu_bus_notifier)\",rule=\"\"} 12\n"
		"lockaudit_violations_total{module=\"e1000e\",function="
		"\"e1000_probe\",entry_point=\"acpi_dma_configure_id\","
		"lock_state=\"unlocked\",severity=\"medium\",group=\"driver\","
		"path=\"\",rule=\"\"} 2\n"
		"lockaudit_violations_total{module=\"la_test\",function="
		"\"la_call_other\",entry_point=\"acpi_dma_configure_id\","
		"lock_state=\"held_by_other\",severity=\"high\",group="
		"\"driver\",path=\"\",rule=\"\"} 1\n"
		"lockaudit_violations_total{module=\"la_test\",function="
		"\"la_call_unlocked\",entry_point=\"acpi_dma_configure_id\","
		"lock_state=\"unlocked\",severity=\"high\",group=\"driver\","
		"path=\"\",rule=\"\"} 5\n");
	free(v);
	v = lines_with(t, "lockaudit_calls_total{entry_point=\"acpi");
	assert_string_equal(
		v, "lockaudit_calls_total{entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"held\",rule=\"\"} 120\n"
		   "lockaudit_calls_total{entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"unlocked\",rule=\"\"} 9\n"
		   "lockaudit_calls_total{entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"held_by_other\",rule=\"\"} "
		   "1\n"
		   "lockaudit_calls_total{entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"read_held\",rule=\"\"} "
		   "0\n");
	free(v);
	v = lines_with(t, "lockaudit_hook_attached{");
	assert_string_equal(v,
			    "lockaudit_hook_attached{entry_point=\"acpi_"
			    "dma_configure_id\",mode=\"fentry\",rule=\"\"} 1\n"
			    "lockaudit_hook_attached{entry_point=\"iommu_"
			    "probe_device\",mode=\"kprobe\",rule=\"\"} 1\n"
			    "lockaudit_hook_attached{entry_point=\"of_dma_"
			    "configure_id\",mode=\"absent\",rule=\"\"} 0\n");
	free(v);
	v = lines_with(t, "lockaudit_dropped_total{kind=\"e");
	assert_string_equal(v, "lockaudit_dropped_total{kind=\"events\"} 3\n");
	free(v);
	/* OpenMetrics: counter families without _total, and # EOF last */
	assert_non_null(strstr(t, "# TYPE lockaudit_violations counter\n"));
	assert_null(strstr(t, "# TYPE lockaudit_violations_total"));
	assert_non_null(strstr(t, "# TYPE lockaudit info\n"));
	assert_string_equal(t + strlen(t) - 6, "# EOF\n");
	assert_null(strstr(t, "process_"));
	free(t);
	report__free(&r);
}

/* a hook and one violation site with the given culprit, set directly */
static struct la_rsite *add_site(struct la_report *r, const char *module,
				 const char *function, int state,
				 enum la_severity sev, uint64_t count,
				 double first_s, const char *frame)
{
	const char *frames[] = {"acpi_dma_configure_id+0x9", frame,
				"do_one_initcall+0x5b"};
	struct la_rsite *s;

	s = report__add_site(r, "acpi_dma_configure_id", state,
			     (char *const *)frames, 3, false, true, 0);
	free(s->module);
	free(s->function);
	s->module = strdup(module);
	s->function = strdup(function);
	s->group = LA_GROUP_DRIVER;
	s->severity = sev;
	s->count = count;
	s->first_s = s->last_s = first_s;
	return s;
}

static void test_escaping(void **state)
{
	struct la_report r;
	char *t, *v;

	(void)state;
	report__init(&r);
	r.kernel = strdup("6.1\"x\\y\nz");
	r.arch = strdup("x86_64");
	add_site(&r, "ev\"il\\mo\nd", "bad\"fn\\x\ny", LA_UNLOCKED, LA_SEV_HIGH,
		 3, 1.0, "bad_fn+0x23 [evil]");
	/* bytes outside UTF-8: U+FFFD each; well-formed UTF-8 stays */
	add_site(&r, "m\xff\xfe", "f\xc3\xa9", LA_UNLOCKED, LA_SEV_HIGH, 4, 2.0,
		 "other_fn+0x1 [m]");
	t = text_of(&r, LA_METRICS_PROMETHEUS, 10, NULL);
	v = lines_with(t, "lockaudit_violations_total{");
	assert_string_equal(
		v, "lockaudit_violations_total{module=\"ev\\\"il\\\\mo\\nd\","
		   "function=\"bad\\\"fn\\\\x\\ny\",entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"unlocked\",severity=\"high\","
		   "group=\"driver\",path=\"\",rule=\"\"} 3\n"
		   "lockaudit_violations_total{module=\"m\xef\xbf\xbd\xef\xbf"
		   "\xbd\",function=\"f\xc3\xa9\",entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"unlocked\",severity=\"high\","
		   "group=\"driver\",path=\"\",rule=\"\"} 4\n");
	free(v);
	v = lines_with(t, "lockaudit_info");
	assert_string_equal(v, "lockaudit_info{version=\"" LA_VERSION
			       "\",kernel=\"6.1\\\"x\\\\y\\nz\",arch="
			       "\"x86_64\"} 1\n");
	free(v);
	/* the Prometheus format: counter families named with _total */
	assert_non_null(
		strstr(t, "# TYPE lockaudit_violations_total counter\n"));
	assert_non_null(strstr(t, "# TYPE lockaudit_info gauge\n"));
	assert_null(strstr(t, "# EOF"));
	free(t);
	report__free(&r);
}

/* sites that differ only in their stacks are one series; held sites are
 * none */
static void test_aggregation(void **state)
{
	struct la_report r;
	char *t, *v;

	(void)state;
	report__init(&r);
	add_site(&r, "drv", "probe", LA_UNLOCKED, LA_SEV_HIGH, 3, 1.0,
		 "probe+0x10 [drv]");
	add_site(&r, "drv", "probe", LA_UNLOCKED, LA_SEV_HIGH, 4, 2.0,
		 "probe+0x20 [drv]");
	add_site(&r, "drv", "probe", LA_HELD, LA_SEV_NONE, 50, 1.0,
		 "probe+0x30 [drv]");
	t = text_of(&r, LA_METRICS_OPENMETRICS, 10, NULL);
	v = lines_with(t, "lockaudit_violations_total{");
	assert_string_equal(
		v, "lockaudit_violations_total{module=\"drv\","
		   "function=\"probe\",entry_point=\"acpi_dma_"
		   "configure_id\",lock_state=\"unlocked\","
		   "severity=\"high\",group=\"driver\",path=\"\",rule=\"\"} "
		   "7\n");
	free(v);
	free(t);
	report__free(&r);
}

/* the cap keeps the most severe, then the earliest seen; the rest are
 * counted */
static void test_cap(void **state)
{
	struct la_report r;
	char *t, *v;

	(void)state;
	report__init(&r);
	add_site(&r, "a_low", "f", LA_UNLOCKED, LA_SEV_LOW, 100, 1.0,
		 "f+0x1 [a_low]");
	add_site(&r, "b_late", "f", LA_UNLOCKED, LA_SEV_HIGH, 1, 9.0,
		 "f+0x1 [b_late]");
	add_site(&r, "c_early", "f", LA_UNLOCKED, LA_SEV_HIGH, 2, 3.0,
		 "f+0x1 [c_early]");
	add_site(&r, "d_med", "f", LA_UNLOCKED, LA_SEV_MEDIUM, 5, 0.5,
		 "f+0x1 [d_med]");
	t = text_of(&r, LA_METRICS_OPENMETRICS, 2, NULL);
	v = lines_with(t, "lockaudit_violation");
	assert_string_equal(
		v, "lockaudit_violations_total{module=\"b_late\",function="
		   "\"f\",entry_point=\"acpi_dma_configure_id\",lock_state="
		   "\"unlocked\",severity=\"high\",group=\"driver\",path=\"\","
		   "rule=\"\"}"
		   " 1\n"
		   "lockaudit_violations_total{module=\"c_early\",function="
		   "\"f\",entry_point=\"acpi_dma_configure_id\",lock_state="
		   "\"unlocked\",severity=\"high\",group=\"driver\",path=\"\","
		   "rule=\"\"}"
		   " 2\n"
		   "lockaudit_violation_sites_cut_total 2\n");
	free(v);
	free(t);
	t = text_of(&r, LA_METRICS_OPENMETRICS, 3, NULL);
	v = lines_with(t, "lockaudit_violation");
	assert_non_null(strstr(v, "module=\"d_med\""));
	assert_null(strstr(v, "module=\"a_low\""));
	assert_non_null(strstr(v, "lockaudit_violation_sites_cut_total 1\n"));
	free(v);
	free(t);
	t = text_of(&r, LA_METRICS_OPENMETRICS, 0, NULL);
	v = lines_with(t, "lockaudit_violation");
	assert_string_equal(v, "lockaudit_violation_sites_cut_total 4\n");
	free(v);
	free(t);
	report__free(&r);
}

static void test_process_facts(void **state)
{
	const struct la_proc_facts p = {
		.cpu_s = 0.5, .rss_bytes = 4096, .start_s = 1234.25};
	struct la_proc_facts now;
	struct la_report r;
	char *t, *v;

	(void)state;
	report__init(&r);
	t = text_of(&r, LA_METRICS_OPENMETRICS, 10, &p);
	v = lines_with(t, "process_");
	assert_string_equal(v, "process_cpu_seconds_total 0.50\n"
			       "process_resident_memory_bytes 4096\n"
			       "process_start_time_seconds 1234.25\n");
	free(v);
	assert_non_null(strstr(t, "# TYPE process_cpu_seconds counter\n"));
	free(t);
	report__free(&r);
	/* this process: started within the last hour, some memory */
	assert_int_equal(procfacts__read(&now), 0);
	assert_true(now.start_s <= (double)time(NULL) + 1);
	assert_true(now.start_s > (double)time(NULL) - 3600);
	assert_true(now.rss_bytes > 100 * 1024);
	assert_true(now.cpu_s >= 0 && now.cpu_s < 3600);
}

static void test_save_atomic(void **state)
{
	char dir[] = "/tmp/la-metrics.XXXXXX", path[64], *got, *want;
	struct la_metrics_opts o = {.fmt = LA_METRICS_PROMETHEUS,
				    .max_sites = 10};
	struct la_report r;
	struct dirent *e;
	DIR *d;
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lockaudit.prom", dir);
	load_golden(&r);
	assert_int_equal(metrics__save(&r, &o, path), 0);
	got = slurp(path);
	want = text_of(&r, LA_METRICS_PROMETHEUS, 10, NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);
	/* only the file: no temporary left beside it */
	d = opendir(dir);
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' || e->d_name[1] == 'l')
			n++;
	closedir(d);
	assert_int_equal(n, 1);
	/* a missing directory: an error, nothing written */
	assert_int_equal(metrics__save(&r, &o, "/nonexistent/dir/x.prom"),
			 -ENOENT);
	unlink(path);
	rmdir(dir);
	report__free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_openmetrics),
		cmocka_unit_test(test_golden_prometheus),
		cmocka_unit_test(test_golden_series),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_aggregation),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_process_facts),
		cmocka_unit_test(test_save_atomic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
