// SPDX-License-Identifier: GPL-2.0
/*
 * test_misses.c - what the kernel skipped: misses.c against a fake kernel
 * (its BPF syscalls through struct la_misses_ops: link and program infos
 * as 6.1, 6.6 and 6.7+ kernels return them, pinned links by id), and the
 * report side: per-hook missed in JSON (null when unknown), totals, text
 * DROPPED and COVERAGE lines, merging, the live line and metrics.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hooks.h"
#include "live.h"
#include "lockaudit.h"
#include "metrics.h"
#include "misses.h"
#include "pin.h"
#include "report.h"

/* ---- a fake kernel ------------------------------------------------- */

/* fds 100+i are links[i], 200+i progs[i]; ids are 10+i and 50+i */
#define LINK_FD(i) (100 + (i))
#define PROG_FD(i) (200 + (i))

struct fake_link {
	__u32 type, prog, pe_type; /* link type, prog index, perf type */
	__u32 info_len;		   /* what the kernel's struct holds */
	__u64 kp_missed;
};
struct fake_prog {
	char name[16];
	__u32 info_len;
	__u64 misses;
};

static struct {
	struct fake_link link[4];
	struct fake_prog prog[4];
	size_t nr_links;
	struct la_meta meta;
	int meta_err;
	int opened, closed; /* fds made and closed by misses.c */
} K;

static void put(void *info, __u32 *len, const void *full, __u32 klen)
{
	/* as bpf_*_get_info_by_fd: min(user, kernel) bytes, len updated */
	__u32 n = *len < klen ? *len : klen;

	memcpy(info, full, n);
	*len = n;
}

static int fake_info(int fd, void *info, __u32 *len)
{
	if (fd >= LINK_FD(0) && fd < LINK_FD((int)K.nr_links)) {
		const struct fake_link *l = &K.link[fd - LINK_FD(0)];
		unsigned char full[64] = {0};
		__u32 v[3] = {l->type, 10 + (__u32)(fd - LINK_FD(0)),
			      50 + l->prog};

		memcpy(full, v, sizeof(v));
		memcpy(full + 16, &l->pe_type, 4);
		memcpy(full + 48, &l->kp_missed, 8);
		put(info, len, full, l->info_len);
		return 0;
	}
	if (fd >= PROG_FD(0) && fd < PROG_FD(4)) {
		const struct fake_prog *p = &K.prog[fd - PROG_FD(0)];
		struct bpf_prog_info pi;

		memset(&pi, 0, sizeof(pi));
		memcpy(pi.name, p->name, sizeof(pi.name));
		pi.recursion_misses = p->misses;
		put(info, len, &pi, p->info_len);
		return 0;
	}
	return -EBADF;
}

static int fake_link_fd(__u32 id)
{
	if (id < 10 || id >= 10 + K.nr_links)
		return -ENOENT;
	K.opened++;
	return LINK_FD((int)id - 10);
}

static int fake_prog_fd(__u32 id)
{
	if (id < 50 || id >= 54)
		return -ENOENT;
	K.opened++;
	return PROG_FD((int)id - 50);
}

static int fake_meta(int map_fd, struct la_meta *meta)
{
	assert_int_equal(map_fd, 77);
	if (K.meta_err)
		return K.meta_err;
	*meta = K.meta;
	return 0;
}

static void fake_close(int fd)
{
	assert_true(fd >= LINK_FD(0));
	K.closed++;
}

static const struct la_misses_ops fake = {
	.obj_info = fake_info,
	.link_fd_by_id = fake_link_fd,
	.prog_fd_by_id = fake_prog_fd,
	.meta = fake_meta,
	.close = fake_close,
};

#define INFO_61 48u  /* sizeof(struct bpf_link_info), 6.1 to 6.6 */
#define INFO_67 56u  /* 6.7: perf_event.kprobe.missed */
#define PROG_61 232u /* sizeof(struct bpf_prog_info), 6.1 */

static void kernel(void)
{
	memset(&K, 0, sizeof(K));
	for (int i = 0; i < 4; i++) {
		snprintf(K.prog[i].name, sizeof(K.prog[i].name), "la_fentry_%d",
			 i);
		K.prog[i].info_len = PROG_61;
	}
}

