/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules_eval.h - evaluating a lock expression against BTF (rules_eval.c),
 * as the per-rule resolution (rules_resolve.c) uses it.
 */
#ifndef LA_RULES_EVAL_H
#define LA_RULES_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "rules_kernel.h"

struct btf;
struct btf_type;

/* a value or an object while an expression is evaluated */
struct la_val {
	bool lvalue;  /* an object at the path's address, else a value equal
		       * to it */
	bool untyped; /* a global BTF has no type for (inside a cast only) */
	__u32 type;   /* BTF id of the object's or the value's type */
	int ptrs;     /* pointer levels above type (from '&' and casts) */
	struct la_lockpath p;
	const char *name; /* the base: a parameter or a global */
};

/* one rule being resolved */
struct la_eval {
	struct la_kernel *k;
	struct btf *btf; /* vmlinux's, or the function's module's */
	struct la_rule_file *f;
	struct la_rule *r;
	const struct btf_type *proto; /* the function's prototype */
	bool failed;		      /* a problem was reported */
};

/* Evaluate e into v; false after reporting a problem. */
bool eval__expr(struct la_eval *c, const struct la_expr *e, struct la_val *v);
/* Report an error of the rule at col (the first one only); false. */
bool eval__fail(struct la_eval *c, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The pointee of a pointer value or object; false if not a pointer. */
bool eval__pointee(const struct la_eval *c, const struct la_val *v, __u32 *id,
		   int *ptrs);
/* A pointer object -> its value (one more dereference). */
bool eval__load(struct la_eval *c, struct la_val *v, int col);
/* The struct/union object v -> its member name. */
bool eval__member(struct la_eval *c, struct la_val *v, const char *name,
		  int col);
/* typedefs and modifiers skipped */
__u32 eval__strip(const struct btf *btf, __u32 id);
/* The C spelling of v's type: "struct device *". */
char *eval__type_text(const struct la_eval *c, const struct la_val *v,
		      char *buf, size_t len);

#endif
