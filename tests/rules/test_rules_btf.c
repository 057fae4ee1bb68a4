// SPDX-License-Identifier: GPL-2.0
/*
 * test_rules_btf.c - rule resolution against the Debian kernels' real BTF
 * (user/rules_resolve.c, rules_eval.c, rules_kernel.c): exact offsets,
 * lock kinds and error messages. The vmlinux files come from environment
 * variables set by tests/rules/run.sh (each one missing is a failure):
 * LA_BTF_X86_64_6_12, LA_BTF_X86_64_7_3, LA_BTF_X86_64_7_3_RT,
 * LA_BTF_ARM64_7_3. Offsets checked with bpftool btf dump ... format raw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"

#define K612   "LA_BTF_X86_64_6_12"
#define K73    "LA_BTF_X86_64_7_3"
#define K73RT  "LA_BTF_X86_64_7_3_RT"
#define KARM73 "LA_BTF_ARM64_7_3"

static char kallsyms[] = "/tmp/la-rules-kallsyms.XXXXXX";

/* a kallsyms file: some functions and two data symbols */
static int write_kallsyms(void **state)
{
	static const char text[] =
		"ffffffff81000000 T acpi_dma_configure_id\n"
		"ffffffff81000100 T rtnl_is_locked\n"
		"ffffffff81000200 T la_not_in_btf\n"
		"ffffffffc0000000 t some_mod_func\t[some_mod]\n"
		"ffffffff83000040 d rtnl_mutex\n"
		"ffffffff83001000 b foo_group\n";
	int fd = mkstemp(kallsyms);

	(void)state;
	if (fd < 0 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)(sizeof(text) - 1))
		return -1;
	close(fd);
	return 0;
}

static int remove_kallsyms(void **state)
{
	(void)state;
	unlink(kallsyms);
	return 0;
}

/* resolve text against the BTF named by env (and kallsyms if ks) */
static struct la_rule_file *resolve(const char *env, const char *text, bool ks)
{
	const char *btf = getenv(env);
	struct la_rule_file *f = rules__parse("t.rules", text, strlen(text));
	struct la_kernel *k;
	char err[512];

	if (!btf || !*btf)
		fail_msg("%s is not set (tests/rules/run.sh sets it)", env);
	k = rules__kernel_open(btf, ks ? kallsyms : NULL, err, sizeof(err));
	if (!k)
		fail_msg("%s", err);
	assert_int_equal(rules__resolve(k, &f, 1), 0);
	rules__kernel_free(k);
	return f;
}

static const char *diag(const struct la_rule_file *f, size_t i)
{
	static char buf[LA_DIAG_TEXT_LEN];

	assert_true(i < f->nr_diags);
	/* the command's text, less "FILE:" */
	return rules__diag_text(f, i, buf, sizeof(buf)) + strlen(f->name) + 1;
}

/* one rule resolved through parameter 0 */
static void arg0(const char *env, const char *text, __u32 derefs,
		 const __s64 *off, enum la_rule_lock lock,
		 enum la_rule_hold hold, const char *path)
{
	struct la_rule_file *f = resolve(env, text, false);
	const struct la_rule *r = &f->rules[0];
	char buf[256];
	__u32 i;

	if (f->nr_diags)
		fail_msg("%s: %s", env, diag(f, 0));
	assert_int_equal(r->status, LA_RULE_RESOLVED);
	assert_int_equal(r->path.base, LA_BASE_ARG);
	assert_int_equal(r->path.arg, 0);
	assert_int_equal(r->path.nr_derefs, derefs);
	for (i = 0; i <= derefs; i++)
		assert_int_equal(r->path.off[i], off[i]);
	assert_int_equal(r->path.lock, lock);
	assert_int_equal(r->path.hold, hold);
	assert_string_equal(rules__path_text(r, buf, sizeof(buf)), path);
	rules__free(f);
}

#define OFF(...) ((const __s64[]){__VA_ARGS__})