static void set_link(size_t i, __u32 type, __u32 prog, __u32 pe_type,
		     __u32 info_len, __u64 kp_missed)
{
	K.link[i] =
		(struct fake_link){type, prog, pe_type, info_len, kp_missed};
	if (i + 1 > K.nr_links)
		K.nr_links = i + 1;
}

/* ---- misses__link -------------------------------------------------- */

/* fentry (a tracing link): the program's recursion_misses, on any kernel
 * that has the field (5.12+) */
static void test_fentry_counts(void **state)
{
	(void)state;
	kernel();
	set_link(0, 2 /* TRACING */, 1, 0, INFO_61, 0);
	K.prog[1].misses = 3;
	assert_int_equal(misses__link(&fake, LINK_FD(0), 0), 3);
	/* the program fd it opened was closed, not the link it was given */
	assert_int_equal(K.opened, 1);
	assert_int_equal(K.closed, 1);
	/* a kernel whose prog info ends before recursion_misses: unknown */
	K.prog[1].info_len = offsetof(struct bpf_prog_info, recursion_misses);
	assert_true(misses__link(&fake, LINK_FD(0), 0) == LA_UNKNOWN);
}

/* kprobe (a perf link): 6.7+ counts the program's skips and the kprobe's;
 * 6.1..6.6 neither: unknown, never 0 */
static void test_kprobe_by_kernel(void **state)
{
	(void)state;
	kernel();
	set_link(0, 7 /* PERF_EVENT */, 2, 3 /* KPROBE */, INFO_67, 4);
	K.prog[2].misses = 3;
	assert_int_equal(misses__link(&fake, LINK_FD(0), 0), 7);
	set_link(1, 7, 2, 4 /* KRETPROBE */, INFO_67, 0);
	assert_int_equal(misses__link(&fake, LINK_FD(1), 0), 3);
	/* 6.6: perf link info but no missed; 6.1: no perf info at all */
	set_link(0, 7, 2, 3, INFO_61, 0);
	assert_true(misses__link(&fake, LINK_FD(0), 0) == LA_UNKNOWN);
	set_link(0, 7, 2, 0, INFO_61, 0);
	assert_true(misses__link(&fake, LINK_FD(0), 0) == LA_UNKNOWN);
	/* saturated, never past LA_COUNT_MAX */
	set_link(0, 7, 2, 3, INFO_67, UINT64_MAX - 1);
	assert_true(misses__link(&fake, LINK_FD(0), 0) == LA_COUNT_MAX);
}

/* what is not lockaudit's, or cannot be read, is unknown */
static void test_not_ours_unknown(void **state)
{
	(void)state;
	kernel();
	set_link(0, 2, 1, 0, INFO_61, 0);
	snprintf(K.prog[1].name, sizeof(K.prog[1].name), "other_prog");
	assert_true(misses__link(&fake, LINK_FD(0), 0) == LA_UNKNOWN);
	set_link(1, 7, 2, 5 /* TRACEPOINT */, INFO_67, 0);
	assert_true(misses__link(&fake, LINK_FD(1), 0) == LA_UNKNOWN);
	set_link(2, 1 /* RAW_TRACEPOINT */, 2, 0, INFO_67, 0);
	assert_true(misses__link(&fake, LINK_FD(2), 0) == LA_UNKNOWN);
	assert_true(misses__link(&fake, 999, 0) == LA_UNKNOWN); /* EBADF */
	set_link(3, 2, 3, 0, INFO_61, 0);
	K.link[3].prog = 9; /* a program id that is gone */
	assert_true(misses__link(&fake, LINK_FD(3), 0) == LA_UNKNOWN);
}

/* a pinned link by id: opened, checked to be that id, closed */
static void test_by_id(void **state)
{
	(void)state;
	kernel();
	set_link(0, 7, 0, 3, INFO_67, 1);
	set_link(1, 2, 1, 0, INFO_61, 0);
	K.prog[0].misses = 5;
	K.prog[1].misses = 2;
	assert_int_equal(misses__link(&fake, -1, 10), 6);
	assert_int_equal(misses__link(&fake, -1, 11), 2);
	assert_int_equal(K.opened, 4);
	assert_int_equal(K.closed, 4);
	assert_true(misses__link(&fake, -1, 12) == LA_UNKNOWN); /* gone */
	assert_true(misses__link(&fake, -1, 0) == LA_UNKNOWN);
	assert_int_equal(K.opened, K.closed);
}

