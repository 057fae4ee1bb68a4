// SPDX-License-Identifier: GPL-2.0
/*
 * test_attribute.c - la_attribute() on realistic symbolized stacks
 * (innermost first, "func+0xoff [module]" as ksyms__format prints them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <linux/types.h>

#include "attribute.h"
#include "lockaudit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* run la_attribute over a string-literal array */
#define ATTR(entry, frames, out)                                               \
	la_attribute((entry), (char *const *)(frames), ARRAY_SIZE(frames),     \
		     (out))

static void assert_culprit(const struct la_attr *a, char *const *frames,
			   int idx, const char *func)
{
	char buf[128];

	assert_int_equal(a->group, LA_GROUP_DRIVER);
	assert_null(a->core_path);
	assert_int_equal(a->culprit, idx);
	assert_string_equal(la_frame_func(frames[idx], buf, sizeof(buf)), func);
}

/* (a) fentry: BPF program and trampoline frames come first */
static void test_fentry_driver(void **state)
{
	static const char *const frames[] = {
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]",
		"bpf_trampoline_6442491234+0x4f [bpf]",
		"la_call_unlocked+0x1c [la_test]",
		"la_run+0x40 [la_test]",
		"do_one_initcall+0x56",
		"do_init_module+0x60",
		"load_module+0x2293",
		"__do_sys_finit_module+0xac",
		"do_syscall_64+0x5d",
		"entry_SYSCALL_64_after_hwframe+0x6e",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 2);
	assert_culprit(&a, (char *const *)frames, 2, "la_call_unlocked");
}

/* (b) kprobe: the stack starts in the hooked function itself */
static void test_kprobe_skips_entry(void **state)
{
	static const char *const frames[] = {
		"acpi_dma_configure_id+0x4",
		"la_call_unlocked+0x1c [la_test]",
		"la_run+0x40 [la_test]",
		"do_one_initcall+0x56",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 0);
	assert_culprit(&a, (char *const *)frames, 1, "la_call_unlocked");
}

/* an fentry-less but otherwise plain driver call, entry not on the stack */
static void test_kprobe_entry_not_first(void **state)
{
	static const char *const frames[] = {
		"e1000_probe+0x2c [e1000e]",
		"local_pci_probe+0x42",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 0);
	assert_culprit(&a, (char *const *)frames, 0, "e1000_probe");
}

/* (c) held: the driver-core probe path up to a module's init */
static const char *const probe_path[] = {
	"acpi_dma_configure_id+0x4",
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
	"do_init_module+0x60",
};

static void test_driver_probe_path(void **state)
{
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", probe_path, &a);
	assert_int_equal(a.first, 0);
	assert_culprit(&a, (char *const *)probe_path, 10, "e1000_init_module");
}

/* the same path under fentry: culprit index shifts with the BPF frames */
static void test_driver_probe_path_fentry(void **state)
{
	static const char *const frames[] = {
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]",
		"bpf_trampoline_6442491234+0x4f [bpf]",
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
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 2);
	assert_culprit(&a, (char *const *)frames, 11, "e1000_init_module");
}

/* (d) the IOMMU core probing a device as it is added */
static void test_core_device_add(void **state)
{
	static const char *const frames[] = {
		"iommu_probe_device+0x5",
		"iommu_bus_notifier+0x2a",
		"notifier_call_chain+0x5a",
		"blocking_notifier_call_chain+0x43",
		"bus_notify+0x33",
		"device_add+0x3d4",
		"pci_device_add+0x24d",
		"pci_scan_single_device+0xbb",
		"pci_scan_slot+0x50",
		"pci_scan_child_bus_extend+0x3a",
		"acpi_pci_root_create+0x1d7",
	};
	struct la_attr a;

	(void)state;
	ATTR("iommu_probe_device", frames, &a);
	assert_int_equal(a.group, LA_GROUP_CORE);
	assert_non_null(a.core_path);
	assert_string_equal(a.core_path, "device add (iommu_bus_notifier)");
	assert_int_equal(a.culprit, -1);
	assert_int_equal(a.first, 0);
}

