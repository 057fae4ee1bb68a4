// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms.c - /proc/kallsyms parsing, address lookup and formatting.
 *
 * Fixtures live in $LA_TESTDATA (default tests/unit/data):
 *   kallsyms.txt            realistic excerpt: vmlinux text (T/t/W), data
 *                           (A/R/r/D/d/B/b, all ignored), module symbols
 *                           ("\t[mod]", not in address order), BPF programs
 *                           and trampolines ("[bpf]"), aliases at one address
 *   kallsyms_restricted.txt every address zero (kernel.kptr_restrict)
 *   kallsyms_empty.txt      empty file
 *   kallsyms_data_only.txt  only data symbols
 *   modules.txt             /proc/modules for ksyms__load_live(): e1000e
 *                           Live without its (freed) init text, la_test
 *                           still Loading, one with a hidden address
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ksyms.h"

#define ONE_MIB 0x100000ULL

/* addresses from kallsyms.txt */
#define A_STEXT		 0xffffffff81000000ULL
#define A_ACPI_DMA	 0xffffffff8103c2b0ULL
#define A_REALLY_PROBE	 0xffffffff8103c4d0ULL
#define A_PCI_DEVICE_ADD 0xffffffff8103da00ULL /* last vmlinux text */
#define A_RODATA	 0xffffffff82000040ULL
#define A_INIT_TASK	 0xffffffff82a00000ULL /* 'D' */
#define A_BPF_PROG	 0xffffffffc0201000ULL
#define A_BPF_TRAMP	 0xffffffffc0203000ULL
#define A_LA_CALL	 0xffffffffc0a00000ULL
#define A_LA_RUN	 0xffffffffc0a00080ULL
#define A_LA_INIT	 0xffffffffc0a00100ULL
#define A_LA_DEVS	 0xffffffffc0a02000ULL /* 'd' in [la_test] */
#define A_E1000_PROBE	 0xffffffffc0b10000ULL
#define A_E1000_INIT	 0xffffffffc0b20000ULL /* last text symbol overall */
#define NR_TEXT		 32

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

static struct ksyms *load_fixture(const char *name, int *err)
{
	char *p = data_path(name);
	struct ksyms *ks;

	errno = 0;
	ks = ksyms__load(p);
	*err = errno;
	free(p);
	return ks;
}

static int setup(void **state)
{
	int err;
	struct ksyms *ks = load_fixture("kallsyms.txt", &err);

	if (!ks) {
		fprintf(stderr, "cannot load kallsyms.txt: %s (LA_TESTDATA?)\n",
			strerror(err));
		return -1;
	}
	*state = ks;
	return 0;
}

static int teardown(void **state)
{
	ksyms__free(*state);
	return 0;
}

/* ---- parsing ------------------------------------------------------- */

static void test_count_text_only(void **state)
{
	const struct ksyms *ks = *state;

	/* 24 vmlinux + 3 e1000e + 3 la_test + 2 bpf; A/R/r/D/d/B/b dropped */
	assert_int_equal(ksyms__count(ks), NR_TEXT);
}

static void test_data_symbols_ignored(void **state)
{
	const struct ksyms *ks = *state;

	assert_null(ksyms__by_name(ks, "init_task", NULL));
	assert_null(ksyms__by_name(ks, "la_static_data", NULL));
	assert_null(ksyms__by_name(ks, "__bss_start", NULL));
	assert_null(ksyms__by_name(ks, "dma_ops_cache", NULL));
	assert_null(ksyms__by_name(ks, "__start_rodata", NULL));
	assert_null(ksyms__by_name(ks, "pci_dma_ops_table", NULL));
	assert_null(ksyms__by_name(ks, "fixed_percpu_data", NULL));
	assert_null(ksyms__by_name(ks, "runqueues", NULL));
	assert_null(ksyms__by_name(ks, "la_devs", "la_test"));
	assert_null(ksyms__by_name(ks, "la_count", NULL));
	assert_null(ksyms__by_name(ks, "e1000_driver", "e1000e"));
	/* weak text symbols are text */
	assert_non_null(ksyms__by_name(ks, "arch_cpu_idle_dead", NULL));
}

