// SPDX-License-Identifier: GPL-2.0
/*
 * test_report.c - the report model: text and JSON writers against golden
 * files, JSON round trip, merging reports, and reading broken input.
 *
 * Golden files (in $LA_TESTDATA, default tests/unit/data):
 *   report.golden.json   report__write_json(pretty) of build_report()
 *   report.golden.txt    report__write_text of build_report()
 *
 * To regenerate them after an intended change of the output format, run
 * from the top of the tree:
 *
 *   make build/unit/test_report && \
 *     LA_UPDATE_GOLDEN=1 LA_TESTDATA=tests/unit/data build/unit/test_report
 *
 * then review the diff (git diff tests/unit/data) and commit it. The JSON
 * golden must still validate against docs/report.schema.json
 * (python3 tests/unit/validate.py docs/report.schema.json
 * tests/unit/data/report.golden.json; tests/cli/run.sh does this too).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <linux/types.h>

#include "json.h"
#include "live.h"
#include "lockaudit.h"
#include "report.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ------------------------------------------------------- */

static char *data_path(const char *name)
{
	const char *dir = getenv("LA_TESTDATA");
	size_t len;
	char *p;

	if (!dir || !dir[0])
		dir = "tests/unit/data";
	len = strlen(dir) + strlen(name) + 2;
	p = malloc(len);
	assert_non_null(p);
	snprintf(p, len, "%s/%s", dir, name);
	return p;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	int c;

	if (!f)
		return NULL;
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void write_all(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");

	assert_non_null(f);
	assert_true(fputs(s, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static char *json_of(const struct la_report *r, bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(report__write_json(r, m, pretty), 0);
	fclose(m);
	return buf;
}

static char *text_of(const struct la_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	assert_int_equal(report__write_text(r, m), 0);
	fclose(m);
	return buf;
}

/*
 * Compare two texts; on mismatch print the first differing line and return
 * false (callers free their buffers before failing: no leak under ASan).
 */
static bool same_text(const char *what, const char *want, const char *got)
{
	const char *w = want, *g = got;
	int line = 1;

	if (!strcmp(want, got))
		return true;
	while (*w && *w == *g) {
		if (*w == '\n')
			line++;
		w++;
		g++;
	}
	while (w > want && w[-1] != '\n')
		w--, g--;
	fprintf(stderr, "%s differs at line %d:\n  want: %.*s\n  got:  %.*s\n",
		what, line, (int)strcspn(w, "\n"), w, (int)strcspn(g, "\n"), g);
	return false;
}

/* Compare against a golden file, or rewrite it with LA_UPDATE_GOLDEN=1. */
static void check_golden(const char *name, const char *got)
{
	const char *update = getenv("LA_UPDATE_GOLDEN");
	char *path = data_path(name), *want;

	if (update && !strcmp(update, "1")) {
		write_all(path, got);
		fprintf(stderr, "updated %s\n", path);
		free(path);
		return;
	}
	want = read_all(path);
	if (!want)
		fail_msg("cannot read %s: %s (LA_UPDATE_GOLDEN=1 writes it)",
			 path, strerror(errno));
	if (!same_text(path, want, got))
		fail_msg("%s differs from the output (if intended: "
			 "LA_UPDATE_GOLDEN=1)",
			 path);
	free(want);
	free(path);
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void set_meta(struct la_report *r, const char *kernel,
		     const char *hostname, const char *started, double duration)
{
	r->kernel = xstrdup(kernel);
	r->arch = xstrdup("x86_64");
	r->hostname = xstrdup(hostname);
	r->started = xstrdup(started);
	r->duration_s = duration;
	r->sources = 1;
}

static void set_hook(struct la_report *r, const char *func, const char *attach,
		     const char *reason, uint64_t held, uint64_t unlocked,
		     uint64_t other)
{
	struct la_rhook *h = report__hook(r, func);

	assert_non_null(h);
	free(h->attach);
	free(h->reason);
	h->attach = xstrdup(attach);
	h->reason = xstrdup(reason);
	h->calls[LA_HELD] = held;
	h->calls[LA_UNLOCKED] = unlocked;
	h->calls[LA_HELD_OTHER] = other;
}

/* registered, probe_lock: the facts behind the severity */
static struct la_rsite *add_site(struct la_report *r, const char *entry,
				 int state, const char *const *frames, size_t n,
				 bool registered, int probe_lock,
				 uint64_t count, double first, double last)
{
	struct la_rsite *s =
		report__add_site(r, entry, state, (char *const *)frames, n,
				 false, registered, probe_lock);

	assert_non_null(s);
	s->count = count;
	s->first_s = first;
	s->last_s = last;
	return s;
}

#define ADD_SITE(r, entry, state, frames, reg, plock, count, first, last)      \
	add_site((r), (entry), (state), (frames), ARRAY_SIZE(frames), (reg),   \
		 (plock), (count), (first), (last))

#define BPF_PROG  "bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]"
#define BPF_TRAMP "bpf_trampoline_6442491234+0x4f [bpf]"

static const char *const st_la_unlocked[] = {
	BPF_PROG,
	BPF_TRAMP,
	"la_call_unlocked+0x1c [la_test]",
	"la_run+0x40 [la_test]",
	"do_one_initcall+0x56",
	"do_init_module+0x60",
	"load_module+0x2293",
	"__do_sys_finit_module+0xac",
	"do_syscall_64+0x5d",
	"entry_SYSCALL_64_after_hwframe+0x6e",
};

static const char *const st_la_other[] = {
	BPF_PROG,
	BPF_TRAMP,
	"la_call_other+0x30 [la_test]",
	"la_run+0x58 [la_test]",
	"do_one_initcall+0x56",
};

static const char *const st_e1000_probe[] = {
	BPF_PROG,
	BPF_TRAMP,
	"e1000_probe+0x2c [e1000e]",
	"local_pci_probe+0x42",
	"pci_device_probe+0xb4",
	"really_probe+0x19c",
	"__driver_probe_device+0x78",
	"driver_probe_device+0x1f",
};

static const char *const st_core[] = {
	"iommu_probe_device+0x5",   "iommu_bus_notifier+0x2a",
	"notifier_call_chain+0x5a", "blocking_notifier_call_chain+0x43",
	"bus_notify+0x33",	    "device_add+0x3d4",
	"pci_device_add+0x24d",	    "pci_scan_single_device+0xbb",
};

static const char *const st_unclassified[] = {
	BPF_PROG,
	BPF_TRAMP,
	"pci_dma_configure+0x7a",
	"0xffffffffc0de0042",
};

static const char *const st_held[] = {
	BPF_PROG,
	BPF_TRAMP,
	"pci_dma_configure+0x7a",
	"really_probe+0x19c",
	"__driver_probe_device+0x78",
	"driver_probe_device+0x1f",
	"__driver_attach+0xe0",
	"bus_for_each_dev+0x7c",
	"bus_add_driver+0x112",
	"driver_register+0x55",
	"__pci_register_driver+0x5e",
	"e1000_init_module+0x34 [e1000e]",
	"do_one_initcall+0x56",
};

static const char *const st_foo[] = {
	BPF_PROG,
	BPF_TRAMP,
	"foo_attach+0x10 [foo]",
	"foo_init+0x22 [foo]",
};

#define ABSENT_REASON "not in kallsyms (not built, or inlined)"

/* The report behind the golden files: every group and lock state. */
static void build_report(struct la_report *r)
{
	struct la_rsite *s;

	report__init(r);
	set_meta(r, "6.1.0-18-amd64", "testhost", "2024-03-01T12:00:00Z",
		 30.25);
	set_hook(r, "acpi_dma_configure_id", "fentry", "", 120, 9, 1);
	set_hook(r, "iommu_probe_device", "kprobe", "fentry: not in BTF", 0, 12,
		 0);
	set_hook(r, "of_dma_configure_id", "absent", ABSENT_REASON, 0, 0, 0);
	/* the kernel skipped 2 fentry calls and 1 fexit; it does not count
	 * the kprobe's (before 6.7): the total is unknown too */
	report__hook(r, "acpi_dma_configure_id")->missed = 2;
	report__hook(r, "acpi_dma_configure_id")->missed_exit = 1;
	report__hook(r, "iommu_probe_device")->missed = LA_UNKNOWN;
	report__sum_missed(r);
	r->dropped_events = 3;
	r->stack_errors = 1;

	/* driver, fentry: la_test calls without the lock */
	s = ADD_SITE(r, "acpi_dma_configure_id", LA_UNLOCKED, st_la_unlocked,
		     true, 0, 5, 12.5, 14.25); /* high */
	s->by_caller = 3; /* 3 of the 5 counted at la_call_unlocked alone */
	report__add_dev(s, "la_test.0", "platform", "", false);
	report__add_dev(s, "0000:00:03.0", "pci", "e1000e", true);
	report__add_dev(s, "la_test.0", "platform", "", false); /* dup */

	/* driver, another module, a truncated stack */
	s = ADD_SITE(r, "acpi_dma_configure_id", LA_UNLOCKED, st_e1000_probe,
		     true, 1, 2, 3.0, 3.5); /* medium */
	s->truncated = true;
	report__add_dev(s, "0000:00:19.0", "pci", "e1000e", true);

	/* driver, lock held by another task */
	s = ADD_SITE(r, "acpi_dma_configure_id", LA_HELD_OTHER, st_la_other,
		     true, -1, 1, 15.0, 15.0); /* high */
	s->holder_pid = 4242;
	free(s->holder_comm);
	s->holder_comm = xstrdup("kworker/0:1");
	report__add_dev(s, "la_test.1", "platform", "la_test", true);

	/* IOMMU core, kprobe stack */
	s = ADD_SITE(r, "iommu_probe_device", LA_UNLOCKED, st_core, false, 0,
		     12, 0.75, 1.5); /* info */
	report__add_dev(s, "0000:00:02.0", "pci", "", false);

	/* stack ends in an unknown address */
	ADD_SITE(r, "acpi_dma_configure_id", LA_UNLOCKED, st_unclassified,
		 false, 0, 2, 7.0, 8.0); /* low */

	/* held: fine */
	s = ADD_SITE(r, "acpi_dma_configure_id", LA_HELD, st_held, true, 0, 120,
		     2.0, 2.125); /* none */
	report__add_dev(s, "0000:00:19.0", "pci", "", true);
}

/* A second report from another boot, sharing two sites with the first. */
static void build_report_b(struct la_report *r)
{
	struct la_rsite *s;

	report__init(r);
	set_meta(r, "6.8.0-rc1", "testhost", "2024-02-29T08:00:00Z", 10.0);
	set_hook(r, "acpi_dma_configure_id", "fentry", "", 10, 4, 2);
	set_hook(r, "iommu_probe_device", "fentry", "", 0, 4, 0);
	set_hook(r, "of_dma_configure_id", "kprobe", "fentry: not in BTF", 1, 0,
		 0);
	r->dropped_events = 1;

	s = ADD_SITE(r, "acpi_dma_configure_id", LA_UNLOCKED, st_la_unlocked,
		     true, 0, 3, 2.0, 20.0);
	/* known device, now bound and registered; and a new one */
	report__add_dev(s, "la_test.0", "platform", "la_test", true);
	report__add_dev(s, "la_test.1", "platform", "", false);

	s = ADD_SITE(r, "acpi_dma_configure_id", LA_HELD_OTHER, st_la_other,
		     true, -1, 2, 16.0, 18.0);
	s->holder_pid = 777;
	free(s->holder_comm);
	s->holder_comm = xstrdup("insmod");

	ADD_SITE(r, "acpi_dma_configure_id", LA_UNLOCKED, st_foo, true, 0, 1,
		 9.0, 9.0);
	ADD_SITE(r, "iommu_probe_device", LA_UNLOCKED, st_core, false, 0, 4,
		 0.5, 0.5);
}

static const struct la_rsite *find_site(const struct la_report *r,
					const char *entry, int state,
					const char *function)
{
	size_t i;

	for (i = 0; i < r->nr_sites; i++)
		if (!strcmp(r->sites[i].entry, entry) &&
		    r->sites[i].state == state &&
		    !strcmp(r->sites[i].function, function))
			return &r->sites[i];
	return NULL;
}

static const struct la_rdev *find_dev(const struct la_rsite *s,
				      const char *name)
{
	size_t i;

	for (i = 0; i < s->nr_devs; i++)
		if (!strcmp(s->devs[i].name, name))
			return &s->devs[i];
	return NULL;
}

/* ---- fixture: a fresh temporary directory per test ------------------ */

struct fx {
	char dir[64];
	char err[512];
	struct la_report r; /* freed by teardown, even if the test fails */
};

static int setup_dir(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/la_report_XXXXXX");
	if (!mkdtemp(fx->dir)) {
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown_dir(void **state)
{
	struct fx *fx = *state;

	nftw(fx->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	report__free(&fx->r);
	free(fx);
	return 0;
}

static char *path_in(const struct fx *fx, const char *name)
{
	size_t len = strlen(fx->dir) + strlen(name) + 2;
	char *p = malloc(len);

	assert_non_null(p);
	snprintf(p, len, "%s/%s", fx->dir, name);
	return p;
}

/* entries in dir (excluding . and ..); the names joined by ' ' into out */
static int list_dir(const char *dir, char *out, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	out[0] = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		strncat(out, e->d_name, len - strlen(out) - 1);
		strncat(out, " ", len - strlen(out) - 1);
	}
	closedir(d);
	return n;
}

/* ---- (a) golden output --------------------------------------------- */

static void test_build_attribution(void **state)
{
	struct la_report r;
	const struct la_rsite *s;

	(void)state;
	build_report(&r);
	assert_int_equal(r.nr_sites, 6);
	s = find_site(&r, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	assert_non_null(s);
	assert_int_equal(s->group, LA_GROUP_DRIVER);
	assert_string_equal(s->module, "la_test");
	assert_string_equal(s->caller, "la_call_unlocked+0x1c [la_test]");
	/* BPF frames are dropped from the stored stack */
	assert_int_equal(s->nr_frames, ARRAY_SIZE(st_la_unlocked) - 2);
	assert_string_equal(s->frames[0], "la_call_unlocked+0x1c [la_test]");
	/* duplicate device ignored */
	assert_int_equal(s->nr_devs, 2);

	s = &r.sites[3];
	assert_int_equal(s->group, LA_GROUP_CORE);
	assert_string_equal(s->core_path, "device add (iommu_bus_notifier)");
	assert_string_equal(s->module, "");
	assert_int_equal(r.sites[4].group, LA_GROUP_UNCLASSIFIED);
	assert_int_equal(r.sites[4].nr_frames, 2);
	/* severity from the facts */
	assert_int_equal(r.sites[0].severity, LA_SEV_HIGH);
	assert_int_equal(r.sites[1].severity, LA_SEV_MEDIUM);
	assert_int_equal(r.sites[2].severity, LA_SEV_HIGH);
	assert_int_equal(r.sites[3].severity, LA_SEV_INFO);
	assert_int_equal(r.sites[4].severity, LA_SEV_LOW);
	assert_int_equal(r.sites[5].severity, LA_SEV_NONE);
	assert_int_equal(report__calls(&r, LA_HELD), 120);
	assert_int_equal(report__calls(&r, LA_UNLOCKED), 21);
	assert_int_equal(report__calls(&r, LA_HELD_OTHER), 1);
	report__free(&r);
}

static void test_golden_json(void **state)
{
	struct la_report r;
	char *got;

	(void)state;
	build_report(&r);
	got = json_of(&r, true);
	check_golden("report.golden.json", got);
	free(got);
	report__free(&r);
}

static void test_golden_text(void **state)
{
	struct la_report r;
	char *got;

	(void)state;
	build_report(&r);
	got = text_of(&r);
	check_golden("report.golden.txt", got);
	free(got);
	report__free(&r);
}

/* the writers sort a copy: the caller's order is left alone */
static void test_writers_keep_order(void **state)
{
	struct la_report r;
	char *a, *b;

	(void)state;
	build_report(&r);
	a = json_of(&r, false);
	assert_string_equal(r.sites[0].function, "la_call_unlocked");
	assert_string_equal(r.sites[1].function, "e1000_probe");
	assert_int_equal(r.sites[5].state, LA_HELD);
	b = text_of(&r);
	assert_string_equal(r.sites[1].function, "e1000_probe");
	/* plain JSON is one line */
	assert_ptr_equal(strchr(a, '\n'), a + strlen(a) - 1);
	free(a);
	free(b);
	report__free(&r);
}

/* ---- (b) round trip ------------------------------------------------ */

static void roundtrip(const struct fx *fx, const struct la_report *r)
{
	char *path = path_in(fx, "r.json"), *want, *got, err[512] = "";
	char *want_text, *got_text;
	struct la_report back;
	bool same, same_json;

	want = json_of(r, true);
	want_text = text_of(r);
	assert_int_equal(report__save_json(r, path, true), 0);
	report__init(&back);
	if (report__merge_file(&back, path, err, sizeof(err)))
		fail_msg("merge: %s", err);
	got = json_of(&back, true);
	got_text = text_of(&back);
	same = same_text("text after round trip", want_text, got_text);
	same_json = same_text("JSON after round trip", want, got);
	free(want);
	free(got);
	free(want_text);
	free(got_text);
	free(path);
	report__free(&back);
	if (!same || !same_json)
		fail_msg("the %s differs after save and merge",
			 same ? "JSON" : "text");
}

/*
 * Full report, as `lockaudit run` writes it, read back: the same report
 * (the reason of an "absent" hook included).
 */
static void test_roundtrip(void **state)
{
	struct fx *fx = *state;

	build_report(&fx->r);
	roundtrip(fx, &fx->r);
}

/* Everything but absent-hook reasons survives a round trip. */
static void test_roundtrip_no_absent_reason(void **state)
{
	struct la_report r;
	struct la_rhook *h;

	build_report(&r);
	h = report__hook(&r, "of_dma_configure_id");
	free(h->reason);
	h->reason = xstrdup("");
	roundtrip(*state, &r);
	report__free(&r);
}

/*
 * A run that saw no call has no sites (r->sites == NULL): both writers must
 * not memcpy() from NULL (UBSan aborts the binary, hence last in the list).
 */
static void test_write_empty_report(void **state)
{
	struct la_report r;
	char *text, *json;

	(void)state;
	report__init(&r);
	set_meta(&r, "6.1.0-18-amd64", "testhost", "2024-03-01T12:00:00Z", 1.0);
	text = text_of(&r);
	assert_non_null(strstr(
		text, "DRIVERS calling without the device lock\n  none\n"));
	json = json_of(&r, false);
	assert_non_null(strstr(json, "\"drivers\":[]"));
	free(text);
	free(json);
	report__free(&r);
}

/* Same bug as test_write_empty_report (UBSan). */
static void test_roundtrip_empty(void **state)
{
	struct la_report r;

	report__init(&r);
	set_meta(&r, "6.1.0-18-amd64", "testhost", "2024-03-01T12:00:00Z", 1.0);
	roundtrip(*state, &r);
	report__free(&r);
}

/* ---- (c) merging --------------------------------------------------- */

static void save(const struct fx *fx, const char *name,
		 void (*build)(struct la_report *))
{
	char *path = path_in(fx, name);
	struct la_report r;

	build(&r);
	assert_int_equal(report__save_json(&r, path, false), 0);
	report__free(&r);
	free(path);
}

static void merge_ok(struct fx *fx, struct la_report *r, const char *name)
{
	char *path = path_in(fx, name);

	fx->err[0] = 0;
	if (report__merge_file(r, path, fx->err, sizeof(fx->err)))
		fail_msg("merging %s: %s", path, fx->err);
	free(path);
}

static void test_merge_two(void **state)
{
	struct fx *fx = *state;
	const struct la_rsite *s;
	const struct la_rdev *d;
	struct la_rhook *h;
	struct la_report r;

	save(fx, "a.json", build_report);
	save(fx, "b.json", build_report_b);
	report__init(&r);
	merge_ok(fx, &r, "a.json");
	merge_ok(fx, &r, "b.json");

	assert_int_equal(r.sources, 2);
	assert_string_equal(r.kernel, "6.1.0-18-amd64, 6.8.0-rc1");
	assert_string_equal(r.arch, "x86_64");
	assert_string_equal(r.hostname, "testhost");
	assert_string_equal(r.started, "2024-02-29T08:00:00Z");
	assert_true(r.duration_s == 40.25);
	assert_int_equal(r.dropped_sites, 0);
	assert_int_equal(r.dropped_events, 4);
	assert_int_equal(r.stack_errors, 1);

	/* hooks: calls summed; the first attach that is not "absent" wins */
	assert_int_equal(r.nr_hooks, 3);
	h = report__hook(&r, "acpi_dma_configure_id");
	assert_int_equal(h->calls[LA_HELD], 130);
	assert_int_equal(h->calls[LA_UNLOCKED], 13);
	assert_int_equal(h->calls[LA_HELD_OTHER], 3);
	assert_string_equal(h->attach, "fentry");
	h = report__hook(&r, "iommu_probe_device");
	assert_int_equal(h->calls[LA_UNLOCKED], 16);
	assert_string_equal(h->attach, "kprobe");
	assert_string_equal(h->reason, "fentry: not in BTF");
	h = report__hook(&r, "of_dma_configure_id");
	assert_string_equal(h->attach, "kprobe");
	assert_int_equal(h->calls[LA_HELD], 1);

	/* 6 sites + 1 new (foo); 3 shared sites merged */
	assert_int_equal(r.nr_sites, 7);
	s = find_site(&r, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	assert_non_null(s);
	assert_int_equal(s->count, 8);
	assert_true(s->first_s == 2.0);
	assert_true(s->last_s == 20.0);
	assert_int_equal(s->nr_devs, 3);
	d = find_dev(s, "la_test.0");
	assert_non_null(d);
	assert_string_equal(d->driver, "la_test"); /* later bind shown */
	assert_true(d->registered);
	assert_non_null(find_dev(s, "0000:00:03.0"));
	assert_non_null(find_dev(s, "la_test.1"));

	s = find_site(&r, "acpi_dma_configure_id", LA_HELD_OTHER,
		      "la_call_other");
	assert_non_null(s);
	assert_int_equal(s->count, 3);
	assert_true(s->first_s == 15.0);
	assert_true(s->last_s == 18.0);
	assert_int_equal(s->holder_pid, 777); /* the most recent holder */
	assert_string_equal(s->holder_comm, "insmod");
	assert_int_equal(s->nr_devs, 1);

	s = find_site(&r, "iommu_probe_device", LA_UNLOCKED, "");
	assert_non_null(s);
	assert_int_equal(s->group, LA_GROUP_CORE);
	assert_int_equal(s->count, 16);
	assert_true(s->first_s == 0.5);
	assert_true(s->last_s == 1.5);

	s = find_site(&r, "acpi_dma_configure_id", LA_UNLOCKED, "foo_attach");
	assert_non_null(s);
	assert_string_equal(s->module, "foo");
	assert_int_equal(s->count, 1);

	/* untouched sites keep their values */
	s = find_site(&r, "acpi_dma_configure_id", LA_UNLOCKED, "e1000_probe");
	assert_non_null(s);
	assert_int_equal(s->count, 2);
	assert_true(s->truncated);
	report__free(&r);
}

/* the merge is order-independent where it claims min/max/sum */
static void test_merge_order(void **state)
{
	struct fx *fx = *state;
	struct la_report ab, ba;
	const struct la_rsite *x, *y;

	save(fx, "a.json", build_report);
	save(fx, "b.json", build_report_b);
	report__init(&ab);
	report__init(&ba);
	merge_ok(fx, &ab, "a.json");
	merge_ok(fx, &ab, "b.json");
	merge_ok(fx, &ba, "b.json");
	merge_ok(fx, &ba, "a.json");
	assert_int_equal(ab.nr_sites, ba.nr_sites);
	assert_string_equal(ba.kernel, "6.8.0-rc1, 6.1.0-18-amd64");
	assert_string_equal(ab.started, ba.started);
	x = find_site(&ab, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	y = find_site(&ba, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	assert_non_null(x);
	assert_non_null(y);
	assert_int_equal(x->count, y->count);
	assert_true(x->first_s == y->first_s);
	assert_true(x->last_s == y->last_s);
	assert_int_equal(x->nr_devs, y->nr_devs);
	report__free(&ab);
	report__free(&ba);
}

/*
 * The same run read twice (the same file, or two --interval snapshots of one
 * run: same hostname, kernel and started) is refused, r unchanged. Before,
 * every count was doubled without a word.
 */
static void build_report_snapshot(struct la_report *r)
{
	build_report(r);
	r->duration_s = 60.0;
	report__hook(r, "acpi_dma_configure_id")->calls[LA_UNLOCKED] = 20;
	r->sites[0].count = 11;
}

static void test_merge_same_run_twice(void **state)
{
	struct fx *fx = *state;
	char *a = path_in(fx, "a.json"), *snap = path_in(fx, "snap.json");
	const struct la_rsite *s;

	save(fx, "a.json", build_report);
	save(fx, "snap.json", build_report_snapshot);
	merge_ok(fx, &fx->r, "a.json");
	assert_int_equal(
		report__merge_file(&fx->r, a, fx->err, sizeof(fx->err)),
		-EINVAL);
	assert_non_null(strstr(fx->err, "merged already"));
	assert_non_null(strstr(fx->err, "2024-03-01T12:00:00Z"));
	assert_int_equal(
		report__merge_file(&fx->r, snap, fx->err, sizeof(fx->err)),
		-EINVAL);
	assert_non_null(strstr(fx->err, "merged already"));
	/* nothing of the refused inputs was counted */
	assert_int_equal(fx->r.sources, 1);
	assert_int_equal(fx->r.nr_runs, 1);
	assert_true(fx->r.duration_s == 30.25);
	s = find_site(&fx->r, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	assert_non_null(s);
	assert_int_equal(s->count, 5);
	assert_int_equal(report__calls(&fx->r, LA_HELD), 120);
	free(a);
	free(snap);
}

/* another run of the same host and kernel (another start) is merged */
static void build_report_c(struct la_report *r)
{
	build_report(r);
	free(r->started);
	r->started = xstrdup("2024-03-02T12:00:00Z");
}

/*
 * Merging a merged report with another run: kernel names stay a set (once,
 * merge_name() looked up the whole incoming "a, b" as one name and appended
 * it, giving "a, a, b"). The merged report lists its runs ("runs"), so one
 * of them merged again is refused.
 */
static void test_merge_merged_report(void **state)
{
	struct fx *fx = *state;
	struct la_report r;
	char *ab = path_in(fx, "ab.json"), kernel[128];

	save(fx, "a.json", build_report);
	save(fx, "b.json", build_report_b);
	report__init(&r);
	merge_ok(fx, &r, "a.json");
	merge_ok(fx, &r, "b.json");
	assert_int_equal(report__save_json(&r, ab, false), 0);
	report__free(&r);

	save(fx, "c.json", build_report_c);
	merge_ok(fx, &fx->r, "c.json");
	merge_ok(fx, &fx->r, "ab.json");
	assert_int_equal(fx->r.sources, 3);
	assert_int_equal(fx->r.nr_runs, 3);
	snprintf(kernel, sizeof(kernel), "%s", fx->r.kernel);
	assert_string_equal(kernel, "6.1.0-18-amd64, 6.8.0-rc1");
	/* ab.json holds a's run: merging it after a is refused */
	report__init(&r);
	merge_ok(fx, &r, "a.json");
	assert_int_equal(report__merge_file(&r, ab, fx->err, sizeof(fx->err)),
			 -EINVAL);
	assert_non_null(strstr(fx->err, "merged already"));
	report__free(&r);
	/* and the merged report's runs survive being written and read */
	report__free(&fx->r);
	merge_ok(fx, &fx->r, "ab.json");
	assert_int_equal(fx->r.nr_runs, 2);
	assert_string_equal(fx->r.runs[1].kernel, "6.8.0-rc1");
	free(ab);
}

/*
 * The reason an entry point is absent ("not in kallsyms ...") must survive
 * reading a report back (attach/reason are copied for "absent" hooks too).
 */
static void test_merge_keeps_absent_hook_reason(void **state)
{
	struct fx *fx = *state;
	struct la_rhook *h;

	save(fx, "a.json", build_report);
	merge_ok(fx, &fx->r, "a.json");
	h = report__hook(&fx->r, "of_dma_configure_id");
	assert_string_equal(h->attach, "absent");
	assert_string_equal(h->reason, ABSENT_REASON);
}

static void build_report_nohost(struct la_report *r)
{
	build_report_b(r);
	free(r->hostname);
	r->hostname = xstrdup("");
}

/*
 * A report with an empty name field (hostname "") merged after one with a
 * name must not hang (the child is killed by the alarm if merge_name()
 * loops on strstr(dst, "")).
 */
static void test_merge_empty_name_terminates(void **state)
{
	struct fx *fx = *state;
	int status;
	pid_t pid;

	save(fx, "a.json", build_report);
	save(fx, "nohost.json", build_report_nohost);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct la_report r;
		char *a = path_in(fx, "a.json"),
		     *b = path_in(fx, "nohost.json");
		char err[256];
		int ret;

		alarm(5);
		report__init(&r);
		ret = report__merge_file(&r, a, err, sizeof(err)) ||
		      report__merge_file(&r, b, err, sizeof(err));
		if (!ret && strcmp(r.hostname, "testhost"))
			ret = 3;
		report__free(&r);
		free(a);
		free(b);
		_exit(ret ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("merging a report with hostname \"\" did not finish "
			 "in 5 s (signal %d)",
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* severity is derived from the facts, not read from the file */
static void test_merge_recomputes_severity(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "in.json"), *text;
	const struct la_rsite *s;
	json_object *o, *site;

	build_report(&fx->r);
	text = json_of(&fx->r, false);
	report__free(&fx->r);
	o = json_tokener_parse(text);
	free(text);
	assert_non_null(o);
	site = json_object_array_get_idx(
		json_object_object_get(
			json_object_array_get_idx(
				json_object_object_get(o, "core"), 0),
			"sites"),
		0);
	assert_non_null(site);
	json_object_object_add(site, "severity",
			       json_object_new_string("high"));
	assert_int_equal(json_object_to_file(path, o), 0);
	json_object_put(o);
	merge_ok(fx, &fx->r, "in.json");
	s = find_site(&fx->r, "iommu_probe_device", LA_UNLOCKED, "");
	assert_non_null(s);
	assert_int_equal(s->severity, LA_SEV_INFO);
	free(path);
}

/* the same stack with a registered and an unregistered device: 2 sites */
static void test_merge_registered_is_identity(void **state)
{
	struct fx *fx = *state;
	struct la_report r;
	char *path = path_in(fx, "r.json");

	report__init(&r);
	set_meta(&r, "6.1.0-18-amd64", "testhost", "2024-03-01T12:00:00Z", 1.0);
	ADD_SITE(&r, "acpi_dma_configure_id", LA_UNLOCKED, st_la_unlocked, true,
		 0, 1, 1.0, 1.0);
	ADD_SITE(&r, "acpi_dma_configure_id", LA_UNLOCKED, st_la_unlocked,
		 false, 0, 2, 1.0, 1.0);
	assert_int_equal(report__save_json(&r, path, false), 0);
	report__free(&r);
	merge_ok(fx, &fx->r, "r.json");
	assert_int_equal(fx->r.nr_sites, 2);
	assert_int_equal(fx->r.sites[0].count + fx->r.sites[1].count, 3);
	assert_true(fx->r.sites[0].registered != fx->r.sites[1].registered);
	free(path);
}

/* ---- merging and sorting: identity, order, scale ------------------- */

/* add a site as the collector does: add, then merge into an equal one */
static void add_merge(struct la_report *r, const char *entry, int state,
		      const char *const *frames, size_t n, bool registered,
		      int probe_lock, uint64_t count)
{
	add_site(r, entry, state, frames, n, registered, probe_lock, count, 1.0,
		 2.0);
	report__merge_last(r);
}

static const char *const st_la_unlocked_b[] = {
	BPF_PROG,
	BPF_TRAMP,
	"la_call_unlocked+0x1c [la_test]",
	"la_run+0x44 [la_test]", /* one frame differs from st_la_unlocked */
	"do_one_initcall+0x56",
	"do_init_module+0x60",
	"load_module+0x2293",
	"__do_sys_finit_module+0xac",
	"do_syscall_64+0x5d",
	"entry_SYSCALL_64_after_hwframe+0x6e",
};

#define ST   st_la_unlocked
#define NST  ARRAY_SIZE(st_la_unlocked)
#define ACPI "acpi_dma_configure_id"

/* identical sites merge into the first; any difference keeps them apart */
static void test_merge_identity(void **state)
{
	static const int want_state[] = {
		LA_UNLOCKED, LA_HELD_OTHER, LA_UNLOCKED, LA_UNLOCKED,
		LA_UNLOCKED, LA_UNLOCKED,   LA_UNLOCKED};
	static const uint64_t want_count[] = {3, 1, 1, 1, 5, 1, 1};
	struct la_report r;
	const struct la_rsite *s;
	size_t i;

	(void)state;
	report__init(&r);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST, true, 0, 1);
	add_merge(&r, ACPI, LA_HELD_OTHER, ST, NST, true, 0, 1);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST, false, 0, 1);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST, true, 1, 1);
	add_merge(&r, ACPI, LA_UNLOCKED, st_la_unlocked_b, NST, true, 0, 1);
	add_merge(&r, "of_dma_configure_id", LA_UNLOCKED, ST, NST, true, 0, 1);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST - 1, true, 0, 1);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST, true, 0, 2);
	add_merge(&r, ACPI, LA_UNLOCKED, st_la_unlocked_b, NST, true, 0, 4);
	/* in the order first seen */
	assert_int_equal(r.nr_sites, 7);
	for (i = 0; i < r.nr_sites; i++) {
		assert_int_equal(r.sites[i].state, want_state[i]);
		assert_int_equal(r.sites[i].count, want_count[i]);
	}
	assert_false(r.sites[2].registered);
	assert_int_equal(r.sites[3].probe_lock, 1);
	assert_string_equal(r.sites[4].frames[1], "la_run+0x44 [la_test]");
	assert_string_equal(r.sites[5].entry, "of_dma_configure_id");
	assert_int_equal(r.sites[6].nr_frames, r.sites[0].nr_frames - 1);

	/* merging the last site twice over: still one site */
	report__merge_last(&r);
	report__merge_last(&r);
	assert_int_equal(r.nr_sites, 7);
	assert_int_equal(r.sites[6].count, 1);

	/* after a sort the sites moved: a merge still finds its site */
	report__sort(&r);
	add_merge(&r, ACPI, LA_UNLOCKED, st_la_unlocked_b, NST, true, 0, 100);
	add_merge(&r, ACPI, LA_UNLOCKED, ST, NST - 1, true, 0, 100);
	assert_int_equal(r.nr_sites, 7);
	for (i = 0, s = NULL; i < r.nr_sites; i++)
		if (!strcmp(r.sites[i].frames[1], "la_run+0x44 [la_test]"))
			s = &r.sites[i];
	assert_non_null(s);
	assert_int_equal(s->count, 105);
	for (i = 0, s = NULL; i < r.nr_sites; i++)
		if (r.sites[i].nr_frames == NST - 3)
			s = &r.sites[i];
	assert_non_null(s);
	assert_int_equal(s->count, 101);
	report__free(&r);
}

/* concurrent findings and hooks: same merged, different apart, in order */
static void test_merge_races_hooks(void **state)
{
	char *fa[] = {"a+0x1", "b+0x2"}, *fb[] = {"a+0x1", "c+0x2"};
	struct la_rrace in = {.count = 1, .first_s = 5, .last_s = 6};
	struct la_rhook *h;
	struct la_report r;
	char name[32];
	int i;

	(void)state;
	report__init(&r);
	in.dev.name = "d0";
	in.dev.bus = "pci";
	in.dev.driver = "";
	for (int t = 0; t < 2; t++) {
		in.task[t].entry = ACPI;
		in.task[t].comm = "udev";
		in.task[t].frames = fa;
		in.task[t].nr_frames = 2;
	}
	report__add_race(&r, &in);
	in.task[1].frames = fb; /* another stack: another finding */
	report__add_race(&r, &in);
	in.task[1].nr_frames = 1; /* a shorter stack: another one */
	report__add_race(&r, &in);
	in.task[1].frames = fa;
	in.task[1].nr_frames = 2;
	in.first_s = 1;
	in.count = 2;
	report__add_race(&r, &in); /* the first again */
	assert_int_equal(r.nr_races, 3);
	assert_int_equal(r.races[0].count, 3);
	assert_true(r.races[0].first_s == 1);
	assert_string_equal(r.races[1].task[1].frames[1], "c+0x2");
	assert_int_equal(r.races[2].task[1].nr_frames, 1);

	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "hook_%d", i);
		report__hook(&r, name)->calls[LA_HELD] += (uint64_t)i;
	}
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "hook_%d", i);
		h = report__hook(&r, name);
		assert_ptr_equal(h, &r.hooks[i]);
		assert_int_equal(h->calls[LA_HELD], i);
	}
	assert_int_equal(r.nr_hooks, 300);
	report__free(&r);
}

/* equal sort keys keep the order they came in; drivers by worst module */
static void test_sort_ties_stable(void **state)
{
	const char *fr[] = {"foo_attach+0x10 [foo]", "foo_init+0x22 [foo]",
			    NULL};
	const char *low[] = {"bar_attach+0x10 [bar]", "bar_init+0x22 [bar]"};
	char callers[8][32];
	struct la_report r;
	size_t i;

	(void)state;
	report__init(&r);
	/* bar sorts before foo by name, but its only site is low */
	add_merge(&r, ACPI, LA_UNLOCKED, low, 2, false, 0, 9);
	for (i = 0; i < 8; i++) {
		/* the order inserted is not the order of the names */
		snprintf(callers[i], sizeof(callers[i]), "caller_%zu+0x1",
			 (i * 5) % 8);
		fr[2] = callers[i];
		add_merge(&r, ACPI, LA_UNLOCKED, fr, 3, true, 0, 4);
	}
	add_merge(&r, ACPI, LA_UNLOCKED, fr, 2, false, 0, 4); /* foo, low */
	report__sort(&r);
	assert_int_equal(r.nr_sites, 10);
	for (i = 0; i < 8; i++) {
		assert_string_equal(r.sites[i].module, "foo");
		assert_int_equal(r.sites[i].severity, LA_SEV_HIGH);
		assert_string_equal(r.sites[i].frames[2], callers[i]);
	}
	assert_string_equal(r.sites[8].module, "foo");
	assert_int_equal(r.sites[8].severity, LA_SEV_LOW);
	assert_string_equal(r.sites[9].module, "bar");
	report__free(&r);
}

#define SCALE_SITES   16384
#define SCALE_MODULES 50

/* the shape: 16,384 driver sites in 50 modules (each seen twice),
 * 4,096 races (twice), 2,000 hooks; merged, sorted and written in a few
 * seconds, not minutes */
static void scale_run(void)
{
	char fn[64], name[32];
	const char *fr[2];
	struct la_rrace in = {.count = 1};
	char *rf[1];
	struct la_report r;
	FILE *null;
	int pass, i;

	report__init(&r);
	r.kernel = strdup("6.1");
	r.arch = strdup("x86_64");
	r.hostname = strdup("h");
	r.started = strdup("2024-01-01T00:00:00Z");
	in.dev.name = in.dev.bus = in.dev.driver = "";
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < SCALE_SITES; i++) {
			snprintf(fn, sizeof(fn), "f%d+0x%x [mod%d]", i / 8,
				 i % 8, i % SCALE_MODULES);
			fr[0] = fn;
			fr[1] = "do_one_initcall+0x56";
			report__add_site(&r, ACPI, LA_UNLOCKED,
					 (char *const *)fr, 2, false,
					 i % 3 != 0, i % 2);
			r.sites[r.nr_sites - 1].count = 1;
			report__merge_last(&r);
		}
		for (i = 0; i < 4096; i++) {
			snprintf(name, sizeof(name), "r%d+0x1", i);
			rf[0] = name;
			for (int t = 0; t < 2; t++) {
				in.task[t].entry = ACPI;
				in.task[t].comm = "x";
				in.task[t].frames = rf;
				in.task[t].nr_frames = 1;
			}
			report__add_race(&r, &in);
		}
		for (i = 0; i < 2000; i++) {
			snprintf(name, sizeof(name), "hook_%d", i);
			report__hook(&r, name);
		}
	}
	if (r.nr_sites != SCALE_SITES || r.nr_races != 4096 ||
	    r.nr_hooks != 2000 || r.sites[0].count != 2 ||
	    r.sites[0].group != LA_GROUP_DRIVER)
		_exit(2);
	report__sort(&r);
	null = fopen("/dev/null", "we");
	if (!null || report__write_text(&r, null) ||
	    report__write_json(&r, null, false))
		_exit(3);
	fclose(null);
	report__free(&r);
	_exit(0);
}

/* Run fn (which _exits) in a child that must be done within secs. */
static void in_child_within(void (*fn)(void), unsigned int secs,
			    const char *what)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		alarm(secs);
		fn();
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("%s: not done in %u s (signal %d)", what, secs,
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_merge_sort_scale(void **state)
{
	(void)state;
	in_child_within(
		scale_run, 30,
		"16,384 sites in 50 modules merged, sorted and written");
}

#define LIVE_SITES 80000

/* a --live tick over 80,000 sites: sorted and drawn (40 rows shown, the
 * rest summed) in a few seconds, twice */
static void live_run(void)
{
	char fn[64], *buf = NULL;
	const char *fr[2] = {fn, "do_one_initcall+0x56"};
	struct la_report r;
	struct la_live *l;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int i, frame, ok;

	report__init(&r);
	r.kernel = strdup("6.1");
	for (i = 0; i < LIVE_SITES; i++) {
		snprintf(fn, sizeof(fn), "f%d+0x1 [mod%d]", i, i % 50);
		report__add_site(&r, ACPI, LA_UNLOCKED, (char *const *)fr, 2,
				 false, true, 0)
			->count = 1;
	}
	l = m ? live__new(m, true) : NULL;
	if (!l)
		_exit(2);
	for (frame = 0; frame < 2; frame++) {
		report__sort(&r);
		live__frame(l, &r, frame + 1.0);
	}
	fclose(m);
	/* 40 rows a frame; the second frame's rows were all seen before */
	ok = buf && strstr(buf, "more calls at sites not shown") &&
	     !strstr(buf, "NEW");
	free(buf);
	live__free(l);
	report__free(&r);
	_exit(ok ? 0 : 3);
}

static void test_live_tick_scale(void **state)
{
	(void)state;
	in_child_within(live_run, 10,
			"two --live ticks over 80,000 sites drawn");
}

/* ---- (d) bad input ------------------------------------------------- */

/* merge path into an empty report: must fail with want and a one-line
 * message naming the file and containing phrase */
static void expect_merge_error(struct fx *fx, const char *path, int want,
			       const char *phrase)
{
	struct la_report r;
	int ret;

	report__init(&r);
	memset(fx->err, 0, sizeof(fx->err));
	ret = report__merge_file(&r, path, fx->err, sizeof(fx->err));
	report__free(&r);
	if (ret != want)
		fail_msg("%s: got %d (%s), want %d", path, ret, fx->err, want);
	if (!strstr(fx->err, path))
		fail_msg("message does not name the file: '%s'", fx->err);
	if (!strstr(fx->err, phrase))
		fail_msg("message '%s' lacks '%s'", fx->err, phrase);
	if (strchr(fx->err, '\n'))
		fail_msg("message is not one line: '%s'", fx->err);
}

static void expect_content_error(struct fx *fx, const char *content,
				 const char *phrase)
{
	char *path = path_in(fx, "in.json");

	write_all(path, content);
	expect_merge_error(fx, path, -EINVAL, phrase);
	free(path);
}

static void test_error_missing_file(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "missing.json");

	expect_merge_error(fx, path, -ENOENT, "No such file or directory");
	free(path);
}

static void test_error_not_json(void **state)
{
	struct fx *fx = *state;

	expect_content_error(fx, "lockaudit: watching 12 entry points\n",
			     "not valid JSON");
	expect_content_error(fx, "{\"schema\": \"lockaudit.report/1\",",
			     "not valid JSON");
	expect_content_error(fx, "", "not valid JSON");
}

static void test_error_directory(void **state)
{
	struct fx *fx = *state;

	expect_merge_error(fx, fx->dir, -EINVAL,
			   "not a regular file (a directory)");
}

static void test_error_wrong_schema(void **state)
{
	struct fx *fx = *state;

	expect_content_error(
		fx, "{\"schema\": \"lockaudit.probes/1\", \"hooks\": []}\n",
		"schema 'lockaudit.probes/1', want 'lockaudit.report/2'");
	expect_content_error(fx, "{\"kernel\": \"6.1.0\"}\n",
			     "not a lockaudit report");
	expect_content_error(fx, "{\"schema\": 1}\n", "not a lockaudit report");
	expect_content_error(fx, "[1, 2, 3]\n", "not a lockaudit report");
	expect_content_error(fx, "\"lockaudit.report/1\"\n",
			     "not a lockaudit report");
}

/* take the golden report as JSON, break it with fn, merge it */
static void expect_mutated_error_of(struct fx *fx,
				    void (*build)(struct la_report *),
				    void (*fn)(json_object *),
				    const char *phrase)
{
	struct la_report r;
	json_object *o;
	char *s;

	build(&r);
	s = json_of(&r, false);
	report__free(&r);
	o = json_tokener_parse(s);
	assert_non_null(o);
	free(s);
	fn(o);
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	expect_content_error(fx, s, phrase);
	free(s);
}

static void expect_mutated_error(struct fx *fx, void (*fn)(json_object *),
				 const char *phrase)
{
	expect_mutated_error_of(fx, build_report, fn, phrase);
}

static json_object *jpath(json_object *o, const char *key, int idx)
{
	json_object *v;

	assert_true(json_object_object_get_ex(o, key, &v));
	if (idx >= 0) {
		assert_true(json_object_is_type(v, json_type_array));
		v = json_object_array_get_idx(v, (size_t)idx);
		assert_non_null(v);
	}
	return v;
}

/* drivers[0].sites[0] */
static json_object *first_driver_site(json_object *o)
{
	return jpath(jpath(o, "drivers", 0), "sites", 0);
}

static json_object *other_site(json_object *o)
{
	size_t i, j;
	json_object *drivers = jpath(o, "drivers", -1);

	for (i = 0; i < json_object_array_length(drivers); i++) {
		json_object *sites = jpath(
			json_object_array_get_idx(drivers, i), "sites", -1);

		for (j = 0; j < json_object_array_length(sites); j++) {
			json_object *s = json_object_array_get_idx(sites, j);

			if (!strcmp(json_object_get_string(
					    jpath(s, "lock_state", -1)),
				    "held_by_other"))
				return s;
		}
	}
	fail_msg("no held_by_other site in the report");
	return NULL;
}

static void drop_count(json_object *o)
{
	json_object_object_del(first_driver_site(o), "count");
}

static void negative_count(json_object *o)
{
	json_object_object_add(first_driver_site(o), "count",
			       json_object_new_int64(-5));
}

static void by_caller_above_count(json_object *o)
{
	json_object_object_add(first_driver_site(o), "counted_by_caller",
			       json_object_new_int64(1000000));
}

static void string_count(json_object *o)
{
	json_object_object_add(first_driver_site(o), "count",
			       json_object_new_string("5"));
}

static void bad_lock_state(json_object *o)
{
	json_object_object_add(first_driver_site(o), "lock_state",
			       json_object_new_string("locked"));
}

static void drop_entry_point(json_object *o)
{
	json_object_object_del(jpath(o, "unclassified", 0), "entry_point");
}

static void drop_held_stack(json_object *o)
{
	json_object_object_del(jpath(o, "held", 0), "stack");
}

static void stack_not_array(json_object *o)
{
	json_object_object_add(jpath(o, "held", 0), "stack",
			       json_object_new_string("really_probe+0x19c"));
}

static void drop_holder(json_object *o)
{
	json_object_object_del(other_site(o), "holder");
}

static void drop_device_name(json_object *o)
{
	json_object_object_del(jpath(first_driver_site(o), "devices", 0),
			       "name");
}

static void site_not_object(json_object *o)
{
	json_object_array_put_idx(jpath(o, "unclassified", -1), 0,
				  json_object_new_int(42));
}

static void drop_hooks(json_object *o)
{
	json_object_object_del(o, "hooks");
}

static void negative_hook_calls(json_object *o)
{
	json_object_object_add(jpath(jpath(o, "hooks", 0), "calls", -1),
			       "unlocked", json_object_new_int64(-1));
}

static void drop_core_sites(json_object *o)
{
	json_object_object_del(jpath(o, "core", 0), "sites");
}

static void test_error_missing_field(void **state)
{
	struct fx *fx = *state;

	expect_mutated_error(fx, drop_count, "missing field 'count'");
	expect_mutated_error(fx, drop_entry_point,
			     "missing field 'entry_point'");
	expect_mutated_error(fx, drop_held_stack, "missing field 'stack'");
	expect_mutated_error(fx, drop_holder, "missing field 'holder'");
	expect_mutated_error(fx, drop_device_name, "missing field 'name'");
	expect_mutated_error(fx, drop_hooks, "missing field 'hooks'");
	expect_mutated_error(fx, drop_core_sites, "missing field 'sites'");
}

static void test_error_wrong_type(void **state)
{
	struct fx *fx = *state;

	expect_mutated_error(fx, string_count, "wrong type for field 'count'");
	expect_mutated_error(fx, stack_not_array,
			     "wrong type for field 'stack'");
	expect_mutated_error(fx, bad_lock_state,
			     "unknown value of 'lock_state'");
	expect_mutated_error(fx, site_not_object, "site is not an object");
}

static void test_error_negative_count(void **state)
{
	struct fx *fx = *state;

	expect_mutated_error(fx, negative_count, "negative count in 'count'");
	expect_mutated_error(fx, negative_hook_calls,
			     "negative count in 'unlocked'");
	expect_mutated_error(fx, by_caller_above_count,
			     "more than count in 'counted_by_caller'");
}

/* a short buffer truncates the message, never overflows */
static void test_error_short_buffer(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "missing.json");
	struct la_report r;
	char err[16];

	memset(err, 'X', sizeof(err));
	report__init(&r);
	assert_int_equal(report__merge_file(&r, path, err, 8), -ENOENT);
	assert_int_equal(strlen(err), 7);
	assert_true(err[9] == 'X');
	report__free(&r);
	free(path);
}

/* ---- (f) hostile input --------------------------------------------- */

/*
 * Merge path in a child with a 5 s alarm (reading a device or a FIFO used
 * to block for ever): it must fail with want and a message naming the file
 * and containing phrase.
 */
static void expect_error_in_time(const char *path, int want, const char *phrase)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct la_report r;
		char err[512] = "";
		int ret;

		alarm(5);
		report__init(&r);
		ret = report__merge_file(&r, path, err, sizeof(err));
		report__free(&r);
		if (ret != want || !strstr(err, path) || !strstr(err, phrase)) {
			fprintf(stderr, "%s: got %d '%s', want %d '%s'\n", path,
				ret, err, want, phrase);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("reading %s did not finish in 5 s (signal %d)", path,
			 WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* only regular files (a symlink to one is fine), of at most 256 MiB */
static void test_error_not_regular_file(void **state)
{
	struct fx *fx = *state;
	char *fifo = path_in(fx, "fifo"), *big = path_in(fx, "big.json"),
	     *link = path_in(fx, "link.json"), *a = path_in(fx, "a.json");
	int fd;

	expect_error_in_time("/dev/zero", -EINVAL,
			     "not a regular file (a device)");
	expect_error_in_time("/dev/urandom", -EINVAL,
			     "not a regular file (a device)");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_error_in_time(fifo, -EINVAL, "not a regular file (a FIFO)");
	/* sparse: nothing is read */
	fd = open(big, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)LA_REPORT_MAX_BYTES + 1), 0);
	close(fd);
	expect_error_in_time(big, -EFBIG, "larger than 256 MiB");
	save(fx, "a.json", build_report);
	assert_int_equal(symlink(a, link), 0);
	merge_ok(fx, &fx->r, "link.json");
	assert_int_equal(fx->r.nr_sites, 6);
	free(fifo);
	free(big);
	free(link);
	free(a);
}

/* text with one occurrence of from replaced by to */
static char *replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t len;
	char *s;

	if (!at)
		fail_msg("'%s' not in the report", from);
	len = strlen(text) - strlen(from) + strlen(to) + 1;
	s = malloc(len);
	assert_non_null(s);
	snprintf(s, len, "%.*s%s%s", (int)(at - text), text, to,
		 at + strlen(from));
	return s;
}

/* the golden report's JSON with from replaced by to must be refused */
static void expect_edited_error(struct fx *fx, const char *from, const char *to,
				const char *phrase)
{
	struct la_report r;
	char *json, *s;

	build_report(&r);
	json = json_of(&r, false);
	report__free(&r);
	s = replace(json, from, to);
	expect_content_error(fx, s, phrase);
	free(s);
	free(json);
}

/* strict JSON to the end, UTF-8, finite numbers, no NUL in strings */
static void test_error_strict_json(void **state)
{
	struct fx *fx = *state;
	struct la_report r;
	char *json, *two;
	size_t len;

	build_report(&r);
	json = json_of(&r, false);
	report__free(&r);
	/* a second report in the same file used to be dropped silently */
	len = 2 * strlen(json) + 1;
	two = malloc(len);
	assert_non_null(two);
	snprintf(two, len, "%s%s", json, json);
	expect_content_error(fx, two, "not valid JSON");
	free(two);
	two = replace(json, "\"held\":[{", "\"held\":[1,{");
	expect_content_error(fx, two, "site is not an object");
	free(two);
	expect_edited_error(
		fx, "\"duration_s\":30.250000", "\"duration_s\":NaN",
		"not a number of seconds (0 to 1e12) in 'duration_s'");
	expect_edited_error(
		fx, "\"first_seen_s\":12.500000", "\"first_seen_s\":-Infinity",
		"not a number of seconds (0 to 1e12) in 'first_seen_s'");
	expect_edited_error(
		fx, "\"last_seen_s\":14.250000", "\"last_seen_s\":1e400",
		"not a number of seconds (0 to 1e12) in 'last_seen_s'");
	expect_edited_error(fx, "\"duration_s\":30.250000", "\"duration_s\":-1",
			    "not a number of seconds");
	expect_edited_error(fx, "\"hostname\":\"testhost\"",
			    "\"hostname\":\"test\xff\"", "invalid utf-8");
	expect_edited_error(fx, "\"hostname\":\"testhost\"",
			    "\"hostname\":\"test\\u0000host\"",
			    "NUL character in 'hostname'");
	expect_edited_error(fx, "\"comm\":\"kworker/0:1\"",
			    "\"comm\":\"kworker\\u0000\"",
			    "NUL character in 'comm'");
	expect_edited_error(fx, "[\"la_call_unlocked+0x1c [la_test]\"",
			    "[\"la_call_unlocked\\u0000+0x1c [la_test]\"",
			    "NUL character in 'stack'");
	free(json);
}

/* a field name twice is refused (json-c kept the last one silently), at the
 * top level, known or not, and in a group */
static void test_error_duplicate_field(void **state)
{
	struct fx *fx = *state;

	expect_edited_error(fx, "\"sources\":1,",
			    "\"sources\":1,\"sources\":1,",
			    "duplicate field 'sources'");
	expect_edited_error(fx, "\"held\":[", "\"held\":[],\"held\":[",
			    "duplicate field 'held'");
	expect_edited_error(fx, "\"sites\":[", "\"sites\":[],\"sites\":[",
			    "duplicate field 'sites'");
	/* one not read; its name escaped on the one line */
	expect_edited_error(fx, "\"sources\":1,",
			    "\"x\\n\":1,\"x\\n\":2,\"sources\":1,",
			    "duplicate field 'x\\x0a'");
}

/* the golden report's JSON with from replaced by to: refused with the
 * message json-c gives for the whole document (where the report is read
 * item by item, the walk between the items must find the same error) */
static void expect_syntax_error(struct fx *fx, const char *from, const char *to)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error e;
	struct la_report r;
	char *json, *s, want[256];
	json_object *o;

	build_report(&r);
	json = json_of(&r, false);
	report__free(&r);
	s = to ? replace(json, from, to) : strndup(json, strlen(from));
	assert_non_null(tok);
	assert_non_null(s);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, s, (int)strlen(s));
	e = json_tokener_get_error(tok);
	assert_null(o);
	snprintf(want, sizeof(want), "not valid JSON (%s at byte %zu)",
		 e == json_tokener_continue ? "unexpected end of input"
					    : json_tokener_error_desc(e),
		 json_tokener_get_parse_end(tok));
	json_tokener_free(tok);
	expect_content_error(fx, s, want);
	free(s);
	free(json);
}