/* (e) 7.x: dma_configure is called from the IOMMU core's own probe */
static void test_core_7x_dma_configure(void **state)
{
	static const char *const frames[] = {
		"acpi_dma_configure_id+0x4",
		"pci_dma_configure+0x7a",
		"__iommu_probe_device+0xf1",
		"iommu_probe_device+0x2e",
		"iommu_bus_notifier+0x2a",
		"notifier_call_chain+0x5a",
		"blocking_notifier_call_chain+0x43",
		"bus_notify+0x33",
		"device_add+0x3d4",
		"pci_device_add+0x24d",
		"pci_scan_single_device+0xbb",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.group, LA_GROUP_CORE);
	assert_non_null(a.core_path);
	assert_string_equal(a.core_path, "device add (iommu_bus_notifier)");
	assert_int_equal(a.culprit, -1);
}

/* IOMMU registration replays probing over the bus */
static void test_core_iommu_registration(void **state)
{
	static const char *const frames[] = {
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]",
		"bpf_trampoline_6442491234+0x4f [bpf]",
		"__iommu_probe_device+0xf1",
		"probe_iommu_group+0x2c",
		"bus_for_each_dev+0x7c",
		"bus_iommu_probe+0x4c",
		"iommu_device_register+0xd4",
		"intel_iommu_init+0x6f2",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 2);
	assert_int_equal(a.group, LA_GROUP_CORE);
	assert_non_null(a.core_path);
	assert_string_equal(a.core_path,
			    "IOMMU registration (bus_iommu_probe)");
}

/* (f) really_probe nearer the entry than a core frame: not core */
static void test_really_probe_nearer_than_core(void **state)
{
	static const char *const frames[] = {
		"of_dma_configure_id+0x4",
		"platform_dma_configure+0x2c",
		"really_probe+0x19c",
		"__driver_probe_device+0x78",
		"driver_probe_device+0x1f",
		"__device_attach_driver+0xf0",
		"bus_for_each_drv+0x7c",
		"__device_attach+0xa4",
		"bus_probe_device+0x9c",
		"device_add+0x3d4",
		"of_platform_device_create_pdata+0xa0",
		"foo_smmu_populate+0x40 [foo_smmu]",
		"iommu_device_register+0xd4",
		"iommu_bus_notifier+0x2a",
	};
	struct la_attr a;

	(void)state;
	ATTR("of_dma_configure_id", frames, &a);
	assert_int_not_equal(a.group, LA_GROUP_CORE);
	assert_null(a.core_path);
	/* the first non-generic caller above the driver core */
	assert_culprit(&a, (char *const *)frames, 10,
		       "of_platform_device_create_pdata");
}

/* (g) nothing to blame */
static void test_only_generic_frames(void **state)
{
	static const char *const frames[] = {
		"acpi_dma_configure_id+0x4", "pci_dma_configure+0x7a",
		"really_probe+0x19c",	     "__driver_probe_device+0x78",
		"driver_probe_device+0x1f",  "__device_attach_driver+0xf0",
		"bus_for_each_drv+0x7c",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.group, LA_GROUP_UNCLASSIFIED);
	assert_null(a.core_path);
	assert_int_equal(a.culprit, -1);
	assert_int_equal(a.first, 0);
}

static void test_empty_stack(void **state)
{
	struct la_attr a;

	(void)state;
	memset(&a, 0x5a, sizeof(a));
	la_attribute("acpi_dma_configure_id", NULL, 0, &a);
	assert_int_equal(a.group, LA_GROUP_UNCLASSIFIED);
	assert_null(a.core_path);
	assert_int_equal(a.culprit, -1);
	assert_int_equal(a.first, 0);
}

static void test_only_bpf_and_entry(void **state)
{
	static const char *const frames[] = {
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]",
		"bpf_trampoline_6442491234+0x4f [bpf]",
		"acpi_dma_configure_id+0x9",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 2);
	assert_int_equal(a.group, LA_GROUP_UNCLASSIFIED);
	assert_int_equal(a.culprit, -1);
}

