// SPDX-License-Identifier: GPL-2.0
/*
 * test_rules_parse.c - the rule-file parser (user/rules_parse.c,
 * rules_expr.c): good input with its exact parsed values, every error
 * message with its line:column, and the built-in rules/iommu.rules against
 * today's watch list and attribute.c's tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attribute.h"
#include "hooks.h"
#include "rules.h"

static struct la_rule_file *parse(const char *text)
{
	return rules__parse("t.rules", text, strlen(text));
}

/* "LINE:COL: error: MSG" of problem i */
static const char *diag(const struct la_rule_file *f, size_t i)
{
	static char buf[LA_DIAG_TEXT_LEN];

	assert_true(i < f->nr_diags);
	/* the command's text, less "FILE:" */
	return rules__diag_text(f, i, buf, sizeof(buf)) + strlen(f->name) + 1;
}

static void assert_rule(const struct la_rule *r, int line, const char *func,
			enum la_assert a, int acol, enum la_rule_hold hold,
			const char *text)
{
	assert_int_equal(r->line, line);
	assert_string_equal(r->func, func);
	assert_int_equal(r->func_col, 1);
	assert_int_equal(r->assert, a);
	assert_int_equal(r->assert_col, acol);
	assert_int_equal(r->hold, hold);
	assert_string_equal(r->text, text);
	assert_int_equal(r->status, LA_RULE_PARSED);
}

static void assert_node(const struct la_expr *e, enum la_expr_kind kind,
			int col, const char *name)
{
	assert_non_null(e);
	assert_int_equal(e->kind, kind);
	assert_int_equal(e->col, col);
	if (name)
		assert_string_equal(e->name, name);
	else
		assert_null(e->name);
}

static const char issue_lines[] =
	"of_dma_configure_id:        device_lock_assert(dev)\n"
	"acpi_dma_configure_id:      lockdep_assert_held(&dev->mutex)\n"
	"pci_reset_function_locked:  device_lock_assert(&dev->dev)\n"
	"rtnl_is_locked:             ASSERT_RTNL()\n"
	"find_vma:                   mmap_assert_locked(mm)\n"
	"find_vma:                   mmap_assert_write_locked(mm)\n"
	"iommu_setup_default_domain: lockdep_assert_held(&group->mutex)\n";

static void test_issue_lines(void **state)
{
	struct la_rule_file *f = parse(issue_lines);
	const struct la_rule *r = f->rules;
	const struct la_expr *e;

	(void)state;
	assert_int_equal(f->nr_diags, 0);
	assert_int_equal(f->nr_rules, 7);
	assert_rule(&r[0], 1, "of_dma_configure_id", LA_A_DEVICE_LOCK, 29,
		    LA_HOLD_ANY, "device_lock_assert(dev)");
	assert_int_equal(r[0].arg_col, 48);
	assert_node(r[0].arg, LA_E_IDENT, 48, "dev");
	assert_null(r[0].arg->sub);

	assert_rule(&r[1], 2, "acpi_dma_configure_id", LA_A_HELD, 29,
		    LA_HOLD_ANY, "lockdep_assert_held(&dev->mutex)");
	e = r[1].arg;
	assert_node(e, LA_E_ADDR, 49, NULL);
	assert_node(e->sub, LA_E_ARROW, 55, "mutex");
	assert_int_equal(e->sub->op_col, 53);
	assert_node(e->sub->sub, LA_E_IDENT, 50, "dev");

	assert_rule(&r[2], 3, "pci_reset_function_locked", LA_A_DEVICE_LOCK, 29,
		    LA_HOLD_ANY, "device_lock_assert(&dev->dev)");
	assert_node(r[2].arg, LA_E_ADDR, 48, NULL);
	assert_node(r[2].arg->sub, LA_E_ARROW, 54, "dev");

	assert_rule(&r[3], 4, "rtnl_is_locked", LA_A_RTNL, 29, LA_HOLD_ANY,
		    "ASSERT_RTNL()");
	assert_null(r[3].arg);
	assert_rule(&r[4], 5, "find_vma", LA_A_MMAP_LOCKED, 29, LA_HOLD_ANY,
		    "mmap_assert_locked(mm)");
	assert_node(r[4].arg, LA_E_IDENT, 48, "mm");
	assert_rule(&r[5], 6, "find_vma", LA_A_MMAP_WRITE_LOCKED, 29,
		    LA_HOLD_WRITE, "mmap_assert_write_locked(mm)");
	assert_rule(&r[6], 7, "iommu_setup_default_domain", LA_A_HELD, 29,
		    LA_HOLD_ANY, "lockdep_assert_held(&group->mutex)");
	assert_node(r[6].arg->sub, LA_E_ARROW, 57, "mutex");
	assert_node(r[6].arg->sub->sub, LA_E_IDENT, 50, "group");
	rules__free(f);
}