/* the reader walks the top level and the big arrays itself: what it
 * checks between the values is what json-c checked */
static void test_error_walk(void **state)
{
	struct fx *fx = *state;

	/* a quote missing inside a site: the skim of the arrays is fooled,
	 * the error is still found where it is */
	expect_syntax_error(fx, "\"la_call_unlocked+0x1c [la_test]\"",
			    "\"la_call_unlocked+0x1c [la_test]");
	expect_syntax_error(fx, "\"entry_point\":\"acpi_dma_configure_id\"",
			    "\"entry_point:\"acpi_dma_configure_id\"");
	/* separators between items and members */
	expect_syntax_error(fx, "},{\"entry_point\"", "}{\"entry_point\"");
	expect_syntax_error(fx, "},{\"entry_point\"", "},,{\"entry_point\"");
	expect_syntax_error(fx, "}],\"held\"", "},],\"held\"");
	expect_syntax_error(fx, "\"sources\":1,", "\"sources\":1 x,");
	expect_syntax_error(fx, "\"sources\":1,", "\"sources\" 1,");
	expect_syntax_error(fx, "\"sources\":1,", "\"sources\":1,,");
	expect_syntax_error(fx, "\"sources\":1,", "sources:1,");
	expect_syntax_error(fx, "\"hooks\":[", "\"hooks\":[\f");
	/* cut inside the big arrays and between top-level members */
	expect_syntax_error(fx, "{\"schema\":\"lockaudit.report/1\",\"gen",
			    NULL);
	{
		struct la_report r;
		char *json, *cut;

		build_report(&r);
		json = json_of(&r, false);
		report__free(&r);
		cut = strstr(json, "\"held\":[{");
		assert_non_null(cut);
		cut[strlen("\"held\":[{\"entry")] = 0;
		expect_syntax_error(fx, json, NULL);
		free(json);
	}
}

