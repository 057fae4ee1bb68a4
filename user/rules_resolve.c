// SPDX-License-Identifier: GPL-2.0
/*
 * rules_resolve.c - each parsed rule against the kernel: is its function
 * there (BTF, kallsyms), where is the lock its assertion names, is that a
 * lock lockaudit can read; the resolved path as text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "rules_eval.h"
#include "xalloc.h"

/* the object (a struct NAME) that D in assert(D) points to, then member */
static bool through(struct la_eval *c, struct la_val *v, const char *want,
		    const char *member)
{
	struct la_rule *r = c->r;
	const struct btf_type *t;
	char buf[128];
	__u32 id;
	int ptrs;

	if (!eval__expr(c, r->arg, v))
		return false;
	t = eval__pointee(c, v, &id, &ptrs) && !ptrs
		    ? btf__type_by_id(c->btf, eval__strip(c->btf, id))
		    : NULL;
	if (!t || !btf_is_struct(t) ||
	    strcmp(btf__name_by_offset(c->btf, t->name_off), want))
		return eval__fail(c, r->arg_col,
				  "%s needs a struct %s *, not %s",
				  rules__assert_name(r->assert), want,
				  eval__type_text(c, v, buf, sizeof(buf)));
	if (!eval__load(c, v, r->arg_col))
		return false;
	v->lvalue = true;
	v->type = id;
	v->ptrs = 0;
	return eval__member(c, v, member, r->arg_col);
}

/* lockdep_assert_held*(P): the object P points to */
static bool pointed(struct la_eval *c, struct la_val *v)
{
	struct la_rule *r = c->r;
	char buf[128];
	__u32 id;
	int ptrs;

	if (!eval__expr(c, r->arg, v))
		return false;
	if (!eval__pointee(c, v, &id, &ptrs))
		return eval__fail(c, r->arg_col,
				  "%s needs a pointer to the lock, not %s: "
				  "write '&' before it",
				  rules__assert_name(r->assert),
				  eval__type_text(c, v, buf, sizeof(buf)));
	if (!eval__load(c, v, r->arg_col))
		return false;
	v->lvalue = true;
	v->type = id;
	v->ptrs = ptrs;
	return true;
}

/* ASSERT_RTNL(): the global rtnl_mutex, a struct mutex */
static bool rtnl(struct la_eval *c, struct la_val *v)
{
	const struct la_sym *sym = kernel__sym(c->k, "rtnl_mutex");
	__s32 id = btf__find_by_name_kind(c->btf, "mutex", BTF_KIND_STRUCT);

	if (kernel__has_kallsyms(c->k) && !sym)
		return eval__fail(c, c->r->assert_col,
				  "no symbol 'rtnl_mutex' in %s (data "
				  "symbols need CONFIG_KALLSYMS_ALL)",
				  kernel__kallsyms_path(c->k));
	if (id <= 0)
		return eval__fail(c, c->r->assert_col,
				  "no struct mutex in BTF");
	memset(v, 0, sizeof(*v));
	v->lvalue = true;
	v->type = (__u32)id;
	v->p.base = LA_BASE_GLOBAL;
	v->p.addr = sym ? sym->addr : 0;
	v->name = "rtnl_mutex";
	return true;
}

static bool is_named(const struct btf *btf, const struct btf_type *t,
		     const char *const *names)
{
	const char *n = btf__name_by_offset(btf, t->name_off);

	for (; n && *names; names++)
		if (!strcmp(n, *names))
			return true;
	return false;
}

/* "spinlock_t" or "struct spinlock" if the object v is a spinlock */
static const char *spin_name(const struct la_eval *c, const struct la_val *v,
			     char *buf, size_t len)
{
	static const char *const typedefs[] = {"spinlock_t", "raw_spinlock_t",
					       "arch_spinlock_t", NULL};
	static const char *const structs[] = {"spinlock", "raw_spinlock",
					      "qspinlock", NULL};
	const struct btf_type *t = btf__type_by_id(c->btf, v->type);

	if (v->ptrs)
		return NULL;
	for (; t && (btf_is_mod(t) || btf_is_typedef(t));
	     t = btf__type_by_id(c->btf, t->type))
		if (btf_is_typedef(t) && is_named(c->btf, t, typedefs))
			return btf__name_by_offset(c->btf, t->name_off);
	if (t && btf_is_struct(t) && is_named(c->btf, t, structs))
		return eval__type_text(c, v, buf, len);
	return NULL;
}

/* the lock object v: a mutex or an rwsem, else why not */
static bool lock_kind(struct la_eval *c, struct la_val *v, int col)
{
	static const char *const mutex[] = {"mutex", NULL};
	static const char *const rwsem[] = {"rw_semaphore", NULL};
	const struct btf_type *t =
		btf__type_by_id(c->btf, eval__strip(c->btf, v->type));
	char buf[128];
	const char *spin = spin_name(c, v, buf, sizeof(buf));

	if (spin)
		return eval__fail(c, col,
				  "unsupported lock type %s: spinlocks record "
				  "no owner on production kernels",
				  spin);
	if (!v->ptrs && t && btf_is_struct(t) && is_named(c->btf, t, mutex))
		v->p.lock = LA_RLOCK_MUTEX;
	else if (!v->ptrs && t && btf_is_struct(t) &&
		 is_named(c->btf, t, rwsem))
		v->p.lock = LA_RLOCK_RWSEM;
	else
		return eval__fail(c, col,
				  "the lock is %s, not struct mutex or struct "
				  "rw_semaphore",
				  eval__type_text(c, v, buf, sizeof(buf)));
	if (v->p.lock == LA_RLOCK_MUTEX && c->r->hold == LA_HOLD_READ)
		return eval__fail(c, c->r->assert_col,
				  "%s on a struct mutex: mutexes have no "
				  "readers",
				  rules__assert_name(c->r->assert));
	return true;
}