/* ---- misses__read: every hook, adopted from pins ------------------- */

static void adopted(struct la_hooks *h, size_t nr)
{
	memset(h, 0, sizeof(*h));
	memset(&h->maps, -1, sizeof(h->maps));
	h->adopted = true;
	h->maps.meta = 77;
	h->nr = nr;
}

static void test_read_adopted(void **state)
{
	struct la_hooks h;
	uint64_t m[LA_MAX_HOOKS][2];

	(void)state;
	kernel();
	set_link(0, 2, 0, 0, INFO_61, 0); /* hook 0: fentry + fexit */
	set_link(1, 2, 1, 0, INFO_61, 0);
	set_link(2, 7, 2, 3, INFO_61, 0); /* hook 1: kprobe on 6.1 */
	K.prog[0].misses = 4;
	K.prog[1].misses = 1;
	K.prog[2].misses = 0;
	*pin__link_id(&K.meta, 0, false) = 10;
	*pin__link_id(&K.meta, 0, true) = 11;
	*pin__link_id(&K.meta, 1, false) = 12;
	adopted(&h, 3);
	h.hook[0].attached = LA_ATTACHED_FENTRY;
	h.hook[1].attached = LA_ATTACHED_KPROBE;
	h.hook[2].attached = LA_ATTACHED_NONE; /* absent: no program */
	misses__read(&fake, &h, m);
	assert_int_equal(m[0][0], 4);
	assert_int_equal(m[0][1], 1);
	assert_true(m[1][0] == LA_UNKNOWN); /* 6.1 kprobe */
	assert_int_equal(m[1][1], 0);	    /* no exit hooked */
	assert_int_equal(m[2][0], 0);
	assert_int_equal(m[2][1], 0);
	assert_int_equal(K.opened, K.closed);

	/* meta unreadable: every attached hook unknown, absent ones 0 */
	K.meta_err = -EPERM;
	misses__read(&fake, &h, m);
	assert_true(m[0][0] == LA_UNKNOWN && m[0][1] == LA_UNKNOWN);
	assert_true(m[1][0] == LA_UNKNOWN);
	assert_int_equal(m[2][0], 0);
}

/* ---- the report side ---------------------------------------------- */

static struct la_rhook *hook(struct la_report *r, const char *f,
			     const char *attach, uint64_t unl, uint64_t missed,
			     uint64_t missed_exit)
{
	struct la_rhook *h = report__hook(r, f);

	free(h->attach);
	h->attach = strdup(attach);
	assert_non_null(h->attach);
	h->calls[LA_UNLOCKED] = unl;
	h->missed = missed;
	h->missed_exit = missed_exit;
	return h;
}

static void meta(struct la_report *r, const char *host)
{
	r->kernel = strdup("7.3.4+deb13-rt-amd64");
	r->arch = strdup("x86_64");
	r->hostname = strdup(host);
	r->started = strdup("2026-11-25T10:00:00Z");
	r->sources = 1;
}

static char *text_of(const struct la_report *r, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	assert_non_null(m);
	if (json)
		assert_int_equal(report__write_json(r, m, false), 0);
	else
		assert_int_equal(report__write_text(r, m), 0);
	fclose(m);
	return buf;
}

static void has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("missing '%s' in:\n%s", needle, hay);
}

static void test_sum(void **state)
{
	struct la_report r;

	(void)state;
	report__init(&r);
	hook(&r, "a", "kprobe", 3, 3, 1);
	hook(&r, "b", "fentry", 0, 2, 0);
	hook(&r, "c", "absent", 0, 0, 0);
	report__sum_missed(&r);
	assert_int_equal(r.dropped_missed, 5);
	assert_int_equal(r.dropped_missed_exit, 1);
	/* an absent hook's unknown does not count; an attached one's does */
	report__hook(&r, "c")->missed = LA_UNKNOWN;
	report__sum_missed(&r);
	assert_int_equal(r.dropped_missed, 5);
	report__hook(&r, "b")->missed = LA_UNKNOWN;
	report__sum_missed(&r);
	assert_true(r.dropped_missed == LA_UNKNOWN);
	assert_int_equal(r.dropped_missed_exit, 1);
	report__free(&r);
}