/* nesting is counted from the top of the file, as json-c did: a value
 * inside a driver site (itself 5 deep) may nest 27 more, not 28 */
static void test_error_nesting(void **state)
{
	struct fx *fx = *state;
	char open[40], close[40], to[128], *path = path_in(fx, "in.json");
	struct la_report r, back;
	char *json, *s;

	for (int deep = 27; deep <= 28; deep++) {
		memset(open, '[', (size_t)deep);
		memset(close, ']', (size_t)deep);
		open[deep] = close[deep] = 0;
		snprintf(to, sizeof(to), "{\"x\":%s%s,\"entry_point\"", open,
			 close);
		build_report(&r);
		json = json_of(&r, false);
		report__free(&r);
		s = replace(json, "{\"entry_point\"", to);
		if (deep == 27) {
			write_all(path, s);
			report__init(&back);
			if (report__merge_file(&back, path, fx->err,
					       sizeof(fx->err)))
				fail_msg("32 deep: %s", fx->err);
			report__free(&back);
		} else {
			expect_content_error(fx, s, "nesting too deep");
		}
		free(s);
		free(json);
	}
	free(path);
}

#define RSS_SITES 10000
#ifdef __SANITIZE_ADDRESS__
#define UNDER_ASAN 1
#else
#define UNDER_ASAN 0
#endif