static void test_module_symbols(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	s = ksyms__by_name(ks, "la_call_unlocked", NULL);
	assert_non_null(s);
	assert_true(s->addr == A_LA_CALL);
	assert_non_null(s->module);
	assert_string_equal(s->module, "la_test");

	s = ksyms__by_name(ks, "e1000_probe", NULL);
	assert_non_null(s);
	assert_string_equal(s->module, "e1000e");

	s = ksyms__by_name(ks, "really_probe", NULL);
	assert_non_null(s);
	assert_true(s->addr == A_REALLY_PROBE);
	assert_null(s->module); /* vmlinux */
}

static void test_bpf_symbols(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	s = ksyms__by_name(ks, "bpf_prog_6deef7357e7b4530_la_fentry_1", "bpf");
	assert_non_null(s);
	assert_true(s->addr == A_BPF_PROG);
	s = ksyms__by_name(ks, "bpf_trampoline_6442491234", NULL);
	assert_non_null(s);
	assert_string_equal(s->module, "bpf");
}

/* ---- lookup -------------------------------------------------------- */

static void test_find_exact(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	s = ksyms__find(ks, A_ACPI_DMA);
	assert_non_null(s);
	assert_string_equal(s->name, "acpi_dma_configure_id");
	assert_true(s->addr == A_ACPI_DMA);

	s = ksyms__find(ks, A_LA_RUN);
	assert_non_null(s);
	assert_string_equal(s->name, "la_run");
	assert_string_equal(s->module, "la_test");
}

static void test_find_inside(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	/* one byte before the next symbol still belongs to the previous one */
	s = ksyms__find(ks, A_LA_RUN - 1);
	assert_non_null(s);
	assert_string_equal(s->name, "la_call_unlocked");

	s = ksyms__find(ks, A_REALLY_PROBE + 0x19c);
	assert_non_null(s);
	assert_string_equal(s->name, "really_probe");
	assert_null(s->module);

	/* inside the last symbol of the trampoline region */
	s = ksyms__find(ks, A_BPF_TRAMP + 0x4f);
	assert_non_null(s);
	assert_string_equal(s->name, "bpf_trampoline_6442491234");
}

static void test_find_before_first(void **state)
{
	const struct ksyms *ks = *state;

	/* percpu 'A' symbols are not text: nothing below _stext */
	assert_null(ksyms__find(ks, 0));
	assert_null(ksyms__find(ks, 0x1000));
	assert_null(ksyms__find(ks, A_STEXT - 1));
	assert_non_null(ksyms__find(ks, A_STEXT));
}

static void test_find_far_past_last(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	/* within 1 MiB of the last symbol: still attributed to it */
	s = ksyms__find(ks, A_E1000_INIT + ONE_MIB - 1);
	assert_non_null(s);
	assert_string_equal(s->name, "e1000_init_module");
	/* beyond: unknown */
	assert_null(ksyms__find(ks, A_E1000_INIT + ONE_MIB + 1));
	assert_null(ksyms__find(ks, UINT64_MAX));
	/* the same rule inside a gap: rodata/data far past the last text */
	assert_null(ksyms__find(ks, A_RODATA));
	assert_null(ksyms__find(ks, A_INIT_TASK));
	/* a module's data symbol near its text is inside the last function */
	s = ksyms__find(ks, A_LA_DEVS);
	assert_non_null(s);
	assert_string_equal(s->name, "init_module");
}

static void test_find_aliases(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	/* _stext, _text, startup_64: the alphabetically first alias */
	s = ksyms__find(ks, A_STEXT);
	assert_non_null(s);
	assert_string_equal(s->name, "_stext");
	s = ksyms__find(ks, A_STEXT + 0x10);
	assert_non_null(s);
	assert_string_equal(s->name, "_stext");

	/* module_init() alias: e1000_init_module wins over init_module */
	s = ksyms__find(ks, A_E1000_INIT + 0x20);
	assert_non_null(s);
	assert_string_equal(s->name, "e1000_init_module");
	assert_string_equal(s->module, "e1000e");
}

