// SPDX-License-Identifier: GPL-2.0
/*
 * test_collect.c - one aggregation-map entry (struct la_key + la_site, as
 * the BPF programs leave them) into the report model: symbolization,
 * attribution, facts, holder, example devices, exact counts; and that
 * unterminated kernel strings never overrun.
 */
#include <errno.h>
#include <linux/types.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cmocka.h>

#include "collect.h"
#include "collect_int.h"
#include "hooks.h"
#include "ksyms.h"
#include "lockaudit.h"
#include "report.h"
#include "symfresh.h"

/* addresses from tests/unit/data/kallsyms.txt */
#define A_ACPI_DMA	  0xffffffff8103c2b0ULL
#define A_PCI_DMA	  0xffffffff8103c3a0ULL
#define A_REALLY_PROBE	  0xffffffff8103c4d0ULL
#define A_IOMMU_PROBE	  0xffffffff8103d000ULL
#define A_BUS_NOTIFIER	  0xffffffff8103d1a0ULL
#define A_DEVICE_ADD	  0xffffffff8103d400ULL
#define A_DO_ONE_INITCALL 0xffffffff81001e20ULL
#define A_BPF_PROG	  0xffffffffc0201000ULL
#define A_BPF_TRAMP	  0xffffffffc0203000ULL
#define A_LA_CALL	  0xffffffffc0a00000ULL
#define A_LA_INIT	  0xffffffffc0a00100ULL

/* a built-in rule's hook for func (device_lock_assert(dev), the device's
 * mutex), as ruleset.c makes it */
static const struct la_hook_def *D(const char *func)
{
	static struct la_hook_def d[4];
	static unsigned int next;
	struct la_hook_def *p = &d[next++ % 4];

	memset(p, 0, sizeof(*p));
	snprintf(p->func, sizeof(p->func), "%s", func);
	snprintf(p->rule, sizeof(p->rule), "device_lock_assert(dev)");
	snprintf(p->src, sizeof(p->src), "<built-in>/iommu.rules:9");
	p->lock = LA_LOCK_DEV_MUTEX;
	return p;
}

static struct ksyms *ks;

/* tests/unit/data/kallsyms.txt (LA_TESTDATA names the directory) */
static struct ksyms *load_test_ksyms(void)
{
	const char *dir = getenv("LA_TESTDATA");
	char path[512];

	snprintf(path, sizeof(path), "%s/kallsyms.txt",
		 dir && dir[0] ? dir : "tests/unit/data");
	return ksyms__load(path);
}

static int setup(void **state)
{
	(void)state;
	ks = load_test_ksyms();
	return ks ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	ksyms__free(ks);
	return 0;
}

static void set_stack(struct la_key *k, const __u64 *ips, size_t n)
{
	memcpy(k->ips, ips, n * sizeof(*ips));
	k->nr_ips = (__u32)n;
}

static void test_driver_site_fentry(void **state)
{
	static const __u64 ips[] = {A_BPF_PROG + 0x5e, A_BPF_TRAMP + 0x4f,
				    A_LA_CALL + 0x25, A_LA_INIT + 0x83,
				    A_DO_ONE_INITCALL + 0x59};
	struct la_key k = {
		.hook = 1, .state = LA_UNLOCKED, .flags = LA_F_REGISTERED};
	struct la_site v = {.count = 1000000,
			    .first_ns = 5000000000ULL,
			    .last_ns = 7500000000ULL,
			    .nr_devs = 1};
	struct la_report r;
	struct la_rsite *s;

	(void)state;
	set_stack(&k, ips, 5);
	v.devs[0].ptr = 0xffff888001234000ULL;
	strcpy(v.devs[0].name, "la_test");
	strcpy(v.devs[0].bus, "platform");
	v.devs[0].registered = 1;
	report__init(&r);
	collect__site_to_report(ks, D("acpi_dma_configure_id"), true, &k, &v,
				&r);
	assert_int_equal(r.nr_sites, 1);
	s = &r.sites[0];
	assert_string_equal(s->entry, "acpi_dma_configure_id");
	assert_int_equal(s->state, LA_UNLOCKED);
	assert_true(s->count == 1000000);
	assert_true(s->first_s == 5.0 && s->last_s == 7.5);
	assert_int_equal(s->group, LA_GROUP_DRIVER);
	assert_string_equal(s->module, "la_test");
	assert_string_equal(s->function, "la_call_unlocked");
	assert_string_equal(s->caller, "la_call_unlocked+0x25 [la_test]");
	/* BPF frames are not part of the reported stack */
	assert_int_equal(s->nr_frames, 3);
	assert_string_equal(s->frames[0], "la_call_unlocked+0x25 [la_test]");
	assert_false(s->truncated);
	assert_true(s->registered);
	assert_int_equal(s->probe_lock, 0);
	assert_int_equal(s->severity, LA_SEV_HIGH);
	assert_int_equal(s->nr_devs, 1);
	assert_string_equal(s->devs[0].name, "la_test");
	assert_string_equal(s->devs[0].bus, "platform");
	assert_string_equal(s->devs[0].driver, "");
	report__free(&r);
}