/* RSS_SITES sites as `lockaudit run` writes them (12 frames, 4 devices
 * each) into path, by a child: the parent's heap does not grow */
static void write_big_report(const char *path)
{
	char fr[12][64], dev[32];
	char *frames[12];
	struct la_report r;
	struct la_rsite *s;
	int i, f;

	report__init(&r);
	set_meta(&r, "6.1.0-18-amd64", "rsshost", "2024-03-01T12:00:00Z", 1.0);
	for (f = 0; f < 12; f++)
		frames[f] = fr[f];
	for (i = 0; i < RSS_SITES; i++) {
		snprintf(fr[0], sizeof(fr[0]), "la_site_%d+0x1c [mod%d]", i,
			 i % 60);
		for (f = 1; f < 12; f++)
			snprintf(fr[f], sizeof(fr[f]), "caller_%d_%d+0x%x", f,
				 i % 97, 16 * f);
		s = report__add_site(&r, ACPI, LA_UNLOCKED, frames, 12, false,
				     true, 0);
		s->count = (uint64_t)i + 1;
		for (f = 0; f < 4; f++) {
			snprintf(dev, sizeof(dev), "0000:00:%02x.%d", i % 256,
				 f);
			report__add_dev(s, dev, "pci", "e1000e", true);
		}
	}
	_exit(report__save_json(&r, path, false) ? 2 : 0);
}

