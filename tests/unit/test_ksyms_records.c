// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms_records.c - symbolization when module memory is reused, with
 * lockaudit's module records (text and __init ranges over time).
 *
 * kallsyms_reuse.txt + modules_reuse.txt: e1000e loaded first; its __init
 * text was freed and la_test now sits there; ftrace still lists e1000e's
 * freed e1000_init_module at la_test's address + 0x20; /proc/modules gives
 * e1000e a span (text base + total size, as on 6.4+) that covers la_test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ksyms.h"

#define LA_BASE 0xffffffffc0631000ULL
#define E_BASE	0xffffffffc0600000ULL

static struct ksyms *load(void)
{
	const char *dir = getenv("LA_TESTDATA");
	char k[512], m[512];
	struct ksyms *ks;

	dir = dir && dir[0] ? dir : "tests/unit/data";
	snprintf(k, sizeof(k), "%s/kallsyms_reuse.txt", dir);
	snprintf(m, sizeof(m), "%s/modules_reuse.txt", dir);
	ks = ksyms__load_live(k, m);
	assert_non_null(ks);
	return ks;
}

static void add_records(struct ksyms *ks)
{
	/* e1000e loaded at t=50 (text and __init), la_test at t=100 */
	assert_int_equal(ksyms__add_module_record(ks, "e1000e", E_BASE, 0x20000,
						  50, 0, false),
			 0);
	assert_int_equal(ksyms__add_module_record(ks, "e1000e", LA_BASE, 0x2000,
						  50, 0, true),
			 0);
	assert_int_equal(ksyms__add_module_record(ks, "la_test", LA_BASE,
						  0x1000, 100, 0, false),
			 0);
	/* gone: old_mod lived from t=10 to t=20 */
	assert_int_equal(ksyms__add_module_record(ks, "old_mod",
						  0xffffffffc0700000ULL, 0x1000,
						  10, 20, false),
			 0);
}

static void test_records_name_reused_memory(void **state)
{
	struct ksyms *ks = load();
	char buf[128];

	(void)state;
	add_records(ks);
	/* the stale e1000e symbol between la_test's own ones is skipped */
	assert_string_equal(ksyms__format(ks, LA_BASE + 0x25, buf, sizeof(buf)),
			    "la_call_unlocked+0x25 [la_test]");
	/* code that ran before la_test loaded was e1000e's init */
	assert_string_equal(
		ksyms__format_at(ks, LA_BASE + 0x25, 60, buf, sizeof(buf)),
		"e1000_init_module+0x5 [e1000e]");
	assert_string_equal(
		ksyms__format_at(ks, LA_BASE + 0x25, 200, buf, sizeof(buf)),
		"la_call_unlocked+0x25 [la_test]");
	/* an unloaded module: by name and offset while it lived */
	assert_string_equal(ksyms__format_at(ks, 0xffffffffc0700010ULL, 15, buf,
					     sizeof(buf)),
			    "old_mod.ko+0x10 [old_mod]");
	assert_string_equal(ksyms__format_at(ks, 0xffffffffc0700010ULL, 30, buf,
					     sizeof(buf)),
			    "0xffffffffc0700010");
	/* past la_test's text, inside e1000e's span: nobody's known code */
	assert_null(ksyms__find(ks, LA_BASE + 0x1f000));
	/* e1000e's own text */
	assert_string_equal(
		ksyms__format(ks, E_BASE + 0x10004, buf, sizeof(buf)),
		"e1000_remove+0x4 [e1000e]");
	ksyms__free(ks);
}

static void test_init_without_symbol(void **state)
{
	struct ksyms *ks = load();
	char buf[128];

	(void)state;
	add_records(ks);
	/* before the stale symbol's address: no e1000e name, module + offset */
	assert_string_equal(
		ksyms__format_at(ks, LA_BASE + 0x10, 60, buf, sizeof(buf)),
		"e1000e.init+0x10 [e1000e]");
	/* an empty range records nothing */
	assert_int_equal(ksyms__add_module_record(ks, "x", 1, 0, 0, 0, true),
			 0);
	ksyms__free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_name_reused_memory),
		cmocka_unit_test(test_init_without_symbol),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