static void test_core_site_kprobe_probe_lock(void **state)
{
	static const __u64 ips[] = {A_IOMMU_PROBE + 0x4, A_BUS_NOTIFIER + 0x32,
				    A_DEVICE_ADD + 0x3e6};
	struct la_key k = {.hook = 4,
			   .state = LA_UNLOCKED,
			   .flags = LA_F_KPROBE | LA_F_PROBE_LOCK};
	struct la_site v = {.count = 3, .last_ns = 1000};
	struct la_report r;

	(void)state;
	set_stack(&k, ips, 3);
	report__init(&r);
	collect__site_to_report(ks, D("iommu_probe_device"), true, &k, &v, &r);
	assert_int_equal(r.nr_sites, 1);
	assert_int_equal(r.sites[0].group, LA_GROUP_CORE);
	assert_string_equal(r.sites[0].core_path,
			    "device add (iommu_bus_notifier)");
	assert_int_equal(r.sites[0].probe_lock, 1);
	assert_int_equal(r.sites[0].severity, LA_SEV_INFO);
	/* first_ns not yet written by the creating CPU: last_ns stands in */
	assert_true(r.sites[0].first_s == r.sites[0].last_s);
	assert_int_equal(r.sites[0].nr_devs, 0);
	report__free(&r);
}

static void test_held_other_unterminated_strings(void **state)
{
	static const __u64 ips[] = {A_ACPI_DMA + 0x5, A_PCI_DMA + 0x91,
				    A_REALLY_PROBE + 0x7f};
	struct la_key k = {.hook = 1, .state = LA_HELD_OTHER};
	struct la_site v = {.count = 2, .holder_pid = 77};
	struct la_report r;
	struct la_rsite *s;

	(void)state;
	set_stack(&k, ips, 3);
	/* the kernel left no terminating NUL anywhere */
	memset(v.holder_comm, 'h', sizeof(v.holder_comm));
	v.devs[0].ptr = 1;
	memset(v.devs[0].name, 'n', sizeof(v.devs[0].name));
	memset(v.devs[0].bus, 'b', sizeof(v.devs[0].bus));
	memset(v.devs[0].driver, 'd', sizeof(v.devs[0].driver));
	v.devs[1].ptr = 2; /* claimed, name not yet read: "?" */
	report__init(&r);
	collect__site_to_report(ks, D("acpi_dma_configure_id"), false, &k, &v,
				&r);
	s = &r.sites[0];
	assert_int_equal(s->holder_pid, 77);
	assert_int_equal(strlen(s->holder_comm), LA_COMM_LEN);
	assert_int_equal(s->nr_devs, 2);
	assert_int_equal(strlen(s->devs[0].name), LA_NAME_LEN);
	assert_int_equal(strlen(s->devs[0].bus), LA_BUS_LEN);
	assert_int_equal(strlen(s->devs[0].driver), LA_NAME_LEN);
	assert_string_equal(s->devs[1].name, "?");
	/* only generic frames above the entry point: cannot name a culprit */
	assert_int_equal(s->group, LA_GROUP_UNCLASSIFIED);
	assert_int_equal(s->probe_lock, -1);
	assert_int_equal(s->severity, LA_SEV_LOW); /* not registered */
	report__free(&r);
}