/* the child's maximum RSS in KiB: fn run in it */
static long child_rss(void (*fn)(const char *), const char *arg)
{
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid)
		fn(arg);
	assert_int_equal(wait4(pid, &status, 0, &ru), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return ru.ru_maxrss;
}

static void nothing(const char *path)
{
	(void)path;
	_exit(0);
}

static void merge_big(const char *path)
{
	struct la_report r;
	char err[512];

	report__init(&r);
	_exit(report__merge_file(&r, path, err, sizeof(err)) ? 2 : 0);
}

/* merge_big, then write the JSON (to /dev/null: the bytes do not matter) */
static void merge_write_big(const char *path, bool pretty)
{
	struct la_report r;
	char err[512];
	FILE *f = fopen("/dev/null", "we");

	report__init(&r);
	if (!f || report__merge_file(&r, path, err, sizeof(err)))
		_exit(2);
	_exit(report__write_json(&r, f, pretty) || fclose(f) ? 3 : 0);
}

static void merge_write_big_plain(const char *path)
{
	merge_write_big(path, false);
}

static void merge_write_big_pretty(const char *path)
{
	merge_write_big(path, true);
}

/*
 * Reading a report takes less than 4 times its size in memory: the site
 * model and the file's bytes, not a json-c tree of the whole document
 * (about 10 times the file). Writing it as JSON too (both forms): the
 * writer streams, one site's json-c tree at a time (a tree of the whole
 * report took 13 times the file). Not under ASan (its shadow memory and
 * quarantine are RSS too).
 */
static void test_merge_memory(void **state)
{
	struct fx *fx = *state;
	long base, rss;
	struct stat st;
	char *path;

	if (UNDER_ASAN)
		skip();
	path = path_in(fx, "big.json");
	child_rss(write_big_report, path);
	assert_int_equal(stat(path, &st), 0);
	base = child_rss(nothing, path);
	rss = child_rss(merge_big, path) - base;
	if (rss * 1024 >= 4 * st.st_size)
		fail_msg("reading %lld bytes (%d sites) took %ld KiB (%.1fx)",
			 (long long)st.st_size, RSS_SITES, rss,
			 rss * 1024.0 / (double)st.st_size);
	for (int pretty = 0; pretty < 2; pretty++) {
		rss = child_rss(pretty ? merge_write_big_pretty
				       : merge_write_big_plain,
				path) -
		      base;
		if (rss * 1024 >= 4 * st.st_size)
			fail_msg("reading and writing (%s) %lld bytes (%d "
				 "sites) took %ld KiB (%.1fx)",
				 pretty ? "pretty" : "compact",
				 (long long)st.st_size, RSS_SITES, rss,
				 rss * 1024.0 / (double)st.st_size);
	}
	free(path);
}

/* counts: integers from 0 to 2^64-2, not doubles, strings or booleans */
static void test_error_numbers(void **state)
{
	struct fx *fx = *state;

	/* json-c reads 2^64 and above as 2^64-1: both refused */
	expect_edited_error(fx, "\"count\":5,",
			    "\"count\":18446744073709551615,",
			    "number out of range in 'count'");
	expect_edited_error(fx, "\"count\":5,",
			    "\"count\":18446744073709551616,",
			    "number out of range in 'count'");
	expect_edited_error(fx, "\"count\":5,",
			    "\"count\":9223372036854775808000,",
			    "number out of range in 'count'");
	expect_edited_error(fx, "\"count\":5,", "\"count\":5.0,",
			    "wrong type for field 'count'");
	expect_edited_error(fx, "\"count\":5,", "\"count\":true,",
			    "wrong type for field 'count'");
	expect_edited_error(fx, "\"count\":5,", "\"count\":null,",
			    "wrong type for field 'count'");
	expect_edited_error(fx, "\"pid\":4242", "\"pid\":4294971538",
			    "number out of range in 'pid'");
	expect_edited_error(fx, "\"pid\":4242", "\"pid\":-1",
			    "negative count in 'pid'");
	expect_edited_error(fx, "\"sources\":1", "\"sources\":4294967297",
			    "number out of range in 'sources'");
	expect_edited_error(fx, "\"held\":120,",
			    "\"held\":18446744073709551600,",
			    "merged sum above 2^64-2 of 'unlocked'");
}

static const char *const st_race_in[] = {
	"iommu_probe_device+0x5",
	"la_race_a+0x10 [la_test]",
};
static const char *const st_race_enter[] = {
	"acpi_dma_configure_id+0x0",
	"la_race_b+0x22 [la_test]",
	"kthread+0xe8",
};

/* build_report with a concurrent finding */
static void add_test_race(struct la_report *r)
{
	struct la_rrace x;

	memset(&x, 0, sizeof(x));
	x.count = 2;
	x.first_s = 4.0;
	x.last_s = 6.5;
	x.dev.name = "la_test.2";
	x.dev.bus = "platform";
	x.dev.driver = "";
	x.task[0].entry = "iommu_probe_device";
	x.task[0].pid = 101;
	x.task[0].comm = "modprobe";
	x.task[0].nr_frames = ARRAY_SIZE(st_race_in);
	x.task[0].frames = (char **)st_race_in;
	x.task[1].entry = "acpi_dma_configure_id";
	x.task[1].pid = 102;
	x.task[1].comm = "kworker/1:0";
	x.task[1].nr_frames = ARRAY_SIZE(st_race_enter);
	x.task[1].frames = (char **)st_race_enter;
	assert_non_null(report__add_race(r, &x));
}

static void build_report_race(struct la_report *r)
{
	build_report(r);
	add_test_race(r);
}

static json_object *race_task(json_object *o, int t)
{
	return jpath(jpath(o, "concurrent", 0), "tasks", t);
}

static void race_null_frame(json_object *o)
{
	json_object_array_put_idx(jpath(race_task(o, 0), "stack", -1), 1, NULL);
}

static void race_pid_string(json_object *o)
{
	json_object_object_add(race_task(o, 1), "pid",
			       json_object_new_string("102"));
}

static void race_task_not_object(json_object *o)
{
	json_object_array_put_idx(jpath(jpath(o, "concurrent", 0), "tasks", -1),
				  0, json_object_new_int(5));
}

static void race_device_null(json_object *o)
{
	json_object_object_add(jpath(o, "concurrent", 0), "device", NULL);
}

static void race_comm_null(json_object *o)
{
	json_object_object_add(race_task(o, 0), "comm", NULL);
}

static void race_no_entry(json_object *o)
{
	json_object_object_del(race_task(o, 1), "entry_point");
}

static void race_not_object(json_object *o)
{
	json_object_array_put_idx(jpath(o, "concurrent", -1), 0,
				  json_object_new_string("race"));
}

static void device_null(json_object *o)
{
	json_object_array_put_idx(jpath(first_driver_site(o), "devices", -1), 0,
				  NULL);
}

static void driver_number(json_object *o)
{
	json_object_object_add(jpath(first_driver_site(o), "devices", 1),
			       "driver", json_object_new_int(7));
}

static void hook_null(json_object *o)
{
	json_object_array_put_idx(jpath(o, "hooks", -1), 0, NULL);
}

static void hook_bad_attach(json_object *o)
{
	json_object_object_add(jpath(o, "hooks", 0), "attach",
			       json_object_new_string("uprobe"));
}

static void group_not_object(json_object *o)
{
	json_object_array_put_idx(jpath(o, "drivers", -1), 0,
				  json_object_new_boolean(1));
}

static void site_frame_number(json_object *o)
{
	json_object_array_put_idx(jpath(first_driver_site(o), "stack", -1), 0,
				  json_object_new_int(1));
}

static void runs_empty(json_object *o)
{
	json_object_object_add(o, "runs", json_object_new_array());
}

static void runs_item_string(json_object *o)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string("testhost"));
	json_object_object_add(o, "runs", a);
}

/* every field of every object is checked: a one-line error naming the file
 * and the field, never a crash (a null frame in a concurrent finding's
 * stack crashed `report`) */