/* comments, blank lines, free whitespace, casts, '.', parentheses */
static void test_syntax(void **state)
{
	struct la_rule_file *f = parse(
		"# a comment\n"
		"\n"
		"   \t\n"
		"  f ( : lockdep_assert_held_read ( &a->b . c ) # why\n"
		"g:lockdep_assert_held_write(&((struct foo *)&foo_g)->l)\n"
		"h: lockdep_assert_held((union u *)&x)#c\n");
	const struct la_expr *e;

	(void)state;
	/* "f (" is not "f:" */
	assert_int_equal(f->nr_diags, 1);
	assert_string_equal(diag(f, 0),
			    "4:5: error: expected ':' after 'f', not '('");
	rules__free(f);

	f = parse("  f : lockdep_assert_held_read ( &a->b . c ) # why\n"
		  "g:lockdep_assert_held_write(&((struct foo *)&foo_g)->l)\n"
		  "h: lockdep_assert_held((union u *)&x)#c\n");
	assert_int_equal(f->nr_diags, 0);
	assert_int_equal(f->nr_rules, 3);
	assert_int_equal(f->rules[0].func_col, 3);
	assert_string_equal(f->rules[0].text,
			    "lockdep_assert_held_read ( &a->b . c )");
	assert_int_equal(f->rules[0].hold, LA_HOLD_READ);
	e = f->rules[0].arg;
	assert_node(e, LA_E_ADDR, 34, NULL);
	assert_node(e->sub, LA_E_DOT, 42, "c");
	assert_int_equal(e->sub->op_col, 40);
	assert_node(e->sub->sub, LA_E_ARROW, 38, "b");
	assert_node(e->sub->sub->sub, LA_E_IDENT, 35, "a");

	assert_int_equal(f->rules[1].hold, LA_HOLD_WRITE);
	e = f->rules[1].arg;
	assert_node(e, LA_E_ADDR, 29, NULL);
	assert_node(e->sub, LA_E_ARROW, 54, "l");
	assert_int_equal(e->sub->op_col, 52);
	assert_node(e->sub->sub, LA_E_CAST, 31, "foo");
	assert_false(e->sub->sub->is_union);
	assert_node(e->sub->sub->sub, LA_E_ADDR, 45, NULL);
	assert_node(e->sub->sub->sub->sub, LA_E_IDENT, 46, "foo_g");

	assert_string_equal(f->rules[2].text,
			    "lockdep_assert_held((union u *)&x)");
	assert_node(f->rules[2].arg, LA_E_CAST, 24, "u");
	assert_true(f->rules[2].arg->is_union);
	rules__free(f);
}

static void test_directives(void **state)
{
	struct la_rule_file *f = parse(
		"@pass a b  # c\n"
		" @ pass c\n"
		"@core \"device add (x)\" iommu_bus_notifier !really_probe\n"
		"@core \"n # 2\" origin\n");

	(void)state;
	assert_int_equal(f->nr_diags, 0);
	assert_int_equal(f->nr_rules, 0);
	assert_int_equal(f->nr_pass, 3);
	assert_string_equal(f->pass[0], "a");
	assert_string_equal(f->pass[1], "b");
	assert_string_equal(f->pass[2], "c");
	assert_int_equal(f->nr_core, 2);
	assert_int_equal(f->core[0].line, 3);
	assert_string_equal(f->core[0].name, "device add (x)");
	assert_string_equal(f->core[0].origin, "iommu_bus_notifier");
	assert_string_equal(f->core[0].stop, "really_probe");
	assert_string_equal(f->core[1].name, "n # 2");
	assert_string_equal(f->core[1].origin, "origin");
	assert_null(f->core[1].stop);
	rules__free(f);
}