static void test_truncated_and_bad_state(void **state)
{
	struct la_key k = {.hook = 0, .state = LA_HELD};
	struct la_site v = {.count = 1};
	struct la_report r;
	size_t i;

	(void)state;
	for (i = 0; i < LA_MAX_STACK; i++)
		k.ips[i] = A_DO_ONE_INITCALL + i;
	k.nr_ips = 1000; /* corrupt: more than fit */
	report__init(&r);
	collect__site_to_report(ks, D("of_dma_configure_id"), false, &k, &v,
				&r);
	assert_int_equal(r.nr_sites, 1);
	assert_int_equal(r.sites[0].nr_frames, LA_MAX_STACK);
	assert_true(r.sites[0].truncated);
	assert_int_equal(r.sites[0].severity, LA_SEV_NONE);
	k.state = LA_NR_STATES; /* not a state: ignored */
	collect__site_to_report(ks, D("of_dma_configure_id"), false, &k, &v,
				&r);
	assert_int_equal(r.nr_sites, 1);
	report__free(&r);
}

/* fexit on a nested watched function leaves its trampoline mid-stack */
static void test_trampoline_mid_stack(void **state)
{
	static const __u64 ips[] = {A_BPF_PROG + 0x5e,	A_BPF_TRAMP + 0x4f,
				    A_ACPI_DMA + 0x5,	A_PCI_DMA + 0x91,
				    A_BPF_TRAMP + 0x40, A_PCI_DMA + 0x8,
				    A_LA_CALL + 0x25,	A_LA_INIT + 0x83};
	struct la_key k = {
		.hook = 1, .state = LA_UNLOCKED, .flags = LA_F_REGISTERED};
	struct la_site v = {.count = 2, .last_ns = 1};
	struct la_report r;
	size_t i;

	(void)state;
	set_stack(&k, ips, 8);
	report__init(&r);
	collect__site_to_report(ks, D("acpi_dma_configure_id"), true, &k, &v,
				&r);
	assert_int_equal(r.sites[0].group, LA_GROUP_DRIVER);
	assert_string_equal(r.sites[0].function, "la_call_unlocked");
	/* no [bpf] frame anywhere in what the report shows */
	assert_int_equal(r.sites[0].nr_frames, 5);
	for (i = 0; i < r.sites[0].nr_frames; i++)
		assert_null(strstr(r.sites[0].frames[i], "[bpf]"));
	report__free(&r);
}

/* Calls counted at their caller alone go into the site they were entered
 * from: one site, exact total, by_caller says how many; devices merged. */
static void test_caller_merges_into_site(void **state)
{
	static const __u64 ips[] = {A_ACPI_DMA + 0x9, A_LA_CALL + 0x25,
				    A_LA_INIT + 0x83, A_DO_ONE_INITCALL + 0x59};
	struct la_key k = {
		.hook = 0, .state = LA_UNLOCKED, .flags = LA_F_REGISTERED};
	struct la_site v = {.count = 1,
			    .first_ns = 1000000000ULL,
			    .last_ns = 1000000000ULL,
			    .nr_devs = 1};
	struct la_caller c;
	struct la_report r;
	struct la_rsite *s;

	(void)state;
	set_stack(&k, ips, 4);
	v.devs[0].ptr = 0xffff888001234000ULL;
	strcpy(v.devs[0].name, "la_test");
	strcpy(v.devs[0].bus, "platform");
	memset(&c, 0, sizeof(c));
	c.rep = k;
	c.rep_ns = 1000000000ULL;
	c.count = 999999;
	c.seen_count = 999999;
	c.seen_ns = 9000000000ULL; /* when the collector saw it grow */
	c.devs[0] = v.devs[0].ptr;
	report__init(&r);
	collect__site_to_report(ks, D("acpi_dma_configure_id"), true, &k, &v,
				&r);
	collect__caller_to_report(ks, D("acpi_dma_configure_id"), true, &c, &r);
	assert_int_equal(r.nr_sites, 1);
	s = &r.sites[0];
	assert_true(s->count == 1000000);
	assert_true(s->by_caller == 999999);
	assert_true(s->first_s == 1.0 && s->last_s == 9.0);
	assert_string_equal(s->caller, "la_call_unlocked+0x25 [la_test]");
	/* devices (with names) come from the full path only */
	assert_int_equal(s->nr_devs, 1);
	/* an entry that counted nothing adds nothing */
	c.count = 0;
	collect__caller_to_report(ks, D("acpi_dma_configure_id"), true, &c, &r);
	assert_int_equal(r.nr_sites, 1);
	assert_true(r.sites[0].count == 1000000);
	report__free(&r);

	/* no full-path site left (e.g. evicted): the entry stands alone */
	report__init(&r);
	c.count = 7;
	c.seen_ns = 0; /* never stamped: last seen no earlier than rep */
	collect__caller_to_report(ks, D("acpi_dma_configure_id"), true, &c, &r);
	assert_int_equal(r.nr_sites, 1);
	assert_true(r.sites[0].count == 7 && r.sites[0].by_caller == 7);
	assert_true(r.sites[0].first_s == 1.0 && r.sites[0].last_s == 1.0);
	assert_string_equal(r.sites[0].function, "la_call_unlocked");
	report__free(&r);
}

