// SPDX-License-Identifier: GPL-2.0
/*
 * test_clone.c - each fentry template (one per lock kind) of the real BPF
 * object carries exactly one slot mark, and clone__patch rewrites exactly
 * that instruction; a slot's kind picks its template (no kernel needed: the
 * object is only opened, not loaded)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <cmocka.h>

#include "clone.h"
#include "lockaudit.h"
#include "lockaudit.skel.h"

static struct bpf_insn *copy_insns(struct bpf_program *p, size_t *n)
{
	struct bpf_insn *c;

	*n = bpf_program__insn_cnt(p);
	c = calloc(*n, sizeof(*c));
	assert_non_null(c);
	memcpy(c, bpf_program__insns(p), *n * sizeof(*c));
	return c;
}

/* the 64-bit immediate of the first 16-byte load at or after i */
static uint64_t imm64(const struct bpf_insn *x)
{
	return (uint64_t)(uint32_t)x[0].imm |
	       ((uint64_t)(uint32_t)x[1].imm << 32);
}

/* one mark in template p, patched alone, to the slot */
static void check_template(struct bpf_program *p)
{
	struct bpf_insn *c, *orig;
	size_t n, i, marks = 0, changed = 0;

	c = copy_insns(p, &n);
	orig = copy_insns(p, &n);
	for (i = 0; i + 1 < n; i++)
		if (c[i].code == (BPF_LD | BPF_IMM | BPF_DW) &&
		    imm64(&c[i]) == (LA_SLOT_MARK | LA_SLOT_TEMPLATE))
			marks++;
	assert_int_equal(marks, 1);
	assert_int_equal(clone__patch(c, n, 200), 1);
	for (i = 0; i < n; i++) {
		if (!memcmp(&c[i], &orig[i], sizeof(c[i])))
			continue;
		changed++;
		assert_int_equal(imm64(&c[i]), LA_SLOT_MARK | 200);
	}
	assert_int_equal(changed, 1);
	/* patched again (a later clone from the same copy): still one */
	assert_int_equal(clone__patch(c, n, 3), 1);
	free(c);
	free(orig);
}

static void test_fentry_template_patched_once(void **state)
{
	struct lockaudit_bpf *s;
	struct bpf_insn *c;
	size_t n;

	(void)state;
	assert_int_equal(clone__register(), 0);
	s = lockaudit_bpf__open();
	assert_non_null(s);
	check_template(s->progs.la_fentry_dev);
	check_template(s->progs.la_fentry_mutex);
	check_template(s->progs.la_fentry_rwsem);
	/* the other programs carry no mark: nothing to patch */
	c = copy_insns(s->progs.la_kprobe, &n);
	assert_int_equal(clone__patch(c, n, 5), 0);
	free(c);
	c = copy_insns(s->progs.la_fexit, &n);
	assert_int_equal(clone__patch(c, n, 5), 0);
	free(c);
	lockaudit_bpf__destroy(s);
}

/* a slot's lock kind (and a rule's lock type) picks its fentry template */
static void test_template_of_kind(void **state)
{
	(void)state;
	assert_int_equal(clone__fentry_tmpl(LA_LOCK_DEV_MUTEX, LA_RLOCK_MUTEX),
			 LA_TMPL_DEV);
	/* a device's lock has no rule lock type: whatever path.lock says */
	assert_int_equal(clone__fentry_tmpl(LA_LOCK_DEV_MUTEX, LA_RLOCK_RWSEM),
			 LA_TMPL_DEV);
	assert_int_equal(clone__fentry_tmpl(LA_LOCK_PATH, LA_RLOCK_MUTEX),
			 LA_TMPL_MUTEX);
	assert_int_equal(clone__fentry_tmpl(LA_LOCK_PATH, LA_RLOCK_RWSEM),
			 LA_TMPL_RWSEM);
}

/* a 16-byte load of the mark that is a map or BTF reference (src_reg set)
 * is not a slot: left alone */
static void test_only_plain_constants(void **state)
{
	struct bpf_insn x[3] = {
		{.code = BPF_LD | BPF_IMM | BPF_DW,
		 .src_reg = BPF_PSEUDO_MAP_VALUE,
		 .imm = (int32_t)(uint32_t)(LA_SLOT_MARK | LA_SLOT_TEMPLATE)},
		{.imm = (int32_t)(uint32_t)(LA_SLOT_MARK >> 32)},
		{.code = BPF_JMP | BPF_EXIT},
	};

	(void)state;
	assert_int_equal(clone__patch(x, 3, 9), 0);
	x[0].src_reg = 0;
	assert_int_equal(clone__patch(x, 3, 9), 1);
	assert_int_equal((uint32_t)x[0].imm, (uint32_t)(LA_SLOT_MARK | 9));
	/* a clone whose exit is hooked: the races bit beside the slot */
	assert_int_equal(clone__patch(x, 3, 9 | LA_SLOT_RACES), 1);
	assert_int_equal((uint32_t)x[0].imm,
			 (uint32_t)(LA_SLOT_MARK | 9 | LA_SLOT_RACES));
	assert_int_equal((uint32_t)x[1].imm, (uint32_t)(LA_SLOT_MARK >> 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fentry_template_patched_once),
		cmocka_unit_test(test_only_plain_constants),
		cmocka_unit_test(test_template_of_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