static void test_unknown_after_entry(void **state)
{
	static const char *const frames[] = {
		"acpi_dma_configure_id+0x4",
		"0xffffffffc0de0042",
		"la_run+0x40 [la_test]",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.group, LA_GROUP_UNCLASSIFIED);
	assert_int_equal(a.culprit, -1);
}

static void test_unknown_after_generic(void **state)
{
	static const char *const frames[] = {
		"bpf_prog_6deef7357e7b4530_la_fentry_1+0x5e [bpf]",
		"bpf_trampoline_6442491234+0x4f [bpf]",
		"pci_dma_configure+0x7a",
		"0xffffffffc0de0042",
		"la_run+0x40 [la_test]",
	};
	struct la_attr a;

	(void)state;
	ATTR("acpi_dma_configure_id", frames, &a);
	assert_int_equal(a.first, 2);
	assert_int_equal(a.group, LA_GROUP_UNCLASSIFIED);
	assert_int_equal(a.culprit, -1);
}

/* (h) frame helpers */
static void test_frame_func(void **state)
{
	char buf[64], tiny[8];

	(void)state;
	assert_string_equal(la_frame_func("la_call_unlocked+0x1c [la_test]",
					  buf, sizeof(buf)),
			    "la_call_unlocked");
	assert_string_equal(
		la_frame_func("do_one_initcall+0x56", buf, sizeof(buf)),
		"do_one_initcall");
	assert_string_equal(la_frame_func("do_one_initcall", buf, sizeof(buf)),
			    "do_one_initcall");
	assert_string_equal(
		la_frame_func("0xffffffffc0de0042", buf, sizeof(buf)), "");
	assert_string_equal(la_frame_func("", buf, sizeof(buf)), "");
	/* does not fit: "" rather than a truncated, wrong name */
	assert_string_equal(la_frame_func("la_call_unlocked+0x1c [la_test]",
					  tiny, sizeof(tiny)),
			    "");
	assert_string_equal(la_frame_func("la_run+0x40", tiny, sizeof(tiny)),
			    "la_run");
}

static void test_frame_module(void **state)
{
	char buf[64], tiny[4];

	(void)state;
	assert_string_equal(la_frame_module("la_call_unlocked+0x1c [la_test]",
					    buf, sizeof(buf)),
			    "la_test");
	assert_string_equal(
		la_frame_module("bpf_trampoline_6442491234+0x4f [bpf]", buf,
				sizeof(buf)),
		"bpf");
	assert_string_equal(
		la_frame_module("do_one_initcall+0x56", buf, sizeof(buf)),
		"vmlinux");
	assert_string_equal(
		la_frame_module("0xffffffffc0de0042", buf, sizeof(buf)), "");
	assert_string_equal(
		la_frame_module("la_run+0x40 [la_test]", tiny, sizeof(tiny)),
		"la_");
}

static void test_group_name(void **state)
{
	(void)state;
	assert_string_equal(la_group_name(LA_GROUP_DRIVER), "driver");
	assert_string_equal(la_group_name(LA_GROUP_CORE), "core");
	assert_string_equal(la_group_name(LA_GROUP_UNCLASSIFIED),
			    "unclassified");
}