/* The callers table: an entry goes to its own slot or one of the next
 * LA_CALLER_PROBES, once; a full neighbourhood refuses (full path). */
static void test_enter_caller_table(void **state)
{
	static struct la_caller tab[LA_MAX_CALLERS];
	struct la_key rep = {.hook = 1, .state = LA_UNLOCKED, .nr_ips = 2};
	__u64 caller = A_LA_CALL + 0x25, dev = 0xffff888001234000ULL;
	__u64 tag = LA_CALLER_TAG(3, 1, LA_UNLOCKED, LA_F_REGISTERED);
	__u32 home = la_caller_slot(caller, tag);
	int i, idx, idx2;
	bool added;

	(void)state;
	memset(tab, 0, sizeof(tab));
	rep.ips[0] = A_ACPI_DMA + 0x9;
	rep.ips[1] = caller;
	/* the tag never reads as a free slot's, and keeps every field */
	assert_true(LA_CALLER_TAG(0, 0, 0, 0) != 0);
	assert_true(LA_CALLER_TAG(1, 0, 0, 0) != LA_CALLER_TAG(2, 0, 0, 0));
	assert_true(LA_CALLER_TAG(1, 2, 0, 0) != LA_CALLER_TAG(1, 3, 0, 0));
	assert_true(LA_CALLER_TAG(1, 2, 1, 0) != LA_CALLER_TAG(1, 2, 2, 0));
	assert_true(LA_CALLER_TAG(1, 2, 1, LA_F_PROBE_LOCK) !=
		    LA_CALLER_TAG(1, 2, 1, LA_F_REGISTERED));
	assert_true(la_caller_slot(caller, tag) < LA_MAX_CALLERS);

	idx = collect__enter_caller_at(tab, caller, tag, dev, &rep, 5, &added);
	assert_int_equal(idx, (int)home);
	assert_true(added);
	assert_true(tab[idx].caller == caller && tab[idx].tag == tag);
	assert_true(tab[idx].devs[0] == dev && tab[idx].devs[1] == 0);
	assert_true(tab[idx].count == 0 && tab[idx].rep_ns == 5);
	assert_true(tab[idx].seen_ns == 5);
	assert_memory_equal(&tab[idx].rep, &rep, sizeof(rep));
	/* entered already: the same slot, nothing rewritten */
	tab[idx].count = 42;
	assert_int_equal(
		collect__enter_caller_at(tab, caller, tag, 0, &rep, 9, &added),
		idx);
	assert_false(added);
	assert_true(tab[idx].count == 42 && tab[idx].rep_ns == 5);
	assert_true(tab[idx].devs[0] == dev);
	/* the caller's own slot taken by another: the next free one */
	memset(tab, 0, sizeof(tab));
	tab[home].caller = caller + 1;
	tab[home].tag = tag;
	idx2 = collect__enter_caller_at(tab, caller, tag, dev, &rep, 5, &added);
	assert_true(added);
	assert_int_equal(idx2, (int)((home + 1) % LA_MAX_CALLERS));
	/* no free slot among the probes: refused, nothing written */
	memset(tab, 0, sizeof(tab));
	for (i = 0; i < LA_CALLER_PROBES; i++) {
		tab[(home + i) % LA_MAX_CALLERS].caller = caller + 1 + i;
		tab[(home + i) % LA_MAX_CALLERS].tag = tag;
	}
	assert_int_equal(collect__enter_caller_at(tab, caller, tag, dev, &rep,
						  5, &added),
			 -ENOSPC);
	assert_false(added);
	assert_true(tab[(home + LA_CALLER_PROBES) % LA_MAX_CALLERS].caller ==
		    0);
	/* no caller, no entry */
	assert_int_equal(
		collect__enter_caller_at(tab, 0, tag, dev, &rep, 5, &added),
		-EINVAL);
}