static void test_find_null(void **state)
{
	(void)state;
	assert_null(ksyms__find(NULL, A_STEXT));
	assert_int_equal(ksyms__count(NULL), 0);
	assert_null(ksyms__by_name(NULL, "really_probe", NULL));
}

/* ---- formatting ---------------------------------------------------- */

static void test_format(void **state)
{
	const struct ksyms *ks = *state;
	char buf[128];

	assert_string_equal(
		ksyms__format(ks, A_LA_CALL + 0x1c, buf, sizeof(buf)),
		"la_call_unlocked+0x1c [la_test]");
	assert_string_equal(ksyms__format(ks, A_ACPI_DMA, buf, sizeof(buf)),
			    "acpi_dma_configure_id+0x0");
	assert_string_equal(
		ksyms__format(ks, A_REALLY_PROBE + 0x19c, buf, sizeof(buf)),
		"really_probe+0x19c");
	assert_string_equal(
		ksyms__format(ks, A_BPF_PROG + 0x5e, buf, sizeof(buf)),
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]");
	assert_string_equal(
		ksyms__format(ks, A_E1000_INIT + 0x4, buf, sizeof(buf)),
		"e1000_init_module+0x4 [e1000e]");
	/* unknown: the raw address */
	assert_string_equal(ksyms__format(ks, 0xdeadbeef, buf, sizeof(buf)),
			    "0xdeadbeef");
	assert_string_equal(
		ksyms__format(ks, A_E1000_INIT + ONE_MIB + 1, buf, sizeof(buf)),
		"0xffffffffc0c20001");
	assert_string_equal(
		ksyms__format(NULL, 0xffffffffc0de0042ULL, buf, sizeof(buf)),
		"0xffffffffc0de0042");
}

static void test_format_truncates(void **state)
{
	const struct ksyms *ks = *state;
	char buf[12];

	memset(buf, 'X', sizeof(buf));
	ksyms__format(ks, A_LA_CALL + 0x1c, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_string_equal(buf, "la_call_unl");
}

/* ---- by name ------------------------------------------------------- */

static void test_by_name(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	s = ksyms__by_name(ks, "la_run", NULL);
	assert_non_null(s);
	assert_true(s->addr == A_LA_RUN);
	s = ksyms__by_name(ks, "la_run", "la_test");
	assert_non_null(s);
	assert_true(s->addr == A_LA_RUN);
	assert_null(ksyms__by_name(ks, "la_run", "e1000e"));
	/* a vmlinux symbol is in no module */
	assert_null(ksyms__by_name(ks, "acpi_dma_configure_id", "la_test"));
	assert_non_null(ksyms__by_name(ks, "acpi_dma_configure_id", NULL));
	assert_null(ksyms__by_name(ks, "no_such_function", NULL));
	/* a prefix is not a match */
	assert_null(ksyms__by_name(ks, "la_call", NULL));
}

static void test_by_name_same_name_two_modules(void **state)
{
	const struct ksyms *ks = *state;
	const struct ksym *s;

	s = ksyms__by_name(ks, "init_module", "e1000e");
	assert_non_null(s);
	assert_true(s->addr == A_E1000_INIT);
	assert_string_equal(s->module, "e1000e");
	s = ksyms__by_name(ks, "init_module", "la_test");
	assert_non_null(s);
	assert_true(s->addr == A_LA_INIT);
	assert_string_equal(s->module, "la_test");
	/* any module: one of the two */
	s = ksyms__by_name(ks, "init_module", NULL);
	assert_non_null(s);
	assert_true(s->addr == A_E1000_INIT || s->addr == A_LA_INIT);
}

/* ---- load errors --------------------------------------------------- */

static void test_load_restricted(void **state)
{
	int err;

	(void)state;
	assert_null(load_fixture("kallsyms_restricted.txt", &err));
	assert_int_equal(err, EPERM);
}

static void test_load_missing(void **state)
{
	int err;

	(void)state;
	assert_null(load_fixture("no-such-kallsyms.txt", &err));
	assert_int_equal(err, ENOENT);
}

static void test_load_empty(void **state)
{
	int err;

	(void)state;
	assert_null(load_fixture("kallsyms_empty.txt", &err));
	assert_int_equal(err, ENODATA);
}

static void test_load_data_only(void **state)
{
	int err;

	(void)state;
	assert_null(load_fixture("kallsyms_data_only.txt", &err));
	assert_int_equal(err, ENODATA);
}

static void test_load_garbage_lines(void **state)
{
	char path[] = "/tmp/la_ksyms_XXXXXX";
	struct ksyms *ks;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("\n"
	      "garbage\n"
	      "ffffffff81000000\n"
	      "ffffffff81000000 T\n"
	      "ffffffff81001000 T good_function\n"
	      "ffffffffc0a00000 t mod_function\t[some_mod]\n",
	      f);
	fclose(f);
	ks = ksyms__load(path);
	unlink(path);
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), 2);
	assert_non_null(ksyms__by_name(ks, "good_function", NULL));
	assert_non_null(ksyms__by_name(ks, "mod_function", "some_mod"));
	ksyms__free(ks);
	ksyms__free(NULL);
}