static void test_error_every_field(void **state)
{
	struct fx *fx = *state;

	expect_mutated_error_of(fx, build_report_race, race_null_frame,
				"wrong type for an item of 'stack'");
	expect_mutated_error_of(fx, build_report_race, race_pid_string,
				"wrong type for field 'pid'");
	expect_mutated_error_of(fx, build_report_race, race_task_not_object,
				"wrong type for an item of 'tasks'");
	expect_mutated_error_of(fx, build_report_race, race_device_null,
				"wrong type for field 'device'");
	expect_mutated_error_of(fx, build_report_race, race_comm_null,
				"wrong type for field 'comm'");
	expect_mutated_error_of(fx, build_report_race, race_no_entry,
				"missing field 'entry_point'");
	expect_mutated_error_of(fx, build_report_race, race_not_object,
				"finding is not an object");
	expect_mutated_error(fx, device_null,
			     "wrong type for an item of 'devices'");
	expect_mutated_error(fx, driver_number,
			     "wrong type for field 'driver'");
	expect_mutated_error(fx, hook_null,
			     "wrong type for an item of 'hooks'");
	expect_mutated_error(fx, hook_bad_attach, "unknown value of 'attach'");
	expect_mutated_error(fx, group_not_object,
			     "wrong type for an item of 'drivers'");
	expect_mutated_error(fx, site_frame_number,
			     "wrong type for an item of 'stack'");
	expect_mutated_error(fx, runs_empty, "no run in 'runs'");
	expect_mutated_error(fx, runs_item_string,
			     "wrong type for an item of 'runs'");
}

/* a concurrent finding survives writing and reading */
static void test_roundtrip_race(void **state)
{
	struct la_report r;

	build_report_race(&r);
	roundtrip(*state, &r);
	report__free(&r);
}

/* Counts above 2^63 are written and read back exactly (they were written
 * as negative numbers, which the reader then refused); a merge whose sums
 * would pass 2^64-2 is refused, never wrapped. */
static void build_report_huge(struct la_report *r)
{
	build_report(r);
	r->sites[0].count = LA_COUNT_MAX - 1000;
	report__hook(r, "acpi_dma_configure_id")->calls[LA_HELD] =
		LA_COUNT_MAX - 200;
	r->dropped_events = LA_COUNT_MAX;
}

static void build_report_huge_later(struct la_report *r)
{
	build_report_huge(r);
	free(r->started);
	r->started = xstrdup("2024-03-02T12:00:00Z");
	report__hook(r, "acpi_dma_configure_id")->calls[LA_HELD] = 1;
	r->dropped_events = 0;
}

static void test_counts_near_max(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "later.json");
	struct la_report r;
	char *json;

	build_report_huge(&r);
	json = json_of(&r, false);
	assert_non_null(strstr(json, "\"count\":18446744073709550614"));
	free(json);
	roundtrip(fx, &r);
	report__free(&r);
	save(fx, "huge.json", build_report_huge);
	save(fx, "later.json", build_report_huge_later);
	merge_ok(fx, &fx->r, "huge.json");
	assert_int_equal(fx->r.dropped_events, LA_COUNT_MAX);
	assert_int_equal(
		report__merge_file(&fx->r, path, fx->err, sizeof(fx->err)),
		-EINVAL);
	assert_non_null(strstr(fx->err, "merged sum above 2^64-2 of 'count'"));
	free(path);
}

/* group, module, function, caller, core path and severity come from the
 * stack, whatever the file claims */
static void claim_attribution(json_object *o)
{
	json_object *core = jpath(jpath(o, "core", 0), "sites", 0), *g, *a;
	json_object *drv = first_driver_site(o);

	json_object_object_add(core, "group", json_object_new_string("driver"));
	json_object_object_add(core, "module", json_object_new_string("evil"));
	json_object_object_add(core, "function",
			       json_object_new_string("evil_fn"));
	json_object_object_add(core, "caller",
			       json_object_new_string("evil_fn+0x1 [evil]"));
	json_object_object_add(core, "severity",
			       json_object_new_string("high"));
	/* and move it to the drivers, under its claimed module */
	g = json_object_new_object();
	json_object_object_add(g, "module", json_object_new_string("evil"));
	json_object_object_add(g, "violations", json_object_new_int(12));
	a = json_object_new_array();
	json_object_array_add(a, json_object_get(core));
	json_object_object_add(g, "sites", a);
	json_object_array_add(jpath(o, "drivers", -1), g);
	json_object_array_del_idx(jpath(o, "core", -1), 0, 1);

	json_object_object_add(drv, "group", json_object_new_string("core"));
	json_object_object_add(drv, "module",
			       json_object_new_string("vmlinux"));
	json_object_object_add(drv, "core_path",
			       json_object_new_string("by design"));
	json_object_object_add(drv, "severity", json_object_new_string("info"));
}

static void test_attribution_not_trusted(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "in.json"), *text, *want;
	const struct la_rsite *s;
	struct la_report r;
	json_object *o;

	build_report(&r);
	want = text_of(&r);
	text = json_of(&r, false);
	report__free(&r);
	o = json_tokener_parse(text);
	free(text);
	assert_non_null(o);
	claim_attribution(o);
	assert_int_equal(json_object_to_file(path, o), 0);
	json_object_put(o);
	merge_ok(fx, &fx->r, "in.json");
	s = find_site(&fx->r, "iommu_probe_device", LA_UNLOCKED, "");
	assert_non_null(s);
	assert_int_equal(s->group, LA_GROUP_CORE);
	assert_string_equal(s->module, "");
	assert_int_equal(s->severity, LA_SEV_INFO);
	s = find_site(&fx->r, "acpi_dma_configure_id", LA_UNLOCKED,
		      "la_call_unlocked");
	assert_non_null(s);
	assert_int_equal(s->group, LA_GROUP_DRIVER);
	assert_string_equal(s->module, "la_test");
	assert_int_equal(s->severity, LA_SEV_HIGH);
	/* the same report as before the claims */
	text = text_of(&fx->r);
	if (!same_text("text after false claims", want, text))
		fail_msg("claims in the file changed the report");
	free(text);
	free(want);
	free(path);
}

/* names with control characters, invalid UTF-8, C1 controls, a backslash */
static const char *const st_evil[] = {
	"evil_fn+0x1 [ev\nDRIVERS calling without the device lock\n  x]",
	"evil_init\x1b[2J+0x22 [evil]",
};

static void build_report_evil(struct la_report *r)
{
	struct la_rsite *s;

	build_report(r);
	s = ADD_SITE(r, "acpi_dma_configure_id", LA_HELD_OTHER, st_evil, true,
		     0, 1, 1.0, 1.0);
	free(s->holder_comm);
	s->holder_comm = xstrdup("k\x1b]0;pwn\x07\xff\xfe");
	report__add_dev(s, "dev\r\x7f\xc2\x9b", "a\\b", "caf\xc3\xa9", true);
}

/* the text writer escapes what a terminal would act on */
static void test_text_escapes_names(void **state)
{
	const unsigned char *u;
	struct la_report r;
	char *text, *p;
	int drivers = 0;

	(void)state;
	build_report_evil(&r);
	text = text_of(&r);
	for (u = (const unsigned char *)text; *u; u++)
		if ((*u < 0x20 && *u != '\n') || *u == 0x7f || *u == 0xff ||
		    (*u == 0xc2 && u[1] == 0x9b))
			fail_msg("raw byte 0x%02x at %zu of the text", *u,
				 (size_t)(u - (const unsigned char *)text));
	for (p = text; (p = strstr(p, "\nDRIVERS")); p++)
		drivers++;
	assert_int_equal(drivers, 1);
	assert_non_null(strstr(text, "ev\\x0aDRIVERS calling"));
	assert_non_null(strstr(text, "evil_init\\x1b[2J+0x22 [evil]"));
	assert_non_null(strstr(text, "(k\\x1b]0;pwn\\x07\\xff\\xfe)"));
	assert_non_null(strstr(text, "device dev\\x0d\\x7f\\xc2\\x9b (bus "
				     "a\\\\b, driver caf\xc3\xa9)"));
	free(text);
	report__free(&r);
}

/* the JSON writer writes valid UTF-8 only (U+FFFD for a bad byte), which
 * reads back */
static void test_json_writes_utf8(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "evil.json"), *json;
	struct json_tokener *tok = json_tokener_new();
	const struct la_rsite *s;
	struct la_report r;
	json_object *o;

	build_report_evil(&r);
	json = json_of(&r, false);
	report__free(&r);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, json, (int)strlen(json));
	if (!o)
		fail_msg("written JSON is not strict UTF-8 JSON: %s",
			 json_tokener_error_desc(json_tokener_get_error(tok)));
	json_object_put(o);
	json_tokener_free(tok);
	assert_non_null(strstr(json,
			       "\"comm\":\"k\\u001b]0;pwn\\u0007\xef\xbf\xbd"
			       "\xef\xbf\xbd\""));
	free(json);
	save(fx, "evil.json", build_report_evil);
	merge_ok(fx, &fx->r, "evil.json");
	s = find_site(&fx->r, "acpi_dma_configure_id", LA_HELD_OTHER,
		      "evil_fn");
	assert_non_null(s);
	assert_string_equal(s->holder_comm,
			    "k\x1b]0;pwn\x07\xef\xbf\xbd\xef\xbf\xbd");
	free(path);
}

/* ---- (e) saving ---------------------------------------------------- */

static void test_save(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "report.json"), *want, *got, names[256];
	struct la_report r;
	struct stat st;

	build_report(&r);
	assert_int_equal(report__save_json(&r, path, true), 0);
	want = json_of(&r, true);
	got = read_all(path);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* replaces an existing file, no temporary left behind */
	assert_int_equal(report__save_json(&r, path, false), 0);
	assert_int_equal(list_dir(fx->dir, names, sizeof(names)), 1);
	assert_string_equal(names, "report.json ");
	free(want);
	free(got);
	free(path);
	report__free(&r);
}

static void test_save_no_dir(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "nodir/r.json"), names[256];
	struct la_report r;

	build_report(&r);
	assert_int_equal(report__save_json(&r, path, true), -ENOENT);
	assert_int_equal(list_dir(fx->dir, names, sizeof(names)), 0);
	assert_int_equal(report__save_json(&r, "/nonexistent/dir/r.json", true),
			 -ENOENT);
	free(path);
	report__free(&r);
}

static void test_save_onto_directory(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "sub"), names[256];
	struct la_report r;
	int ret;

	assert_int_equal(mkdir(path, 0755), 0);
	build_report(&r);
	ret = report__save_json(&r, path, true);
	assert_true(ret < 0);
	/* only the directory itself: the temporary file was removed */
	assert_int_equal(list_dir(fx->dir, names, sizeof(names)), 1);
	assert_string_equal(names, "sub ");
	free(path);
	report__free(&r);
}

/* ---- names --------------------------------------------------------- */

static void test_state_names(void **state)
{
	(void)state;
	assert_string_equal(la_state_name(LA_HELD), "held");
	assert_string_equal(la_state_name(LA_UNLOCKED), "unlocked");
	assert_string_equal(la_state_name(LA_HELD_OTHER), "held_by_other");
	assert_string_equal(la_state_name(7), "?");
	assert_string_equal(la_state_label(LA_UNLOCKED), "UNLOCKED");
	assert_string_equal(la_state_label(LA_HELD_OTHER), "HELD BY OTHER");
}

static void test_add_dev_cap(void **state)
{
	struct la_report r;
	struct la_rsite *s;
	char name[32];
	int i;

	(void)state;
	report__init(&r);
	s = ADD_SITE(&r, "acpi_dma_configure_id", LA_UNLOCKED, st_la_unlocked,
		     true, 0, 1, 1.0, 1.0);
	for (i = 0; i < LA_REPORT_MAX_DEVS + 4; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		report__add_dev(s, name, "pci", "", false);
	}
	assert_int_equal(s->nr_devs, LA_REPORT_MAX_DEVS);
	/* same name on another bus is another device */
	report__add_dev(s, "dev0", "platform", "", false);
	assert_int_equal(s->nr_devs, LA_REPORT_MAX_DEVS);
	report__free(&r);
}

/*
 * The IOMMU core configuring a device while another task holds its lock:
 * severity high, its own text section above the drivers, and not repeated
 * among the by-design core calls (which keep their own sum).
 */
static void test_core_racing_holder(void **state)
{
	struct la_report r;
	struct la_rsite *s;
	char *txt, *race, *drivers, *core;

	(void)state;
	report__init(&r);
	r.kernel = xstrdup("7.3.4");
	r.arch = xstrdup("x86_64");
	r.hostname = xstrdup("h");
	r.started = xstrdup("2026-12-03T00:00:00Z");
	r.sources = 1;
	s = ADD_SITE(&r, "iommu_probe_device", LA_HELD_OTHER, st_core, true, -1,
		     3, 1.0, 2.0);
	s->holder_pid = 77;
	free(s->holder_comm);
	s->holder_comm = xstrdup("la_core_holder");
	report__add_dev(s, "la_core.0", "platform", "", true);
	assert_int_equal(s->group, LA_GROUP_CORE);
	assert_int_equal(s->severity, LA_SEV_HIGH);
	s = ADD_SITE(&r, "iommu_probe_device", LA_UNLOCKED, st_core, true, -1,
		     5, 1.0, 2.0);
	assert_int_equal(s->group, LA_GROUP_CORE);
	assert_int_equal(s->severity, LA_SEV_INFO);

	txt = text_of(&r);
	race = strstr(txt, "\nIOMMU CORE racing a lock holder");
	drivers = strstr(txt, "\nDRIVERS calling without the device lock");
	core = strstr(txt, "\nIOMMU CORE paths (unlocked by design");
	assert_non_null(race);
	assert_non_null(drivers);
	assert_non_null(core);
	assert_true(race < drivers && drivers < core);
	assert_non_null(strstr(race,
			       "  device add (iommu_bus_notifier): 3 calls "
			       "while pid 77 (la_core_holder) held the "
			       "device lock\n"
			       "    high   iommu_probe_device       HELD BY "
			       "OTHER           3 calls\n"));
	/* the by-design section: 5 calls, the unlocked site only */
	assert_non_null(strstr(core,
			       "  device add (iommu_bus_notifier): 5 "
			       "calls\n    info   iommu_probe_device       "));
	assert_null(strstr(core, "HELD BY OTHER"));
	free(txt);
	report__free(&r);
}

/*
 * What collect writes of kernel-held bytes (device names, comms) to the
 * events file and the terminal: valid UTF-8 JSON, escaped text.
 */