/*
 * A module loaded where an unloaded one was: the same addresses, other
 * code. The programs key sites by module generation too, so the two come
 * apart, and each is named as of its own time: the gone one by module and
 * offset, the loaded one by symbol (before, both counted into one site,
 * named after whichever ran last).
 */
static void test_reloaded_module_sites_apart(void **state)
{
	static const __u64 ips[] = {A_ACPI_DMA + 0x9, A_LA_CALL + 0x25,
				    A_DO_ONE_INITCALL + 0x59};
	struct la_key k1 = {.hook = 0, .state = LA_UNLOCKED, .gen = 1};
	struct la_key k2 = {.hook = 0, .state = LA_UNLOCKED, .gen = 3};
	struct la_site v1 = {.count = 5, .first_ns = 110, .last_ns = 150};
	struct la_site v2 = {.count = 2, .first_ns = 310, .last_ns = 350};
	struct ksyms *own;
	struct la_report r;

	(void)state;
	own = load_test_ksyms();
	assert_non_null(own);
	/* la_test at the same base twice: t=100..200, then from t=300 */
	assert_int_equal(ksyms__add_module_record(own, "la_test", A_LA_CALL,
						  0x1000, 100, 200, false),
			 0);
	assert_int_equal(ksyms__add_module_record(own, "la_test", A_LA_CALL,
						  0x1000, 300, 0, false),
			 0);
	set_stack(&k1, ips, 3);
	set_stack(&k2, ips, 3);
	report__init(&r);
	collect__site_to_report(own, D("acpi_dma_configure_id"), true, &k1, &v1,
				&r);
	collect__site_to_report(own, D("acpi_dma_configure_id"), true, &k2, &v2,
				&r);
	report__merge_last(&r);
	assert_int_equal(r.nr_sites, 2);
	assert_string_equal(r.sites[0].caller, "la_test.ko+0x25 [la_test]");
	assert_true(r.sites[0].count == 5);
	assert_string_equal(r.sites[1].caller,
			    "la_call_unlocked+0x25 [la_test]");
	assert_true(r.sites[1].count == 2);
	report__free(&r);
	ksyms__free(own);
}

/*
 * The same module's code at two generations, named alike (as the kernel's
 * kept names name it): one site, the counts summed, first and last seen
 * over both. The kernel keeps them apart; the report need not.
 */
static void test_same_names_one_site(void **state)
{
	static const __u64 ips[] = {A_ACPI_DMA + 0x9, A_LA_CALL + 0x25,
				    A_DO_ONE_INITCALL + 0x59};
	struct la_key k1 = {.hook = 0, .state = LA_UNLOCKED, .gen = 1};
	struct la_key k2 = {.hook = 0, .state = LA_UNLOCKED, .gen = 3};
	struct la_site v1 = {.count = 5, .first_ns = 110, .last_ns = 150};
	struct la_site v2 = {.count = 2, .first_ns = 310, .last_ns = 350};
	struct ksyms *own;
	struct la_report r;

	(void)state;
	own = load_test_ksyms();
	assert_non_null(own);
	set_stack(&k1, ips, 3);
	set_stack(&k2, ips, 3);
	report__init(&r);
	collect__site_to_report(own, D("acpi_dma_configure_id"), true, &k1, &v1,
				&r);
	collect__site_to_report(own, D("acpi_dma_configure_id"), true, &k2, &v2,
				&r);
	assert_int_equal(r.nr_sites, 1);
	assert_string_equal(r.sites[0].caller,
			    "la_call_unlocked+0x25 [la_test]");
	assert_true(r.sites[0].count == 7);
	assert_true(r.sites[0].first_s == 110 / 1e9);
	assert_true(r.sites[0].last_s == 350 / 1e9);
	report__free(&r);
	ksyms__free(own);
}