static void test_severity(void **state)
{
	(void)state;
	/* held: never a finding, whatever else */
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 0, true, 0, LA_HOLD_ANY, true),
		LA_SEV_NONE);
	assert_int_equal(
		la_severity(LA_GROUP_CORE, 0, true, 1, LA_HOLD_ANY, true),
		LA_SEV_NONE);
	/* core path: by design */
	assert_int_equal(
		la_severity(LA_GROUP_CORE, 1, true, 0, LA_HOLD_ANY, true),
		LA_SEV_INFO);
	/* the IOMMU core racing a lock holder: high, registered or not */
	assert_int_equal(
		la_severity(LA_GROUP_CORE, 2, false, -1, LA_HOLD_ANY, true),
		LA_SEV_HIGH);
	assert_int_equal(
		la_severity(LA_GROUP_CORE, 2, true, 1, LA_HOLD_ANY, true),
		LA_SEV_HIGH);
	/* not registered yet: nothing else can reach the device */
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 1, false, 0, LA_HOLD_ANY, true),
		LA_SEV_LOW);
	assert_int_equal(la_severity(LA_GROUP_UNCLASSIFIED, 1, false, 1,
				     LA_HOLD_ANY, true),
			 LA_SEV_LOW);
	/* registered */
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 1, true, 1, LA_HOLD_ANY, true),
		LA_SEV_MEDIUM);
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 1, true, 0, LA_HOLD_ANY, true),
		LA_SEV_HIGH);
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 1, true, -1, LA_HOLD_ANY, true),
		LA_SEV_HIGH);
	assert_int_equal(
		la_severity(LA_GROUP_DRIVER, 2, true, -1, LA_HOLD_ANY, true),
		LA_SEV_HIGH);
	assert_int_equal(la_severity(LA_GROUP_UNCLASSIFIED, 1, true, 0,
				     LA_HOLD_ANY, true),
			 LA_SEV_HIGH);
	/* rules as data: a rule's hold decides what breaks it */
	assert_false(la_violation(LA_HELD, LA_HOLD_ANY));
	assert_false(la_violation(LA_HELD, LA_HOLD_WRITE));
	assert_true(la_violation(LA_HELD, LA_HOLD_READ));
	assert_false(la_violation(LA_READ_HELD, LA_HOLD_ANY));
	assert_true(la_violation(LA_READ_HELD, LA_HOLD_WRITE));
	assert_false(la_violation(LA_READ_HELD, LA_HOLD_READ));
	assert_true(la_violation(LA_UNLOCKED, LA_HOLD_READ));
	assert_true(la_violation(LA_HELD_OTHER, LA_HOLD_ANY));
	assert_int_equal(la_severity(LA_GROUP_DRIVER, LA_READ_HELD, false, -1,
				     LA_HOLD_ANY, false),
			 LA_SEV_NONE);
	/* no device: its registration cannot lower the severity */
	assert_int_equal(la_severity(LA_GROUP_DRIVER, LA_READ_HELD, false, -1,
				     LA_HOLD_WRITE, false),
			 LA_SEV_HIGH);
	assert_int_equal(la_severity(LA_GROUP_DRIVER, LA_UNLOCKED, false, 0,
				     LA_HOLD_ANY, true),
			 LA_SEV_LOW);
	assert_int_equal(la_severity(LA_GROUP_UNCLASSIFIED, LA_UNLOCKED, false,
				     0, LA_HOLD_ANY, false),
			 LA_SEV_HIGH);
	assert_string_equal(la_severity_name(LA_SEV_NONE), "none");
	assert_string_equal(la_severity_name(LA_SEV_INFO), "info");
	assert_string_equal(la_severity_name(LA_SEV_LOW), "low");
	assert_string_equal(la_severity_name(LA_SEV_MEDIUM), "medium");
	assert_string_equal(la_severity_name(LA_SEV_HIGH), "high");
	assert_string_equal(la_severity_name((enum la_severity)42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fentry_driver),
		cmocka_unit_test(test_kprobe_skips_entry),
		cmocka_unit_test(test_kprobe_entry_not_first),
		cmocka_unit_test(test_driver_probe_path),
		cmocka_unit_test(test_driver_probe_path_fentry),
		cmocka_unit_test(test_core_device_add),
		cmocka_unit_test(test_core_7x_dma_configure),
		cmocka_unit_test(test_core_iommu_registration),
		cmocka_unit_test(test_really_probe_nearer_than_core),
		cmocka_unit_test(test_only_generic_frames),
		cmocka_unit_test(test_empty_stack),
		cmocka_unit_test(test_only_bpf_and_entry),
		cmocka_unit_test(test_unknown_after_entry),
		cmocka_unit_test(test_unknown_after_generic),
		cmocka_unit_test(test_frame_func),
		cmocka_unit_test(test_frame_module),
		cmocka_unit_test(test_group_name),
		cmocka_unit_test(test_severity),
	};

	return cmocka_run_group_tests_name("attribute", tests, NULL, NULL);
}