/* ---- stale module symbols (ksyms__load_live) ----------------------- */

static struct ksyms *load_live(const char *kallsyms, const char *modules,
			       int *err)
{
	char *k = data_path(kallsyms), *m = modules ? data_path(modules) : NULL;
	struct ksyms *ks;

	errno = 0;
	ks = ksyms__load_live(k, m);
	*err = errno;
	free(k);
	free(m);
	return ks;
}

static void test_live_drops_stale_init(void **state)
{
	struct ksyms *ks;
	const struct ksym *s;
	int err;

	(void)state;
	ks = load_live("kallsyms.txt", "modules.txt", &err);
	assert_non_null(ks);
	/* e1000e is Live in [0xffffffffc0b10000, +0x10000): its init text
	 * (e1000_init_module and the init_module alias) is stale */
	assert_int_equal(ksyms__count(ks), NR_TEXT - 2);
	assert_null(ksyms__by_name(ks, "e1000_init_module", NULL));
	assert_null(ksyms__by_name(ks, "init_module", "e1000e"));
	assert_non_null(ksyms__by_name(ks, "e1000_probe", "e1000e"));
	/* la_test is still Loading: its init symbols are kept */
	assert_non_null(ksyms__by_name(ks, "init_module", "la_test"));
	assert_non_null(ksyms__by_name(ks, "la_call_unlocked", "la_test"));
	/* [bpf] and vmlinux are not modules */
	assert_non_null(ksyms__by_name(ks, "bpf_trampoline_6442491234", "bpf"));
	assert_non_null(ksyms__by_name(ks, "really_probe", NULL));
	/* the stale address no longer names the freed function */
	s = ksyms__find(ks, A_E1000_INIT + 0x20);
	assert_true(s == NULL || strcmp(s->name, "e1000_init_module"));
	ksyms__free(ks);
}

static void test_live_without_modules(void **state)
{
	struct ksyms *ks;
	int err;

	(void)state;
	ks = load_live("kallsyms.txt", NULL, &err);
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), NR_TEXT);
	ksyms__free(ks);
	ks = load_live("kallsyms.txt", "no-such-modules.txt", &err);
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), NR_TEXT);
	ksyms__free(ks);
}

/* Lines longer than any fixed buffer: a Rust-length symbol name (the
 * kernel allows 511 bytes) in a module, and a /proc/modules line with a
 * long "used by" list; each read whole, nothing parsed from a line's tail. */
