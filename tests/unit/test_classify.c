// SPDX-License-Identifier: GPL-2.0
/*
 * test_classify.c - the classifier on stacks recorded from real guests:
 * Debian 6.1, 6.12 and 7.3 kernels, x86_64 (also PREEMPT_RT) and arm64,
 * fentry and kprobe (tests/unit/data/stacks/CELL.json, written by
 * tests/unit/record_stacks.py from a `make vm-test` run). Every recorded
 * stack must get the group, core path or culprit module and function it got
 * in the guest, and the recordings must cover what the product promises:
 * driver findings on every cell, the bus-notifier core path on every cell,
 * and the 6.15+ path through __iommu_probe_device on the 7.3 cells.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "attribute.h"

static const char *const cells[] = {
	"x86_64-6.1",	  "x86_64-6.1-rt", "x86_64-6.12",
	"x86_64-6.12-rt", "x86_64-7.3",	   "x86_64-7.3-rt",
	"arm64-6.1",	  "arm64-6.12",	   "arm64-7.3",
};

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get_string(v);
}

struct tally {
	int cases, driver, core, core_7x;
};

static void replay(const char *cell, struct tally *t)
{
	const char *dir = getenv("LA_TESTDATA");
	char path[512], want[256], got[256], buf[128];
	json_object *root, *cases;
	size_t i;

	snprintf(path, sizeof(path), "%s/stacks/%s.json",
		 dir && dir[0] ? dir : "tests/unit/data", cell);
	root = json_object_from_file(path);
	if (!root)
		fail_msg("%s: cannot read the recording", path);
	assert_true(json_object_object_get_ex(root, "cases", &cases));
	memset(t, 0, sizeof(*t));
	for (i = 0; i < json_object_array_length(cases); i++) {
		json_object *c = json_object_array_get_idx(cases, i), *st, *exp;
		const char *entry = str(c, "entry_point"), *group;
		char *frames[64];
		size_t n, k;
		struct la_attr a;

		assert_true(json_object_object_get_ex(c, "stack", &st));
		assert_true(json_object_object_get_ex(c, "expect", &exp));
		n = json_object_array_length(st);
		assert_true(n <= 64);
		for (k = 0; k < n; k++)
			frames[k] = (char *)json_object_get_string(
				json_object_array_get_idx(st, k));
		la_attribute(entry, frames, n, &a);
		group = str(exp, "group");
		if (!strcmp(group, "driver"))
			snprintf(want, sizeof(want), "driver %s:%s",
				 str(exp, "module"), str(exp, "function"));
		else if (!strcmp(group, "core"))
			snprintf(want, sizeof(want), "core %s",
				 str(exp, "core_path"));
		else
			snprintf(want, sizeof(want), "unclassified");
		if (a.group == LA_GROUP_DRIVER) {
			char mod[64];

			snprintf(got, sizeof(got), "driver %s:%s",
				 la_frame_module(frames[a.culprit], mod,
						 sizeof(mod)),
				 la_frame_func(frames[a.culprit], buf,
					       sizeof(buf)));
		} else if (a.group == LA_GROUP_CORE) {
			snprintf(got, sizeof(got), "core %s", a.core_path);
		} else {
			snprintf(got, sizeof(got), "unclassified");
		}
		if (strcmp(want, got))
			fail_msg("%s case %zu (%s at %s): recorded '%s', "
				 "classifier says '%s'",
				 cell, i, str(c, "lock_state"), entry, want,
				 got);
		t->cases++;
		t->driver += a.group == LA_GROUP_DRIVER &&
			     !strcmp(str(c, "lock_state"), "unlocked");
		if (a.group == LA_GROUP_CORE) {
			t->core++;
			for (k = 0; k < n; k++)
				if (!strncmp(frames[k], "__iommu_probe_device+",
					     21))
					t->core_7x++;
		}
	}
	json_object_put(root);
}

static void test_cell(void **state)
{
	const char *cell = *state;
	struct tally t;

	replay(cell, &t);
	print_message("%s: %d recorded stacks replayed, %d unlocked driver, %d "
		      "core\n",
		      cell, t.cases, t.driver, t.core);
	assert_true(t.cases >= 10);
	assert_true(t.driver >= 1);
	assert_true(t.core >= 1);
	/* 7.x: the core configures DMA through __iommu_probe_device */
	if (strstr(cell, "-7."))
		assert_true(t.core_7x >= 1);
	else
		assert_int_equal(t.core_7x, 0);
}

static int set_cell(void **state, const char *cell)
{
	*state = (void *)cell;
	return 0;
}

#define CELL(i)                                                                \
	static int setup_##i(void **state)                                     \
	{                                                                      \
		return set_cell(state, cells[i]);                              \
	}
CELL(0)
CELL(1)
CELL(2)
CELL(3)
CELL(4)
CELL(5)
CELL(6)
CELL(7)
CELL(8)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_cell, setup_0),
		cmocka_unit_test_setup(test_cell, setup_1),
		cmocka_unit_test_setup(test_cell, setup_2),
		cmocka_unit_test_setup(test_cell, setup_3),
		cmocka_unit_test_setup(test_cell, setup_4),
		cmocka_unit_test_setup(test_cell, setup_5),
		cmocka_unit_test_setup(test_cell, setup_6),
		cmocka_unit_test_setup(test_cell, setup_7),
		cmocka_unit_test_setup(test_cell, setup_8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