/* "new site" lines: once per symbolized site, whatever the generation */
static void test_said_once(void **state)
{
	static struct la_said said;
	char *a[] = {"acpi_dma_configure_id+0x0", "la_call_unlocked+0x25"};
	char *b[] = {"acpi_dma_configure_id+0x0", "la_call_locked+0x25"};
	__u64 ha = collect__site_hash("acpi_dma_configure_id", 1, 0, a, 2);
	__u32 i;

	(void)state;
	memset(&said, 0, sizeof(said));
	assert_true(ha & 1);
	assert_true(ha !=
		    collect__site_hash("acpi_dma_configure_id", 1, 0, b, 2));
	assert_true(ha !=
		    collect__site_hash("acpi_dma_configure_id", 2, 0, a, 2));
	assert_true(ha !=
		    collect__site_hash("of_dma_configure_id", 1, 0, a, 2));
	assert_true(ha !=
		    collect__site_hash("acpi_dma_configure_id", 1, 0, a, 1));
	/* sites the programs split by their facts are said apart too */
	assert_true(ha != collect__site_hash("acpi_dma_configure_id", 1,
					     LA_F_REGISTERED, a, 2));
	assert_true(collect__said_add(&said, ha));
	assert_false(collect__said_add(&said, ha));
	/* full: stops remembering, never loops, keeps one slot free */
	for (i = 0; i < 2 * LA_SAID_SLOTS; i++)
		collect__said_add(&said, ((__u64)i << 32) | 2);
	assert_int_equal(said.n, LA_SAID_SLOTS - 1);
	assert_false(collect__said_add(&said, ha));
	assert_true(collect__said_add(&said, 0xdeadULL << 32));
	assert_true(collect__said_add(&said, 0xdeadULL << 32));
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/la-test-XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void rewrite(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/*
 * /proc/modules' use counts and users move during hotplug (they are not
 * kallsyms' business); an address that a fresh read could not name is not
 * retried until a module loads or unloads: each reread of kallsyms costs
 * seconds in an emulated guest.
 */
/*
 * A module loaded (the generation moved), but every frame is in the core
 * kernel's text or was named by the kernel at site creation: no kallsyms
 * read (seconds under emulation). A frame neither: one read.
 */
static void test_symfresh_settled(void **state)
{
	char *kpath = write_tmp("ffffffff81000000 T _stext\n"
				"ffffffff81001000 T foo\n"
				"ffffffff81002000 T bar\n"
				"ffffffff81003000 T _etext\n");
	int names = bpf_map_create(BPF_MAP_TYPE_HASH, "symnames",
				   sizeof(struct la_symkey), LA_SYMNAME_LEN, 16,
				   NULL);
	struct la_maps maps = {.mods = -1, .modgen = -1, .symnames = names};
	struct la_symfresh s = {.kallsyms = kpath, .maps = &maps};
	const __u64 core[2] = {0xffffffff81001010ULL, 0xffffffff81002004ULL};
	const __u64 mod[2] = {0xffffffff81001010ULL, 0xffffffffc0300010ULL};
	struct la_symkey k = {.addr = mod[1], .gen = 6};
	char v[LA_SYMNAME_LEN] = "la_bench_call+0x10/0x30 [la_test]";
	char frames[2][FRAME_LEN];

	(void)state;
	/* a BPF hash map on the host: needs bpf(2) for maps only (root) */
	assert_true(names >= 0);
	assert_int_equal(symfresh__reload(&s), 0);
	assert_int_equal(s.reloads, 1);
	assert_true(s.text_start == 0xffffffff81000000ULL &&
		    s.text_end == 0xffffffff81003000ULL);
	/* generation 5 > 0, core text only: not read again */
	assert_false(symfresh__needs(&s, core, 2, 5));
	symfresh__symbolize(&s, core, 2, 5, 0, frames);
	assert_int_equal(s.reloads, 1);
	assert_string_equal(frames[0], "foo+0x10");
	assert_string_equal(frames[1], "bar+0x4");
	/* a module frame nobody named: read */
	assert_true(symfresh__needs(&s, mod, 2, 5));
	symfresh__symbolize(&s, mod, 2, 5, 0, frames);
	assert_int_equal(s.reloads, 2);
	/* named by the kernel in generation 6: not read, and its name used */
	assert_int_equal(bpf_map_update_elem(names, &k, v, BPF_ANY), 0);
	assert_false(symfresh__needs(&s, mod, 2, 6));
	assert_true(symfresh__needs(&s, mod, 2, 7)); /* not in generation 7 */
	symfresh__symbolize(&s, mod, 2, 6, 0, frames);
	assert_int_equal(s.reloads, 2);
	assert_string_equal(frames[0], "foo+0x10");
	assert_string_equal(frames[1], "la_bench_call+0x10 [la_test]");
	symfresh__free(&s);
	close(names);
	unlink(kpath);
	free(kpath);
}

static void test_symfresh_rereads(void **state)
{
	static const char mods1[] =
		"e1000e 348160 0 - Live 0xffffffffc0400000\n"
		"la_test 16384 1 - Live 0xffffffffc0300000 (OE)\n";
	static const char mods2[] = /* use counts and users only */
		"e1000e 348160 2 la_test, Live 0xffffffffc0400000\n"
		"la_test 16384 0 - Live 0xffffffffc0300000 (OE)\n";
	static const char mods3[] = /* e1000e reloaded elsewhere */
		"e1000e 348160 0 - Live 0xffffffffc0500000\n"
		"la_test 16384 1 - Live 0xffffffffc0300000 (OE)\n";
	char *kpath = write_tmp("ffffffff81000000 T _stext\n"
				"ffffffff81001000 T foo\n"
				"ffffffff81002000 T bar\n");
	char *mpath = write_tmp(mods1);
	struct la_maps maps = {.mods = -1, .modgen = -1, .symnames = -1};
	struct la_symfresh s = {
		.kallsyms = kpath, .modules = mpath, .maps = &maps};
	const __u64 ips[2] = {0xffffffff81001010ULL, 0xffffffff80000000ULL};
	char frames[2][FRAME_LEN];
	unsigned long sum1;

	(void)state;
	sum1 = symfresh__modules_sum(mpath);
	assert_int_equal(symfresh__reload(&s), 0);
	assert_int_equal(s.reloads, 1);
	/* unknown, but read just now: no reread */
	symfresh__symbolize(&s, ips, 2, 0, 0, frames);
	assert_int_equal(s.reloads, 1);
	assert_string_equal(frames[0], "foo+0x10");
	/* unknown, read long ago: one reread, then the address is known to
	 * be unknown */
	s.reloaded_ns -= 1000000000ULL;
	symfresh__symbolize(&s, ips, 2, 0, 0, frames);
	assert_int_equal(s.reloads, 2);
	assert_int_equal(s.nr_unknown, 1);
	s.reloaded_ns -= 1000000000ULL;
	symfresh__symbolize(&s, ips, 2, 0, 0, frames);
	assert_int_equal(s.reloads, 2);
	/* a use count moved: the same sum, no reread in a new round */
	rewrite(mpath, mods2);
	assert_true(symfresh__modules_sum(mpath) == sum1);
	symfresh__new_round(&s);
	symfresh__symbolize(&s, ips, 2, 0, 0, frames);
	assert_int_equal(s.reloads, 2);
	assert_int_equal(symfresh__refresh(&s), 0);
	assert_int_equal(s.reloads, 2);
	/* a module moved: reread, and the unknown address may be retried */
	rewrite(mpath, mods3);
	assert_true(symfresh__modules_sum(mpath) != sum1);
	symfresh__new_round(&s);
	symfresh__symbolize(&s, ips, 2, 0, 0, frames);
	assert_int_equal(s.reloads, 3);
	assert_int_equal(s.nr_unknown, 0);
	symfresh__free(&s);
	unlink(kpath);
	unlink(mpath);
	free(kpath);
	free(mpath);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_site_fentry),
		cmocka_unit_test(test_caller_merges_into_site),
		cmocka_unit_test(test_enter_caller_table),
		cmocka_unit_test(test_core_site_kprobe_probe_lock),
		cmocka_unit_test(test_held_other_unterminated_strings),
		cmocka_unit_test(test_truncated_and_bad_state),
		cmocka_unit_test(test_trampoline_mid_stack),
		cmocka_unit_test(test_reloaded_module_sites_apart),
		cmocka_unit_test(test_same_names_one_site),
		cmocka_unit_test(test_said_once),
		cmocka_unit_test(test_symfresh_rereads),
		cmocka_unit_test(test_symfresh_settled),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