/* one bad line: exactly one problem, this one */
static void bad(const char *text, const char *want)
{
	struct la_rule_file *f = parse(text);

	assert_int_equal(f->nr_rules, 0);
	assert_int_equal(f->nr_errors, 1);
	assert_int_equal(f->nr_diags, 1);
	assert_string_equal(diag(f, 0), want);
	rules__free(f);
}

#define KNOWN                                                                  \
	"(known: lockdep_assert_held, lockdep_assert_held_write, "             \
	"lockdep_assert_held_read, device_lock_assert, ASSERT_RTNL, "          \
	"mmap_assert_locked, mmap_assert_write_locked)"

static void test_err_function(void **s)
{
	(void)s;
	bad("1f: device_lock_assert(dev)",
	    "1:1: error: expected a function name, not '1'");
}

static void test_err_colon(void **s)
{
	(void)s;
	bad("foo device_lock_assert(dev)",
	    "1:5: error: expected ':' after 'foo', not 'device_lock_assert'");
}

static void test_err_no_assertion(void **s)
{
	(void)s;
	bad("foo:   # nothing",
	    "1:8: error: expected an assertion after ':', not end of line");
}

static void test_err_unknown_assertion(void **s)
{
	(void)s;
	bad("foo: lockdep_assert(dev)",
	    "1:6: error: unknown assertion 'lockdep_assert' " KNOWN);
}

static void test_err_lparen(void **s)
{
	(void)s;
	bad("foo: device_lock_assert dev",
	    "1:25: error: expected '(' after device_lock_assert, not 'dev'");
}

static void test_err_rparen(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&dev->mutex, 1)",
	    "1:37: error: expected ')' after the argument of "
	    "lockdep_assert_held, not ','");
}

static void test_err_rparen_eol(void **s)
{
	(void)s;
	bad("foo: device_lock_assert(dev",
	    "1:28: error: expected ')' after the argument of "
	    "device_lock_assert, not end of line");
}

static void test_err_trailing(void **s)
{
	(void)s;
	bad("foo: device_lock_assert(dev) dev",
	    "1:30: error: unexpected 'dev' after the assertion");
}

static void test_err_rtnl_arg(void **s)
{
	(void)s;
	bad("foo: ASSERT_RTNL(dev)", "1:18: error: ASSERT_RTNL() takes no "
				     "argument");
}

static void test_err_no_expr(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held()",
	    "1:26: error: expected an expression, not ')'");
}

static void test_err_addr_no_expr(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&)",
	    "1:27: error: expected an expression, not ')'");
}

static void test_err_member(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&dev->)",
	    "1:32: error: expected a member name after '->', not ')'");
}

static void test_err_dot_member(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&dev.1)",
	    "1:31: error: expected a member name after '.', not '1'");
}

static void test_err_paren(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&(dev->m)",
	    "1:35: error: expected ')' after the argument of "
	    "lockdep_assert_held, not end of line");
	bad("foo: lockdep_assert_held(&(dev->m x))",
	    "1:35: error: expected ')', not 'x'");
}

static void test_err_cast_name(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held((struct *)&x)",
	    "1:34: error: expected a type name in the cast: (struct NAME *)");
}

static void test_err_cast_star(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held((struct mutex)&x)",
	    "1:39: error: a cast is (struct mutex *): a pointer to a struct or "
	    "union");
}

static void test_err_bad_char(void **s)
{
	(void)s;
	bad("foo: lockdep_assert_held(&dev->mutex$)",
	    "1:37: error: expected ')' after the argument of "
	    "lockdep_assert_held, not '$'");
}

static void test_err_directive(void **s)
{
	(void)s;
	bad("@frob a", "1:1: error: unknown directive '@frob' (known: @pass, "
		       "@core)");
}

static void test_err_pass_empty(void **s)
{
	(void)s;
	bad("  @pass # none", "1:3: error: @pass needs at least one function");
}

static void test_err_pass_trailing(void **s)
{
	(void)s;
	bad("@pass a b()", "1:10: error: unexpected '(' after the @pass "
			   "functions");
}

static void test_err_core_name(void **s)
{
	(void)s;
	bad("@core iommu_bus_notifier",
	    "1:7: error: expected the path's name in quotes after @core, not "
	    "'iommu_bus_notifier'");
}