static bool find_lock(struct la_eval *c, struct la_val *v)
{
	switch (c->r->assert) {
	case LA_A_DEVICE_LOCK:
		return through(c, v, "device", "mutex");
	case LA_A_MMAP_LOCKED:
	case LA_A_MMAP_WRITE_LOCKED:
		return through(c, v, "mm_struct", "mmap_lock");
	case LA_A_RTNL:
		return rtnl(c, v);
	default:
		return pointed(c, v);
	}
}

/* the function: in BTF (vmlinux's or its module's) and in kallsyms? */
static struct btf *find_func(struct la_eval *c, __s32 *fid)
{
	struct la_rule *r = c->r;
	const struct la_sym *sym = kernel__sym(c->k, r->func);
	struct btf *btf = kernel__btf(c->k, NULL), *mb;

	*fid = btf__find_by_name_kind(btf, r->func, BTF_KIND_FUNC);
	if (*fid < 0 && sym && sym->module &&
	    (mb = kernel__btf(c->k, sym->module))) {
		btf = mb;
		*fid = btf__find_by_name_kind(btf, r->func, BTF_KIND_FUNC);
		r->module = xstrdup(sym->module);
	}
	if (*fid < 0 && !sym) {
		rules__diag(c->f, r->line, r->func_col, false,
			    "%s: not in this kernel (rule skipped)", r->func);
		r->status = LA_RULE_ABSENT;
		return NULL;
	}
	if (*fid < 0)
		eval__fail(c, r->func_col,
			   "%s is in kallsyms but not in BTF: its parameters "
			   "are unknown",
			   r->func);
	else if (kernel__has_kallsyms(c->k) && !sym)
		eval__fail(c, r->func_col,
			   "%s is in BTF but not in kallsyms: inlined "
			   "everywhere, nothing to attach to",
			   r->func);
	return c->failed ? NULL : btf;
}

static void resolve_rule(struct la_kernel *k, struct la_rule_file *f,
			 struct la_rule *r)
{
	struct la_eval c = {.k = k, .f = f, .r = r};
	struct la_val v;
	__s32 fid;

	memset(&v, 0, sizeof(v));
	c.btf = find_func(&c, &fid);
	if (!c.btf) {
		if (r->status != LA_RULE_ABSENT)
			r->status = LA_RULE_ERROR;
		return;
	}
	c.proto = btf__type_by_id(c.btf,
				  btf__type_by_id(c.btf, (__u32)fid)->type);
	if (!find_lock(&c, &v) ||
	    !lock_kind(&c, &v, r->arg ? r->arg_col : r->assert_col)) {
		r->status = LA_RULE_ERROR;
		return;
	}
	r->path = v.p;
	r->path.hold = r->hold;
	r->base_name = xstrdup(v.name);
	r->status = LA_RULE_RESOLVED;
}

const char *rules__base_ident(const struct la_expr *e)
{
	while (e && e->sub)
		e = e->sub;
	return e && e->kind == LA_E_IDENT ? e->name : NULL;
}

int rules__resolve(struct la_kernel *k, struct la_rule_file **files, size_t n)
{
	size_t i, j;
	int err;

	for (i = 0; i < n; i++)
		for (j = 0; j < files[i]->nr_rules; j++) {
			const struct la_rule *r = &files[i]->rules[j];

			kernel__want(k, r->func);
			if (rules__base_ident(r->arg))
				kernel__want(k, rules__base_ident(r->arg));
		}
	kernel__want(k, "rtnl_mutex");
	err = kernel__read_kallsyms(k);
	if (err)
		return err;
	for (i = 0; i < n; i++) {
		for (j = 0; j < files[i]->nr_rules; j++)
			resolve_rule(k, files[i], &files[i]->rules[j]);
		rules__sort_diags(files[i]);
	}
	return 0;
}

char *rules__path_text(const struct la_rule *r, char *buf, size_t len)
{
	const struct la_lockpath *p = &r->path;
	char tmp[256], base[128];
	__u32 i;

	if (p->base == LA_BASE_ARG)
		snprintf(base, sizeof(base), "arg%u(%s)", p->arg, r->base_name);
	else if (p->addr)
		snprintf(base, sizeof(base), "%s(0x%" PRIx64 ")", r->base_name,
			 (uint64_t)p->addr);
	else
		snprintf(base, sizeof(base), "%s(address at attach time)",
			 r->base_name);
	snprintf(buf, len, "%s", base);
	for (i = 0; i <= p->nr_derefs && i <= LA_RULE_MAX_DEREFS; i++) {
		__s64 o = p->off[i];

		snprintf(tmp, sizeof(tmp), "%s%s%s0x%" PRIx64 "%s",
			 i < p->nr_derefs ? "*(" : "", buf, o < 0 ? " -" : " +",
			 o < 0 ? -(uint64_t)o : (uint64_t)o,
			 i < p->nr_derefs ? ")" : "");
		snprintf(buf, len, "%s", tmp);
	}
	return buf;
}