static void test_exported_escapes(void **state)
{
	char buf[64];
	json_object *o;

	(void)state;
	o = la_json_str("k\xffw\x1b");
	assert_string_equal(json_object_to_json_string_ext(
				    o, JSON_C_TO_STRING_NOSLASHESCAPE),
			    "\"k\xef\xbf\xbdw\\u001b\"");
	json_object_put(o);
	assert_string_equal(report__text_esc(buf, sizeof(buf), "a\x1b[2J\\b"),
			    "a\\x1b[2J\\\\b");
	assert_string_equal(report__text_esc(buf, sizeof(buf), "plain"),
			    "plain");
	/* truncated to the buffer, still NUL-terminated */
	assert_string_equal(report__text_esc(buf, 5, "\x01\x02"), "\\x01");
}

static void build_drops_a(struct la_report *r)
{
	build_report(r);
	for (size_t i = 0; i < LA_NR_DROPS; i++)
		LA_DROP(r, i) = 10 + i;
}

static void build_drops_b(struct la_report *r)
{
	build_report_b(r);
	for (size_t i = 0; i < LA_NR_DROPS; i++)
		LA_DROP(r, i) = 100 * (i + 1);
}

/*
 * Every drop counter: written, read back, summed over merged reports, and
 * one text line each with what it means; a report written before tracking
 * and modules were reported (no such keys) still reads, as 0.
 */
static void test_drops_summed_and_said(void **state)
{
	struct fx *fx = *state;
	struct la_report r;
	char *txt, *p = path_in(fx, "old.json"), *json, *cut;
	size_t i;

	save(fx, "a.json", build_drops_a);
	save(fx, "b.json", build_drops_b);
	report__init(&r);
	merge_ok(fx, &r, "a.json");
	merge_ok(fx, &r, "b.json");
	for (i = 0; i < LA_NR_DROPS; i++)
		assert_int_equal(LA_DROP(&r, i), 10 + i + 100 * (i + 1));
	assert_int_equal(r.dropped_tracking, 14 + 500);
	assert_int_equal(r.dropped_modules, 15 + 600);
	txt = text_of(&r);
	assert_non_null(strstr(txt,
			       "DROPPED: 514 calls not tracked for "
			       "concurrency (map full): CONCURRENT above "
			       "can miss races these calls were part of\n"));
	assert_non_null(strstr(txt, "DROPPED: 615 module load/unload records "
				    "lost (map full): frames of modules "
				    "unloaded before the report may stay "
				    "addresses\n"));
	assert_non_null(strstr(txt, "DROPPED: 110 calls not aggregated"));
	assert_non_null(strstr(txt, "DROPPED: 211 live events lost"));
	assert_non_null(strstr(txt, "DROPPED: 312 stacks unreadable"));
	assert_non_null(strstr(txt, "DROPPED: 413 concurrent findings"));
	free(txt);
	report__free(&r);

	/* the older layout: drop "tracking" and "modules" from a's JSON */
	build_report(&r);
	json = json_of(&r, false);
	report__free(&r);
	cut = strstr(json, ",\"tracking\":0,\"modules\":0");
	assert_non_null(cut);
	memmove(cut, cut + strlen(",\"tracking\":0,\"modules\":0"),
		strlen(cut + strlen(",\"tracking\":0,\"modules\":0")) + 1);
	write_all(p, json);
	free(json);
	report__init(&r);
	merge_ok(fx, &r, "old.json");
	assert_int_equal(r.dropped_events, 3);
	assert_int_equal(r.dropped_tracking, 0);
	assert_int_equal(r.dropped_modules, 0);
	report__free(&r);
	free(p);
}

/* ---- (d) nested violations: one driver bug is one violation -------- */

/*
 * arm64: la_test's of_dma_configure_id() runs of_iommu_configure(), which
 * runs iommu_fwspec_init() (through of_iommu_xlate) and iommu_probe_device():
 * four watched calls, one driver bug. Frames as the collector symbolizes
 * them; fentry stacks start with the BPF program and trampoline, kprobe
 * stacks at the entry point, and with exit hooks (fexit) an outer watched
 * function shows twice around its trampoline.
 */
#define ARM_TAIL(fn)                                                           \
	fn, "la_run+0x40 [la_test]", "do_one_initcall+0x4c",                   \
		"do_init_module+0x60", "load_module+0x1f0c",                   \
		"__do_sys_finit_module+0x9c", "invoke_syscall+0x48",           \
		"el0_svc_common.constprop.0+0x48", "do_el0_svc+0x24",          \
		"el0_svc+0x38", "el0t_64_sync_handler+0x120",                  \
		"el0t_64_sync+0x190"
#define LA_UNL	   "la_call_unlocked+0x24 [la_test]"
#define LA_OTH	   "la_call_other+0x2c [la_test]"
#define BPF_TRAMP2 "bpf_trampoline_6442470001+0x6c [bpf]"

enum nest_form { NEST_FENTRY, NEST_KPROBE, NEST_FEXIT };

/* the four entry points of the chain, outermost first */
static const char *const nest_entry[] = {
	"of_dma_configure_id", "of_iommu_configure", "iommu_fwspec_init",
	"iommu_probe_device"};

/* The stack of chain entry point e (0: the outer call) from caller. */
static size_t nest_stack(enum nest_form form, int e, const char *caller,
			 const char **f)
{
	const char *tail[] = {ARM_TAIL(caller)};
	const char *off = form == NEST_KPROBE ? "+0x0" : "+0x8";
	static char own[4][64];
	size_t n = 0, i;

	if (form != NEST_KPROBE) {
		f[n++] = BPF_PROG;
		f[n++] = BPF_TRAMP;
	}
	snprintf(own[e], sizeof(own[e]), "%s%s", nest_entry[e], off);
	f[n++] = own[e];
	if (e == 2)
		f[n++] = "of_iommu_xlate+0x54";
	if (e == 2)
		f[n++] = "of_iommu_configure+0x120";
	if (e == 3)
		f[n++] = "of_iommu_configure+0x15c";
	if (e) {
		f[n++] = "of_dma_configure_id+0x1a4";
		if (form == NEST_FEXIT) {
			f[n++] = BPF_TRAMP2;
			f[n++] = "of_dma_configure_id+0x8";
		}
	}
	for (i = 0; i < ARRAY_SIZE(tail); i++)
		f[n++] = tail[i];
	return n;
}

/* A site of the chain: entry point e, called k times from caller (one
 * fresh device each: la_test.<dev0>, ...). */
static struct la_rsite *nest_site(struct la_report *r, enum nest_form form,
				  int e, int state, const char *caller,
				  uint64_t k, int dev0)
{
	const char *f[32];
	size_t n = nest_stack(form, e, caller, f);
	struct la_rsite *s =
		add_site(r, nest_entry[e], state, f, n, true, 0, k, 1.0, 2.0);
	char name[32];

	for (uint64_t i = 0; i < k; i++) {
		snprintf(name, sizeof(name), "la_test.%d", dev0 + (int)i);
		report__add_dev(s, name, "platform", "", true);
	}
	if (state == LA_HELD_OTHER) {
		s->holder_pid = 99;
		free(s->holder_comm);
		s->holder_comm = xstrdup("la_test_holder");
	}
	return s;
}

#define NEST_U 3 /* unlocked la_test calls */
#define NEST_O 2 /* held by the holder */

/*
 * la_test on arm64: NEST_U unlocked and NEST_O held-by-other calls of
 * of_dma_configure_id, each reaching the whole chain. order: the sites in
 * chain order (0) or reversed (1), or the held-by-other first (2).
 */
static void build_nested(struct la_report *r, enum nest_form form, int order)
{
	int e, i;

	report__init(r);
	set_meta(r, "6.12.0-arm64", "armhost", "2026-01-01T00:00:00Z", 5.0);
	free(r->arch);
	r->arch = xstrdup("aarch64");
	for (e = 0; e < 4; e++)
		set_hook(r, nest_entry[e],
			 form == NEST_KPROBE ? "kprobe" : "fentry", "", 0,
			 NEST_U, NEST_O);
	for (i = 0; i < 8; i++) {
		int k = order == 1 ? 7 - i : order == 2 ? (i + 4) % 8 : i;

		e = k % 4;
		if (k < 4)
			nest_site(r, form, e, LA_UNLOCKED, LA_UNL, NEST_U, 0);
		else
			nest_site(r, form, e, LA_HELD_OTHER, LA_OTH, NEST_O,
				  10);
	}
}

/* The JSON of r, parsed. */
static json_object *parsed(const struct la_report *r)
{
	char *s = json_of(r, false);
	json_object *o = json_tokener_parse(s);

	free(s);
	assert_non_null(o);
	return o;
}

static json_object *jkey(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no '%s' in %s", key, json_object_to_json_string(o));
	return v;
}

static uint64_t jnum(json_object *o, const char *key)
{
	return json_object_get_uint64(jkey(o, key));
}

/* "entry:count,..." of a site's "nested" ("" if none) */
static void nested_str(json_object *site, char *buf, size_t len)
{
	json_object *a;

	buf[0] = 0;
	if (!json_object_object_get_ex(site, "nested", &a))
		return;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i);

		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s:%" PRIu64,
			 i ? "," : "",
			 json_object_get_string(jkey(x, "entry_point")),
			 jnum(x, "count"));
	}
}

#define NEST_LIST(k)                                                           \
	"iommu_fwspec_init:" #k ",iommu_probe_device:" #k                      \
	",of_iommu_configure:" #k

/*
 * r as la_test's arm64 chain folded: the driver la_test with exactly
 * u + o violations at two sites (of_dma_configure_id, unlocked u times and
 * held by another o times), each listing the three inner entry points with
 * their exact counts; totals count outermost calls; hooks stay exact.
 */
static void assert_folded(const struct la_report *r, uint64_t u, uint64_t o)
{
	json_object *j = parsed(r), *drv, *g, *sites, *t, *s;
	char buf[256], want[256], *text = text_of(r);
	size_t hk = r->nr_hooks, nsites = (u > 0) + (o > 0);

	drv = jkey(j, "drivers");
	assert_int_equal(json_object_array_length(drv), 1);
	g = json_object_array_get_idx(drv, 0);
	assert_string_equal(json_object_get_string(jkey(g, "module")),
			    "la_test");
	assert_int_equal(jnum(g, "violations"), u + o);
	sites = jkey(g, "sites");
	assert_int_equal(json_object_array_length(sites), nsites);
	for (size_t i = 0; i < nsites; i++) {
		s = json_object_array_get_idx(sites, i);
		bool unl =
			!strcmp(json_object_get_string(jkey(s, "lock_state")),
				"unlocked");

		assert_string_equal(
			json_object_get_string(jkey(s, "entry_point")),
			"of_dma_configure_id");
		assert_int_equal(jnum(s, "count"), unl ? u : o);
		nested_str(s, buf, sizeof(buf));
		snprintf(want, sizeof(want),
			 "iommu_fwspec_init:%" PRIu64
			 ",iommu_probe_device:%" PRIu64
			 ",of_iommu_configure:%" PRIu64,
			 unl ? u : o, unl ? u : o, unl ? u : o);
		assert_string_equal(buf, want);
	}
	assert_int_equal(json_object_array_length(jkey(j, "core")), 0);
	assert_int_equal(json_object_array_length(jkey(j, "unclassified")), 0);
	t = jkey(j, "totals");
	assert_int_equal(jnum(t, "violations"), u + o);
	assert_int_equal(jnum(t, "unlocked"), u);
	assert_int_equal(jnum(t, "held_by_other"), o);
	assert_int_equal(jnum(t, "nested"), 3 * (u + o));
	assert_int_equal(jnum(t, "calls_audited"), 4 * (u + o));
	/* the per-hook counters are exact per entry point */
	assert_int_equal(hk, 4);
	for (size_t i = 0; i < hk; i++) {
		json_object *h = json_object_array_get_idx(jkey(j, "hooks"), i),
			    *c = jkey(h, "calls");

		assert_int_equal(jnum(c, "unlocked"), u);
		assert_int_equal(jnum(c, "held_by_other"), o);
	}
	json_object_put(j);

	/* the text says the same */
	snprintf(want, sizeof(want),
		 "%" PRIu64 " calls audited: 0 held, %" PRIu64
		 " unlocked, %" PRIu64 " held by another task, %" PRIu64
		 " nested inside those\n",
		 4 * (u + o), u, o, 3 * (u + o));
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want),
		 "  la_test: %" PRIu64 " violations at %zu site%s\n", u + o,
		 nsites, nsites == 1 ? "" : "s");
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want),
		 "      inside: iommu_fwspec_init %" PRIu64
		 ", iommu_probe_device %" PRIu64 ", of_iommu_configure %" PRIu64
		 "\n",
		 u, u, u);
	assert_non_null(strstr(text, want));
	snprintf(want, sizeof(want),
		 "      inside: iommu_fwspec_init %" PRIu64
		 ", iommu_probe_device %" PRIu64 ", of_iommu_configure %" PRIu64
		 "\n",
		 o, o, o);
	assert_true(!o || strstr(text, want));
	assert_null(strstr(text, "iommu_probe_device       UNLOCKED"));
	assert_null(strstr(text, "IOMMU CORE paths (unlocked by design, not "
				 "driver bugs)\n  device"));
	free(text);
}

/* K calls of of_dma_configure_id: exactly K violations, each form. */
static void test_nested_forms(void **state)
{
	static const enum nest_form forms[] = {NEST_FENTRY, NEST_KPROBE,
					       NEST_FEXIT};
	struct la_report r;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		build_nested(&r, forms[i], 0);
		assert_folded(&r, NEST_U, NEST_O);
		/* the model is not changed by writing */
		assert_int_equal(r.nr_sites, 8);
		assert_int_equal(r.sites[1].nr_nested, 0);
		report__free(&r);
	}
}

/* The sites in any order: the same report, byte for byte. */
static void test_nested_order(void **state)
{
	struct la_report r;
	char *want, *got, *want_t, *got_t;

	(void)state;
	build_nested(&r, NEST_FENTRY, 0);
	want = json_of(&r, true);
	want_t = text_of(&r);
	report__free(&r);
	for (int order = 1; order <= 2; order++) {
		build_nested(&r, NEST_FENTRY, order);
		got = json_of(&r, true);
		got_t = text_of(&r);
		report__free(&r);
		assert_true(same_text("JSON by order", want, got));
		assert_true(same_text("text by order", want_t, got_t));
		free(got);
		free(got_t);
	}
	free(want);
	free(want_t);
}