static void test_live_long_lines(void **state)
{
	char kpath[] = "/tmp/la_ksyms_XXXXXX", mpath[] = "/tmp/la_mods_XXXXXX";
	char longname[512];
	struct ksyms *ks;
	const struct ksym *s;
	FILE *f;
	int fd, i;

	(void)state;
	/* 511 characters; a tail starting with hex digits would pass for an
	 * address if the line were split */
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	memcpy(longname, "_RNvCs", 6);
	fd = mkstemp(kpath);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f,
		"ffffffff81001000 T good_function\n"
		"ffffffffc0a00000 t %s\t[rust_mod]\n"
		"ffffffffc0a00100 t mod_function\t[rust_mod]\n",
		longname);
	fclose(f);
	fd = mkstemp(mpath);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs("rust_mod 4096 40 ", f);
	for (i = 0; i < 40; i++)
		fprintf(f, "a_module_using_rust_mod_number_%02d,", i);
	fputs(" Live 0xffffffffc0a00000\n", f);
	fclose(f);
	ks = ksyms__load_live(kpath, mpath);
	unlink(kpath);
	unlink(mpath);
	assert_non_null(ks);
	assert_int_equal(ksyms__count(ks), 3);
	s = ksyms__by_name(ks, longname, "rust_mod");
	assert_non_null(s);
	assert_true(s->addr == 0xffffffffc0a00000ULL);
	s = ksyms__find(ks, 0xffffffffc0a00010ULL);
	assert_non_null(s);
	assert_string_equal(s->name, longname);
	assert_non_null(ksyms__by_name(ks, "mod_function", "rust_mod"));
	ksyms__free(ks);
}

static void test_live_errors(void **state)
{
	int err;

	(void)state;
	assert_null(load_live("kallsyms_restricted.txt", "modules.txt", &err));
	assert_int_equal(err, EPERM);
	assert_null(load_live("no-such-kallsyms.txt", "modules.txt", &err));
	assert_int_equal(err, ENOENT);
	assert_null(load_live("kallsyms_empty.txt", "modules.txt", &err));
	assert_int_equal(err, ENODATA);
}

/* The kernel's %pS names, as kept in "symnames", in lockaudit's form. */
static void test_kname_format(void **state)
{
	char buf[128];

	(void)state;
	assert_true(ksyms__kname_format("la_call_unlocked+0x24/0x60 [la_test]",
					buf, sizeof(buf)));
	assert_string_equal(buf, "la_call_unlocked+0x24 [la_test]");
	assert_true(ksyms__kname_format("do_one_initcall+0x57/0x310", buf,
					sizeof(buf)));
	assert_string_equal(buf, "do_one_initcall+0x57");
	assert_true(ksyms__kname_format("f+0x0/0x8 [m]", buf, sizeof(buf)));
	assert_string_equal(buf, "f+0x0 [m]");
	/* not a symbol: a bare address, or no offset */
	assert_false(
		ksyms__kname_format("0xffffffffc0631024", buf, sizeof(buf)));
	assert_false(ksyms__kname_format("", buf, sizeof(buf)));
	assert_false(ksyms__kname_format("f/0x8", buf, sizeof(buf)));
	assert_false(ksyms__kname_format("f+0x1/0x8 junk", buf, sizeof(buf)));
	/* does not fit: refused, not cut */
	assert_false(ksyms__kname_format("la_call_unlocked+0x24/0x60 [la_test]",
					 buf, 10));
	/* without a names map: kallsyms as before */
	assert_string_equal(
		ksyms__format_gen(NULL, 0x1234, 1, 0, buf, sizeof(buf)),
		"0x1234");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kname_format),
		cmocka_unit_test_setup_teardown(test_count_text_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_data_symbols_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_symbols, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bpf_symbols, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_exact, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_inside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_before_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_far_past_last, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_find_aliases, setup,
						teardown),
		cmocka_unit_test(test_find_null),
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_truncates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_by_name_same_name_two_modules, setup, teardown),
		cmocka_unit_test(test_load_restricted),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_empty),
		cmocka_unit_test(test_load_data_only),
		cmocka_unit_test(test_load_garbage_lines),
		cmocka_unit_test(test_live_drops_stale_init),
		cmocka_unit_test(test_live_without_modules),
		cmocka_unit_test(test_live_long_lines),
		cmocka_unit_test(test_live_errors),
	};

	return cmocka_run_group_tests_name("ksyms", tests, NULL, NULL);
}