/* the CI run this is for: 6 calls, 3 counted, 3 skipped by the kernel */
static void test_written_and_said(void **state)
{
	struct la_report r;
	char *j, *t, line[512];
	struct la_live *l;
	FILE *m;
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	report__init(&r);
	meta(&r, "rt");
	hook(&r, "acpi_dma_configure_id", "kprobe", 3, 3, 0);
	hook(&r, "iommu_probe_device", "kprobe", 0, LA_UNKNOWN, 0);
	report__sum_missed(&r);
	j = text_of(&r, true);
	has(j, "\"calls\":{\"held\":0,\"unlocked\":3,\"held_by_other\":0,"
	       "\"read_held\":0},\"missed\":3,\"missed_exit\":0}");
	has(j, "\"calls\":{\"held\":0,\"unlocked\":0,\"held_by_other\":0,"
	       "\"read_held\":0},\"missed\":null,\"missed_exit\":0}");
	has(j, "\"paths\":0,\"missed\":null,\"missed_exit\":0}");
	free(j);
	t = text_of(&r, false);
	has(t, "DROPPED: an unknown number of calls the kernel did not let a "
	       "program run (another BPF program, or the same one, was running "
	       "on that CPU): in "
	       "no count above; this kernel does not count them for some hooks "
	       "(COVERAGE says which)\n");
	snprintf(line, sizeof(line),
		 "  acpi_dma_configure_id    kprobe           3          0"
		 "          3          0\n  %-24s %-7s missed 3 calls its "
		 "program did not run for (in no count)\n",
		 "", "");
	has(t, line);
	has(t, "missed: unknown (this kernel does not count the calls it "
	       "skips)\n");
	free(t);

	/* counted everywhere: a number */
	report__hook(&r, "iommu_probe_device")->missed = 0;
	report__sum_missed(&r);
	t = text_of(&r, false);
	has(t, "DROPPED: 3 calls the kernel did not let a program run "
	       "(another BPF program, or the same one, was running on that "
	       "CPU): in no count "
	       "above\n");
	assert_null(strstr(t, "unknown"));
	free(t);

	/* the progress line */
	m = open_memstream(&buf, &len);
	assert_non_null(m);
	l = live__new(m, false);
	assert_non_null(l);
	live__frame(l, &r, 10.0);
	report__hook(&r, "iommu_probe_device")->missed = LA_UNKNOWN;
	report__sum_missed(&r);
	live__frame(l, &r, 20.0);
	live__free(l);
	fclose(m);
	has(buf, "dropped: missed 3\n");
	has(buf, "dropped: missed unknown\n");
	free(buf);
	report__free(&r);
}

static void test_metrics(void **state)
{
	struct la_metrics_opts o = {.max_sites = 10};
	struct la_report r;
	size_t len;
	char *t;

	(void)state;
	report__init(&r);
	meta(&r, "m");
	hook(&r, "acpi_dma_configure_id", "fentry", 1, 2, 1);
	report__sum_missed(&r);
	t = metrics__text(&r, &o, &len);
	assert_non_null(t);
	has(t, "lockaudit_dropped_total{kind=\"missed\"} 2\n");
	has(t, "lockaudit_dropped_total{kind=\"missed_exit\"} 1\n");
	free(t);
	/* unknown: no sample, never 0 */
	report__hook(&r, "acpi_dma_configure_id")->missed = LA_UNKNOWN;
	report__sum_missed(&r);
	t = metrics__text(&r, &o, &len);
	assert_non_null(t);
	assert_null(strstr(t, "kind=\"missed\""));
	has(t, "lockaudit_dropped_total{kind=\"missed_exit\"} 1\n");
	free(t);
	report__free(&r);
}

static char *save(struct la_report *r, const char *name)
{
	static char path[4][64];
	static int n;
	char *p = path[n++ % 4];
	FILE *f;
	char *j = text_of(r, true);

	snprintf(p, sizeof(path[0]), "/tmp/la_misses_%d_%s", (int)getpid(),
		 name);
	f = fopen(p, "we");
	assert_non_null(f);
	assert_true(fputs(j, f) >= 0);
	assert_int_equal(fclose(f), 0);
	free(j);
	report__free(r);
	return p;
}

static void merge(struct la_report *r, const char *path)
{
	char err[256] = "";

	if (report__merge_file(r, path, err, sizeof(err)))
		fail_msg("%s", err);
}