static void test_err_core_string(void **s)
{
	(void)s;
	bad("@core \"device add iommu_bus_notifier",
	    "1:7: error: unterminated string");
}

static void test_err_core_origin(void **s)
{
	(void)s;
	bad("@core \"n\"  # none",
	    "1:12: error: expected the origin function after the name, not end "
	    "of line");
}

static void test_err_core_stop(void **s)
{
	(void)s;
	bad("@core \"n\" o !", "1:14: error: expected a function after '!', "
			       "not end of line");
}

static void test_err_core_trailing(void **s)
{
	(void)s;
	bad("@core \"n\" o !s t",
	    "1:16: error: unexpected 't' after the @core directive");
}

static void test_err_string_first(void **s)
{
	(void)s;
	bad("\"foo: x", "1:1: error: unterminated string");
}

static void test_err_nul(void **s)
{
	static const char text[] = "foo: device_lock_assert(d\0ev)\n";
	struct la_rule_file *f =
		rules__parse("t.rules", text, sizeof(text) - 1);

	(void)s;
	assert_int_equal(f->nr_diags, 1);
	assert_string_equal(diag(f, 0), "1:26: error: NUL byte in a rule file");
	rules__free(f);
}

/* every bad line is reported, the good ones kept */
static void test_err_every_line(void **state)
{
	struct la_rule_file *f = parse("a: device_lock_assert(dev\n"
				       "b: device_lock_assert(dev)\n"
				       "c device_lock_assert(dev)\n"
				       "@nope\n"
				       "d: ASSERT_RTNL()\n");

	(void)state;
	assert_int_equal(f->nr_rules, 2);
	assert_string_equal(f->rules[0].func, "b");
	assert_string_equal(f->rules[1].func, "d");
	assert_int_equal(f->nr_errors, 3);
	assert_string_equal(diag(f, 0), "1:26: error: expected ')' after the "
					"argument of device_lock_assert, not "
					"end of line");
	assert_string_equal(diag(f, 1), "3:3: error: expected ':' after 'c', "
					"not 'device_lock_assert'");
	assert_string_equal(diag(f, 2), "4:1: error: unknown directive "
					"'@nope' (known: @pass, @core)");
	rules__free(f);
}

/* what user/attribute.c's tables held before they moved into
 * rules/iommu.rules: the built-in file must carry exactly these */
static const char *const old_pass[] = {
	"of_dma_configure_id",
	"of_dma_configure",
	"of_iommu_configure",
	"of_iommu_xlate",
	"of_pci_iommu_init",
	"of_iommu_configure_dev_id",
	"of_iommu_configure_device",
	"acpi_dma_configure_id",
	"acpi_dma_configure",
	"acpi_iommu_configure_id",
	"iort_iommu_configure_id",
	"viot_iommu_configure",
	"iommu_probe_device",
	"__iommu_probe_device",
	"iommu_init_device",
	"iommu_fwspec_init",
	"dev_iommu_get",
	"iommu_bus_notifier",
	"bus_iommu_probe",
	"probe_iommu_group",
	"iommu_device_register",
	"pci_dma_configure",
	"platform_dma_configure",
	"amba_dma_configure",
	"fsl_mc_dma_configure",
	"cdx_dma_configure",
	"host1x_dma_configure",
	"really_probe",
	"__driver_probe_device",
	"driver_probe_device",
	"__driver_attach",
	"__driver_attach_async_helper",
	"__device_attach_driver",
	"__device_attach",
	"__device_attach_async_helper",
	"device_initial_probe",
	"device_attach",
	"device_driver_attach",
	"bus_for_each_drv",
	"bus_for_each_dev",
	"bus_probe_device",
	"driver_attach",
	"bus_add_driver",
	"driver_register",
	"device_add",
	"device_register",
	"bind_store",
	"drivers_probe_store",
	"__pci_register_driver",
	"__platform_driver_register",
	"pci_bus_add_device",
	"pci_bus_add_devices",
	"notifier_call_chain",
	"blocking_notifier_call_chain",
	"bus_notify",
};