static void test_device_mutex(void **state)
{
	static const char r[] =
		"acpi_dma_configure_id: lockdep_assert_held(&dev->mutex)\n";

	(void)state;
	arg0(K612, r, 0, OFF(0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x90");
	arg0(K73, r, 0, OFF(0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x90");
	arg0(KARM73, r, 0, OFF(0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x90");
	/* PREEMPT_RT: struct mutex is an rt_mutex inside, still "mutex" */
	arg0(K73RT, r, 0, OFF(0xa8), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0xa8");
	arg0(K73, "acpi_dma_configure_id: device_lock_assert(dev)", 0,
	     OFF(0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY, "arg0(dev) +0x90");
}

/* pci_dev.dev + device.mutex */
static void test_pci_reset(void **state)
{
	static const char r[] =
		"pci_reset_function_locked: device_lock_assert(&dev->dev)";

	(void)state;
	arg0(K612, r, 0, OFF(0xc8 + 0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x158");
	arg0(K73, r, 0, OFF(0xd0 + 0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x160");
	arg0(K73RT, r, 0, OFF(0xd0 + 0xa8), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(dev) +0x178");
}

/* mm_struct.mmap_lock sits in an anonymous struct; an rwsem */
static void test_find_vma(void **state)
{
	(void)state;
	arg0(K612, "find_vma: mmap_assert_locked(mm)", 0, OFF(0xa8),
	     LA_RLOCK_RWSEM, LA_HOLD_ANY, "arg0(mm) +0xa8");
	arg0(K73, "find_vma: mmap_assert_write_locked(mm)", 0, OFF(0x198),
	     LA_RLOCK_RWSEM, LA_HOLD_WRITE, "arg0(mm) +0x198");
	arg0(KARM73, "find_vma: mmap_assert_locked(mm)", 0, OFF(0x158),
	     LA_RLOCK_RWSEM, LA_HOLD_ANY, "arg0(mm) +0x158");
	/* PREEMPT_RT lays rw_semaphore out differently: same name, same kind */
	arg0(K73RT, "find_vma: mmap_assert_locked(mm)", 0, OFF(0x1b8),
	     LA_RLOCK_RWSEM, LA_HOLD_ANY, "arg0(mm) +0x1b8");
	arg0(K73RT, "find_vma: lockdep_assert_held_read(&mm->mmap_lock)", 0,
	     OFF(0x1b8), LA_RLOCK_RWSEM, LA_HOLD_READ, "arg0(mm) +0x1b8");
}

static void test_iommu_group(void **state)
{
	static const char r[] = "iommu_setup_default_domain: "
				"lockdep_assert_held(&group->mutex)";

	(void)state;
	arg0(K612, r, 0, OFF(0x68), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(group) +0x68");
	arg0(K73, r, 0, OFF(0x68), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(group) +0x68");
	arg0(K73RT, r, 0, OFF(0x88), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "arg0(group) +0x88");
}

/* dereferences: device.iommu_group, then iommu_group.mutex */
static void test_derefs(void **state)
{
	(void)state;
	arg0(K612,
	     "iommu_probe_device: "
	     "lockdep_assert_held(&dev->iommu_group->mutex)",
	     1, OFF(0x2d8, 0x68), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "*(arg0(dev) +0x2d8) +0x68");
	arg0(K73,
	     "iommu_probe_device: "
	     "lockdep_assert_held(&dev->iommu_group->mutex)",
	     1, OFF(0x2f0, 0x68), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "*(arg0(dev) +0x2f0) +0x68");
	/* four: the most a path follows */
	arg0(K73,
	     "iommu_probe_device: "
	     "device_lock_assert(dev->parent->parent->parent->parent)",
	     4, OFF(0x40, 0x40, 0x40, 0x40, 0x90), LA_RLOCK_MUTEX, LA_HOLD_ANY,
	     "*(*(*(*(arg0(dev) +0x40) +0x40) +0x40) +0x40) +0x90");
}

/* globals: ASSERT_RTNL(), and casts for globals BTF has no type for */
static void test_globals(void **state)
{
	struct la_rule_file *f;
	char buf[256];

	(void)state;
	f = resolve(K73,
		    "rtnl_is_locked: ASSERT_RTNL()\n"
		    "rtnl_is_locked: lockdep_assert_held((struct mutex "
		    "*)&rtnl_mutex)\n"
		    "acpi_dma_configure_id: lockdep_assert_held(&((struct "
		    "iommu_group *)&foo_group)->mutex)\n",
		    true);
	assert_int_equal(f->nr_diags, 0);
	assert_int_equal(f->rules[0].status, LA_RULE_RESOLVED);
	assert_int_equal(f->rules[0].path.base, LA_BASE_GLOBAL);
	assert_true(f->rules[0].path.addr == 0xffffffff83000040ull);
	assert_int_equal(f->rules[0].path.nr_derefs, 0);
	assert_int_equal(f->rules[0].path.off[0], 0);
	assert_int_equal(f->rules[0].path.lock, LA_RLOCK_MUTEX);
	assert_string_equal(rules__path_text(&f->rules[0], buf, sizeof(buf)),
			    "rtnl_mutex(0xffffffff83000040) +0x0");
	assert_int_equal(f->rules[1].status, LA_RULE_RESOLVED);
	assert_true(f->rules[1].path.addr == 0xffffffff83000040ull);
	assert_int_equal(f->rules[2].status, LA_RULE_RESOLVED);
	assert_int_equal(f->rules[2].path.base, LA_BASE_GLOBAL);
	assert_string_equal(rules__path_text(&f->rules[2], buf, sizeof(buf)),
			    "foo_group(0xffffffff83001000) +0x68");
	rules__free(f);
	/* --btf: no kallsyms, the address comes at attach time */
	f = resolve(K612, "rtnl_is_locked: ASSERT_RTNL()", false);
	assert_int_equal(f->nr_diags, 0);
	assert_true(f->rules[0].path.addr == 0);
	assert_string_equal(rules__path_text(&f->rules[0], buf, sizeof(buf)),
			    "rtnl_mutex(address at attach time) +0x0");
	rules__free(f);
}

/* one rule, one error: this one */
static void bad(const char *env, const char *text, bool ks, const char *want)
{
	struct la_rule_file *f = resolve(env, text, ks);

	assert_int_equal(f->nr_diags, 1);
	assert_string_equal(diag(f, 0), want);
	assert_int_equal(f->rules[0].status,
			 f->diags[0].error ? LA_RULE_ERROR : LA_RULE_ABSENT);
	rules__free(f);
}

static void test_err_param(void **state)
{
	(void)state;
	bad(K73, "acpi_dma_configure_id: device_lock_assert(devv)", true,
	    "1:43: error: unknown parameter 'devv' (acpi_dma_configure_id's "
	    "parameters: dev, attr, input_id)");
	bad(K73, "acpi_dma_configure_id: device_lock_assert(devv)", false,
	    "1:43: error: unknown parameter 'devv' (acpi_dma_configure_id's "
	    "parameters: dev, attr, input_id); a global without a BTF type "
	    "needs a cast: (struct NAME *)&NAME");
}

static void test_err_member(void **state)
{
	(void)state;
	bad(K73, "acpi_dma_configure_id: lockdep_assert_held(&dev->mutexx)",
	    false, "1:50: error: no member 'mutexx' in struct device");
}

static void test_err_spinlock(void **state)
{
	(void)state;
	bad(K73,
	    "acpi_dma_configure_id: lockdep_assert_held(&dev->devres_lock)",
	    false,
	    "1:44: error: unsupported lock type spinlock_t: spinlocks record "
	    "no owner on production kernels");
}

static void test_err_not_lock(void **state)
{
	(void)state;
	bad(K73, "acpi_dma_configure_id: lockdep_assert_held(&dev->kobj)",
	    false,
	    "1:44: error: the lock is struct kobject, not struct mutex or "
	    "struct rw_semaphore");
	bad(K73, "acpi_dma_configure_id: lockdep_assert_held(dev->mutex)",
	    false,
	    "1:44: error: lockdep_assert_held needs a pointer to the lock, not "
	    "struct mutex: write '&' before it");
}

static void test_err_derefs(void **state)
{
	(void)state;
	bad(K73,
	    "iommu_probe_device: device_lock_assert(dev->parent->parent->"
	    "parent->parent->parent)",
	    false,
	    "1:40: error: more than 4 dereferences: a lock path follows at "
	    "most 4 pointers");
	/* the '->' that needs the fifth */
	bad(K73,
	    "iommu_probe_device: lockdep_assert_held(&dev->parent->parent->"
	    "parent->parent->parent->mutex)",
	    false,
	    "1:85: error: more than 4 dereferences: a lock path follows at "
	    "most 4 pointers");
}

static void test_err_read_mutex(void **state)
{
	(void)state;
	bad(K73, "acpi_dma_configure_id: lockdep_assert_held_read(&dev->mutex)",
	    false,
	    "1:24: error: lockdep_assert_held_read on a struct mutex: mutexes "
	    "have no readers");
}

static void test_err_arrow_dot(void **state)
{
	(void)state;
	bad(K73, "pci_reset_function_locked: device_lock_assert(dev)", false,
	    "1:47: error: device_lock_assert needs a struct device *, not "
	    "struct pci_dev *");
	bad(K73,
	    "pci_reset_function_locked: lockdep_assert_held(&dev->dev->mutex)",
	    false,
	    "1:57: error: '->' on a non-pointer (struct device): use '.'");
	bad(K73, "acpi_dma_configure_id: lockdep_assert_held(&dev.mutex)",
	    false, "1:48: error: '.' on a pointer (struct device *): use '->'");
	/* the right spelling of the one before */
	arg0(K73,
	     "pci_reset_function_locked: lockdep_assert_held(&dev->dev.mutex)",
	     0, OFF(0x160), LA_RLOCK_MUTEX, LA_HOLD_ANY, "arg0(dev) +0x160");
}

static void test_err_registers(void **state)
{
	(void)state;
	bad(K73, "HUF_compress1X_repeat: lockdep_assert_held(workSpace)", false,
	    "1:44: error: parameter 'workSpace' is number 6 of "
	    "HUF_compress1X_repeat: only parameters 0..5 are read (registers)");
	bad(K73, "__copy_xstate_to_uabi_buf: lockdep_assert_held(to)", false,
	    "1:48: error: parameter 'to' of __copy_xstate_to_uabi_buf is a "
	    "struct passed by value: not in one register");
}

static void test_err_globals(void **state)
{
	char want[256];

	(void)state;
	bad(K73, "rtnl_is_locked: lockdep_assert_held(&rtnl_mutex)", true,
	    "1:38: error: global 'rtnl_mutex' has no type in BTF: write it as "
	    "a cast, e.g. (struct mutex *)&rtnl_mutex");
	snprintf(want, sizeof(want),
		 "1:54: error: no symbol 'nope' in %s (data symbols need "
		 "CONFIG_KALLSYMS_ALL)",
		 kallsyms);
	bad(K73, "rtnl_is_locked: lockdep_assert_held((struct mutex *)&nope)",
	    true, want);
}

static void test_err_function(void **state)
{
	(void)state;
	/* absent: a warning, the rule skipped */
	bad(K73, "  of_dma_configure_id: device_lock_assert(dev)", false,
	    "1:3: warning: of_dma_configure_id: not in this kernel (rule "
	    "skipped)");
	bad(K73, "la_not_in_btf: device_lock_assert(dev)", true,
	    "1:1: error: la_not_in_btf is in kallsyms but not in BTF: its "
	    "parameters are unknown");
	bad(K73, "iommu_probe_device: device_lock_assert(dev)", true,
	    "1:1: error: iommu_probe_device is in BTF but not in kallsyms: "
	    "inlined everywhere, nothing to attach to");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_mutex),
		cmocka_unit_test(test_pci_reset),
		cmocka_unit_test(test_find_vma),
		cmocka_unit_test(test_iommu_group),
		cmocka_unit_test(test_derefs),
		cmocka_unit_test(test_globals),
		cmocka_unit_test(test_err_param),
		cmocka_unit_test(test_err_member),
		cmocka_unit_test(test_err_spinlock),
		cmocka_unit_test(test_err_not_lock),
		cmocka_unit_test(test_err_derefs),
		cmocka_unit_test(test_err_read_mutex),
		cmocka_unit_test(test_err_arrow_dot),
		cmocka_unit_test(test_err_registers),
		cmocka_unit_test(test_err_globals),
		cmocka_unit_test(test_err_function),
	};

	return cmocka_run_group_tests(tests, write_kallsyms, remove_kallsyms);
}