static const char *edited(const char *path, const char *from, const char *to)
{
	static char out[80], buf[8192];
	FILE *f = fopen(path, "re");
	size_t n;
	char *at;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	at = strstr(buf, from);
	assert_non_null(at);
	snprintf(out, sizeof(out), "%s.edited", path);
	f = fopen(out, "we");
	assert_non_null(f);
	fprintf(f, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
	assert_int_equal(fclose(f), 0);
	return out;
}

/* merged: summed per hook and in totals; unknown in, unknown out */
static void test_merge(void **state)
{
	struct la_report r;
	const char *a, *b, *c, *e;
	char err[256];

	(void)state;
	report__init(&r);
	meta(&r, "a");
	hook(&r, "acpi_dma_configure_id", "kprobe", 3, 3, 1);
	hook(&r, "iommu_probe_device", "absent", 0, 0, 0);
	report__sum_missed(&r);
	a = save(&r, "a.json");
	report__init(&r);
	meta(&r, "b");
	hook(&r, "acpi_dma_configure_id", "fentry", 6, 4, 0);
	hook(&r, "iommu_probe_device", "fentry", 2, 5, 2);
	report__sum_missed(&r);
	b = save(&r, "b.json");
	report__init(&r);
	meta(&r, "c");
	hook(&r, "acpi_dma_configure_id", "kprobe", 6, LA_UNKNOWN, 0);
	report__sum_missed(&r);
	c = save(&r, "c.json");

	report__init(&r);
	merge(&r, a);
	merge(&r, b);
	assert_int_equal(report__hook(&r, "acpi_dma_configure_id")->missed, 7);
	assert_int_equal(report__hook(&r, "acpi_dma_configure_id")->missed_exit,
			 1);
	assert_int_equal(report__hook(&r, "iommu_probe_device")->missed, 5);
	assert_int_equal(r.dropped_missed, 12);
	assert_int_equal(r.dropped_missed_exit, 3);
	merge(&r, c);
	assert_true(report__hook(&r, "acpi_dma_configure_id")->missed ==
		    LA_UNKNOWN);
	assert_int_equal(report__hook(&r, "iommu_probe_device")->missed, 5);
	assert_true(r.dropped_missed == LA_UNKNOWN);
	assert_int_equal(r.dropped_missed_exit, 3);
	report__free(&r);

	/* a report without the fields (written before lockaudit read them):
	 * unknown, not 0 */
	e = edited(b, ",\"missed\":4,\"missed_exit\":0", "");
	report__init(&r);
	merge(&r, e);
	assert_true(report__hook(&r, "acpi_dma_configure_id")->missed ==
		    LA_UNKNOWN);
	assert_int_equal(report__hook(&r, "iommu_probe_device")->missed, 5);
	report__free(&r);
	e = edited(b, ",\"missed\":9,\"missed_exit\":2}}", "}}");
	report__init(&r);
	merge(&r, e);
	assert_true(r.dropped_missed == LA_UNKNOWN &&
		    r.dropped_missed_exit == LA_UNKNOWN);
	report__free(&r);

	/* refused: not a count */
	e = edited(b, "\"missed\":4", "\"missed\":\"4\"");
	report__init(&r);
	assert_int_equal(report__merge_file(&r, e, err, sizeof(err)), -EINVAL);
	has(err, "wrong type for field 'missed'");
	report__free(&r);
	e = edited(b, "\"missed\":4", "\"missed\":-1");
	report__init(&r);
	assert_int_equal(report__merge_file(&r, e, err, sizeof(err)), -EINVAL);
	has(err, "negative count in 'missed'");
	report__free(&r);
	/* a sum past 2^64-2 is refused, not wrapped nor taken as unknown */
	e = edited(b, "\"missed\":4", "\"missed\":18446744073709551614");
	report__init(&r);
	merge(&r, e);
	assert_int_equal(report__merge_file(&r, a, err, sizeof(err)), -EINVAL);
	has(err, "merged sum above 2^64-2 of 'missed'");
	report__free(&r);
	unlink(a);
	unlink(b);
	unlink(c);
	unlink(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fentry_counts),
		cmocka_unit_test(test_kprobe_by_kernel),
		cmocka_unit_test(test_not_ours_unknown),
		cmocka_unit_test(test_by_id),
		cmocka_unit_test(test_read_adopted),
		cmocka_unit_test(test_sum),
		cmocka_unit_test(test_written_and_said),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_merge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