static const char *const old_core[][2] = {
	{"iommu_bus_notifier", "device add (iommu_bus_notifier)"},
	{"bus_iommu_probe", "IOMMU registration (bus_iommu_probe)"},
	{"probe_iommu_group", "IOMMU registration (probe_iommu_group)"},
	{"iommu_device_register", "IOMMU registration (iommu_device_register)"},
	{"__iommu_probe_device", "IOMMU probe (__iommu_probe_device)"},
	{"iommu_probe_device", "IOMMU probe (iommu_probe_device)"},
};

/* the watch list as it was a table in user/watch.c, before rule files */
static const char *const old_watch_list[] = {
	"of_dma_configure_id",	  "acpi_dma_configure_id",
	"of_iommu_configure",	  "acpi_iommu_configure_id",
	"iommu_probe_device",	  "iommu_fwspec_init",
	"dev_iommu_get",	  "pci_dma_configure",
	"platform_dma_configure", "amba_dma_configure",
	"fsl_mc_dma_configure",	  "cdx_dma_configure",
	"host1x_dma_configure",
};

/* the built-in file carries the old watch list and attribute tables */
static void check_iommu(struct la_rule_file *f)
{
	size_t i;

	assert_int_equal(f->nr_diags, 0);
	assert_int_equal(f->nr_rules,
			 sizeof(old_watch_list) / sizeof(old_watch_list[0]));
	for (i = 0; i < f->nr_rules; i++) {
		assert_string_equal(f->rules[i].func, old_watch_list[i]);
		assert_int_equal(f->rules[i].assert, LA_A_DEVICE_LOCK);
		assert_node(f->rules[i].arg, LA_E_IDENT, f->rules[i].arg_col,
			    "dev");
	}
	assert_int_equal(f->nr_pass, sizeof(old_pass) / sizeof(old_pass[0]));
	for (i = 0; i < f->nr_pass; i++)
		assert_string_equal(f->pass[i], old_pass[i]);
	assert_int_equal(f->nr_core, sizeof(old_core) / sizeof(old_core[0]));
	for (i = 0; i < f->nr_core; i++) {
		assert_string_equal(f->core[i].origin, old_core[i][0]);
		assert_string_equal(f->core[i].name, old_core[i][1]);
		assert_string_equal(f->core[i].stop, "really_probe");
	}
}

static void test_builtin(void **state)
{
	struct la_rule_file *f = rules__builtin(), *disk;
	size_t i;

	(void)state;
	assert_string_equal(f->name, "<built-in>/iommu.rules");
	check_iommu(f);
	disk = rules__load("rules/iommu.rules");
	assert_non_null(disk);
	check_iommu(disk);
	for (i = 0; i < f->nr_rules; i++)
		assert_int_equal(f->rules[i].line, disk->rules[i].line);
	rules__free(disk);
	rules__free(f);
}

static void test_load_missing(void **state)
{
	(void)state;
	assert_null(rules__load("tests/unit/data/no-such.rules"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_lines),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_err_function),
		cmocka_unit_test(test_err_colon),
		cmocka_unit_test(test_err_no_assertion),
		cmocka_unit_test(test_err_unknown_assertion),
		cmocka_unit_test(test_err_lparen),
		cmocka_unit_test(test_err_rparen),
		cmocka_unit_test(test_err_rparen_eol),
		cmocka_unit_test(test_err_trailing),
		cmocka_unit_test(test_err_rtnl_arg),
		cmocka_unit_test(test_err_no_expr),
		cmocka_unit_test(test_err_addr_no_expr),
		cmocka_unit_test(test_err_member),
		cmocka_unit_test(test_err_dot_member),
		cmocka_unit_test(test_err_paren),
		cmocka_unit_test(test_err_cast_name),
		cmocka_unit_test(test_err_cast_star),
		cmocka_unit_test(test_err_bad_char),
		cmocka_unit_test(test_err_directive),
		cmocka_unit_test(test_err_pass_empty),
		cmocka_unit_test(test_err_pass_trailing),
		cmocka_unit_test(test_err_core_name),
		cmocka_unit_test(test_err_core_string),
		cmocka_unit_test(test_err_core_origin),
		cmocka_unit_test(test_err_core_stop),
		cmocka_unit_test(test_err_core_trailing),
		cmocka_unit_test(test_err_string_first),
		cmocka_unit_test(test_err_nul),
		cmocka_unit_test(test_err_every_line),
		cmocka_unit_test(test_builtin),
		cmocka_unit_test(test_load_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