/* Folded, written and read back: the same report (and folded again, the
 * same: folding is idempotent). */
static void test_nested_roundtrip(void **state)
{
	struct fx *fx = *state;
	char *path = path_in(fx, "n.json");

	build_nested(&fx->r, NEST_FEXIT, 0);
	roundtrip(fx, &fx->r);
	assert_int_equal(report__save_json(&fx->r, path, false), 0);
	report__free(&fx->r);
	report__init(&fx->r);
	merge_ok(fx, &fx->r, "n.json");
	/* read back: two sites, each carrying its nested calls */
	assert_int_equal(fx->r.nr_sites, 2);
	assert_int_equal(fx->r.sites[0].nr_nested, 3);
	assert_folded(&fx->r, NEST_U, NEST_O);
	free(path);
}

static void save_nested(const struct fx *fx, const char *name,
			const char *started, int from, int to)
{
	char *path = path_in(fx, name);
	struct la_report r;
	int e;

	report__init(&r);
	set_meta(&r, "6.12.0-arm64", "armhost", started, 5.0);
	for (e = 0; e < 4; e++)
		set_hook(&r, nest_entry[e], "fentry", "", 0,
			 e >= from && e < to ? NEST_U : 0, 0);
	for (e = from; e < to; e++)
		nest_site(&r, NEST_FENTRY, e, LA_UNLOCKED, LA_UNL, NEST_U, 0);
	assert_int_equal(report__save_json(&r, path, false), 0);
	report__free(&r);
	free(path);
}

/*
 * Merging folds across inputs: the outer call in one report, the inner ones
 * in another (read as violations of their own there); and a chain folded in
 * part (of_iommu_configure holding its two inner calls) merged with the
 * outer call. Either way: NEST_U violations, the three inner entry points
 * under the outer one.
 */
static void test_nested_merge(void **state)
{
	struct fx *fx = *state;
	/* a: the outer call; b: the three inner ones, iommu_fwspec_init and
	 * iommu_probe_device written under of_iommu_configure; c: outer and
	 * two inner; d: iommu_probe_device alone */
	static const char *const pairs[][2] = {
		{"a.json", "b.json"}, {"b.json", "a.json"},
		{"c.json", "d.json"}, {"d.json", "c.json"},
		{"e.json", "f.json"}, /* both whole: the counts add up */
	};
	json_object *j, *s;
	char buf[256];

	save_nested(fx, "a.json", "2026-01-01T00:00:00Z", 0, 1);
	save_nested(fx, "b.json", "2026-01-02T00:00:00Z", 1, 4);
	save_nested(fx, "c.json", "2026-01-03T00:00:00Z", 0, 3);
	save_nested(fx, "d.json", "2026-01-04T00:00:00Z", 3, 4);
	save_nested(fx, "e.json", "2026-01-05T00:00:00Z", 0, 4);
	save_nested(fx, "f.json", "2026-01-06T00:00:00Z", 0, 4);
	/* b alone: NEST_U violations at of_iommu_configure */
	merge_ok(fx, &fx->r, "b.json");
	j = parsed(&fx->r);
	assert_int_equal(jnum(jkey(j, "totals"), "violations"), NEST_U);
	s = json_object_array_get_idx(
		jkey(json_object_array_get_idx(jkey(j, "drivers"), 0), "sites"),
		0);
	nested_str(s, buf, sizeof(buf));
	assert_string_equal(buf, "iommu_fwspec_init:3,iommu_probe_device:3");
	json_object_put(j);
	report__free(&fx->r);
	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		report__init(&fx->r);
		merge_ok(fx, &fx->r, pairs[i][0]);
		merge_ok(fx, &fx->r, pairs[i][1]);
		assert_folded(&fx->r, i == 4 ? 2 * NEST_U : NEST_U, 0);
		report__free(&fx->r);
	}
	report__init(&fx->r);
}

/*
 * Not folded: an inner call for another device, in another lock state, or
 * with the lock held (held sites stay as they are), or from other callers.
 */
static void test_nested_not_folded(void **state)
{
	struct la_report r;
	json_object *j, *t, *g;
	char buf[256];

	(void)state;
	build_nested(&r, NEST_FENTRY, 0);
	/* iommu_probe_device for la_test.7, unlocked, in a la_test call */
	nest_site(&r, NEST_FENTRY, 3, LA_UNLOCKED, LA_UNL, 1, 7);
	/* of_iommu_configure held by another, on la_test.0, below an
	 * unlocked la_call_unlocked call */
	nest_site(&r, NEST_FENTRY, 1, LA_HELD_OTHER, LA_UNL, 1, 0);
	/* held: of_dma_configure_id and of_iommu_configure inside it */
	nest_site(&r, NEST_FENTRY, 0, LA_HELD, LA_UNL, 4, 20);
	nest_site(&r, NEST_FENTRY, 1, LA_HELD, LA_UNL, 4, 20);
	/* of_iommu_configure from another caller of of_dma_configure_id */
	nest_site(&r, NEST_FENTRY, 1, LA_UNLOCKED,
		  "la_call_locked+0x2c [la_test]", 1, 0);
	report__hook(&r, "of_iommu_configure")->calls[LA_UNLOCKED] += 1;
	report__hook(&r, "of_iommu_configure")->calls[LA_HELD_OTHER] += 1;
	report__hook(&r, "of_iommu_configure")->calls[LA_HELD] += 4;
	report__hook(&r, "of_dma_configure_id")->calls[LA_HELD] += 4;
	report__hook(&r, "iommu_probe_device")->calls[LA_UNLOCKED] += 1;

	j = parsed(&r);
	t = jkey(j, "totals");
	/* the 5 outermost la_test calls and the three not folded */
	assert_int_equal(jnum(t, "violations"), NEST_U + NEST_O + 3);
	assert_int_equal(jnum(t, "nested"), 3 * (NEST_U + NEST_O));
	assert_int_equal(jnum(t, "held"), 8);
	g = json_object_array_get_idx(jkey(j, "drivers"), 0);
	assert_int_equal(jnum(g, "violations"), NEST_U + NEST_O + 3);
	assert_int_equal(json_object_array_length(jkey(g, "sites")), 5);
	/* held sites: both there, nothing nested */
	assert_int_equal(json_object_array_length(jkey(j, "held")), 2);
	for (size_t i = 0; i < 2; i++) {
		nested_str(json_object_array_get_idx(jkey(j, "held"), i), buf,
			   sizeof(buf));
		assert_string_equal(buf, "");
	}
	json_object_put(j);
	report__free(&r);
}

/* "nested" is read checked: held sites have none, counts are counts. */
/*
 * The JSON writer streams (one site, race or hook at a time): its bytes in
 * both forms are json-c's for the whole tree, as the tree writer gave them.
 * The goldens were written by that writer (0b5a519): the golden report
 * compact, and a merged report with nested calls, a race, runs and drops in
 * both forms.
 */
static void build_report_more(struct la_report *r)
{
	static const char *const run[2][3] = {
		{"armhost", "6.12.0-arm64", "2026-01-01T00:00:00Z"},
		{"otherhost", "6.12.1-arm64", "2026-01-02T00:00:00Z"},
	};

	build_nested(r, NEST_FENTRY, 1);
	add_test_race(r);
	add_test_race(r);
	r->races[1].count = 5;
	r->runs = calloc(2, sizeof(*r->runs));
	assert_non_null(r->runs);
	for (int i = 0; i < 2; i++)
		r->runs[i] =
			(struct la_run){xstrdup(run[i][0]), xstrdup(run[i][1]),
					xstrdup(run[i][2])};
	r->nr_runs = 2;
	/* a merged report's sites name the runs that saw them (the schema
	 * wants at least one): the first site run 0, the others both */
	for (size_t i = 0; i < r->nr_sites; i++) {
		struct la_rsite *st = &r->sites[i];

		st->ranges = calloc(1, sizeof(*st->ranges));
		assert_non_null(st->ranges);
		st->ranges[0] = (struct la_rrange){0, i ? 1 : 0};
		st->nr_ranges = st->cap_ranges = 1;
	}
	r->sources = 2;
	r->dropped_events = 7;
	r->dropped_names = 1;
}

static void test_golden_json_forms(void **state)
{
	static const struct {
		void (*build)(struct la_report *r);
		bool pretty;
		const char *golden;
	} c[] = {
		{build_report, false, "report.golden.compact.json"},
		{build_report_more, true, "report.more.golden.json"},
		{build_report_more, false, "report.more.golden.compact.json"},
	};
	struct la_report r;
	char *got;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		c[i].build(&r);
		got = json_of(&r, c[i].pretty);
		check_golden(c[i].golden, got);
		free(got);
		report__free(&r);
	}
}

/* a write error in the middle of the stream (the report is larger than
 * stdio's buffer) is the writer's result, in both forms */
static void test_json_write_error(void **state)
{
	struct la_report r;
	FILE *f;

	(void)state;
	if (access("/dev/full", W_OK))
		skip();
	build_report_more(&r);
	for (int pretty = 0; pretty < 2; pretty++) {
		f = fopen("/dev/full", "we");
		assert_non_null(f);
		assert_int_equal(report__write_json(&r, f, pretty), -ENOSPC);
		fclose(f);
	}
	report__free(&r);
}

static void test_nested_bad_input(void **state)
{
	static const struct {
		const char *nested, *state, *want;
	} cases[] = {
		{"[{\"entry_point\":\"x\",\"count\":1}]", "held",
		 "held site with 'nested'"},
		{"[{\"entry_point\":\"x\",\"count\":-1}]", "unlocked",
		 "negative count in 'count'"},
		{"[{\"entry_point\":\"\",\"count\":1}]", "unlocked",
		 "empty string in 'entry_point'"},
		{"[{\"count\":1}]", "unlocked", "missing field 'entry_point'"},
		{"{}", "unlocked", "wrong type for field 'nested'"},
		{"[1]", "unlocked", "wrong type for an item of 'nested'"},
	};
	struct fx *fx = *state;
	char *path = path_in(fx, "bad.json"), doc[2048];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(doc, sizeof(doc),
			 "{\"schema\":\"lockaudit.report/1\",\"kernel\":\"k\","
			 "\"arch\":\"a\",\"hostname\":\"h\",\"started\":\"s\","
			 "\"duration_s\":1,\"sources\":1,\"hooks\":[],"
			 "\"totals\":{\"dropped\":{\"sites\":0,\"events\":0,"
			 "\"stack_errors\":0,\"concurrent\":0}},"
			 "\"concurrent\":[],\"drivers\":[],\"core\":[],"
			 "\"unclassified\":[{\"entry_point\":\"e\","
			 "\"lock_state\":\"%s\",\"count\":1,"
			 "\"first_seen_s\":0,\"last_seen_s\":0,"
			 "\"registered\":true,\"iommu_probe_device_lock\":"
			 "\"absent\",\"devices\":[],\"stack\":[],"
			 "\"stack_truncated\":false,\"nested\":%s}],"
			 "\"held\":[]}",
			 cases[i].state, cases[i].nested);
		write_all(path, doc);
		report__init(&fx->r);
		fx->err[0] = 0;
		assert_int_equal(report__merge_file(&fx->r, path, fx->err,
						    sizeof(fx->err)),
				 -EINVAL);
		if (!strstr(fx->err, cases[i].want))
			fail_msg("case %zu: '%s' does not say '%s'", i, fx->err,
				 cases[i].want);
		report__free(&fx->r);
	}
	report__init(&fx->r);
	free(path);
}

#define T(fn)  cmocka_unit_test(fn)
#define TD(fn) cmocka_unit_test_setup_teardown(fn, setup_dir, teardown_dir)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_build_attribution),
		T(test_golden_json),
		T(test_golden_text),
		T(test_golden_json_forms),
		T(test_json_write_error),
		T(test_writers_keep_order),
		TD(test_roundtrip),
		TD(test_roundtrip_no_absent_reason),
		TD(test_merge_two),
		TD(test_drops_summed_and_said),
		TD(test_merge_order),
		TD(test_merge_same_run_twice),
		TD(test_merge_merged_report),
		TD(test_merge_keeps_absent_hook_reason),
		TD(test_merge_recomputes_severity),
		TD(test_merge_registered_is_identity),
		TD(test_merge_empty_name_terminates),
		T(test_merge_identity),
		T(test_merge_races_hooks),
		T(test_sort_ties_stable),
		T(test_merge_sort_scale),
		T(test_live_tick_scale),
		TD(test_error_missing_file),
		TD(test_error_not_json),
		TD(test_error_directory),
		TD(test_error_wrong_schema),
		TD(test_error_missing_field),
		TD(test_error_wrong_type),
		TD(test_error_negative_count),
		TD(test_error_short_buffer),
		TD(test_error_not_regular_file),
		TD(test_error_strict_json),
		TD(test_error_duplicate_field),
		TD(test_error_walk),
		TD(test_error_nesting),
		TD(test_merge_memory),
		TD(test_error_numbers),
		TD(test_error_every_field),
		TD(test_roundtrip_race),
		TD(test_counts_near_max),
		TD(test_attribution_not_trusted),
		T(test_text_escapes_names),
		T(test_core_racing_holder),
		T(test_exported_escapes),
		TD(test_json_writes_utf8),
		TD(test_save),
		TD(test_save_no_dir),
		TD(test_save_onto_directory),
		T(test_state_names),
		T(test_add_dev_cap),
		T(test_nested_forms),
		T(test_nested_order),
		TD(test_nested_roundtrip),
		TD(test_nested_merge),
		T(test_nested_not_folded),
		TD(test_nested_bad_input),
		/* last: UBSan aborts the binary on these for now */
		T(test_write_empty_report),
		TD(test_roundtrip_empty),
	};

	return cmocka_run_group_tests_name("report", tests, NULL, NULL);
}
