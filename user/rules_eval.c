// SPDX-License-Identifier: GPL-2.0
/*
 * rules_eval.c - a lock expression evaluated against BTF into a path
 * (parameter or global, member offsets, dereferences), every wrong step
 * reported at its column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "rules_eval.h"

#define LA_MAX_PARAM 5 /* parameters 0..5 are read from registers */

bool eval__fail(struct la_eval *c, int col, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->failed)
		rules__diag(c->f, c->r->line, col, true, "%s", msg);
	c->failed = true;
	return false;
}

__u32 eval__strip(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	return id;
}

static const char *tname(const struct btf *btf, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(btf, t->name_off);

	return n && *n ? n : "(anonymous)";
}

static char *type_text(const struct btf *btf, __u32 id, int ptrs, char *buf,
		       size_t len)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	size_t n;

	if (!id || !t)
		snprintf(buf, len, "void");
	else if (btf_is_ptr(t))
		return type_text(btf, t->type, ptrs + 1, buf, len);
	else if (btf_is_mod(t))
		return type_text(btf, t->type, ptrs, buf, len);
	else if (btf_is_struct(t) || btf_is_union(t) || btf_is_any_enum(t))
		snprintf(buf, len, "%s %s",
			 btf_is_struct(t)  ? "struct"
			 : btf_is_union(t) ? "union"
					   : "enum",
			 tname(btf, t));
	else if (btf_is_array(t))
		snprintf(buf, len, "an array");
	else if (btf_is_func_proto(t))
		snprintf(buf, len, "a function");
	else
		snprintf(buf, len, "%s", tname(btf, t));
	n = strlen(buf);
	if (ptrs > 0 && n < len)
		snprintf(buf + n, len - n, " %.*s", ptrs, "**********");
	return buf;
}

char *eval__type_text(const struct la_eval *c, const struct la_val *v,
		      char *buf, size_t len)
{
	return type_text(c->btf, v->type, v->ptrs, buf, len);
}

bool eval__pointee(const struct la_eval *c, const struct la_val *v, __u32 *id,
		   int *ptrs)
{
	const struct btf_type *t;

	if (v->ptrs > 0) {
		*id = v->type;
		*ptrs = v->ptrs - 1;
		return true;
	}
	t = btf__type_by_id(c->btf, eval__strip(c->btf, v->type));
	if (!t || !btf_is_ptr(t))
		return false;
	*id = t->type;
	*ptrs = 0;
	return true;
}

bool eval__load(struct la_eval *c, struct la_val *v, int col)
{
	if (!v->lvalue)
		return true;
	if (v->p.nr_derefs >= LA_RULE_MAX_DEREFS)
		return eval__fail(c, col,
				  "more than %d dereferences: a lock path "
				  "follows at most %d pointers",
				  LA_RULE_MAX_DEREFS, LA_RULE_MAX_DEREFS);
	v->p.off[++v->p.nr_derefs] = 0;
	v->lvalue = false;
	return true;
}

/* name in the struct/union id, anonymous members searched too */
static bool find_member(const struct btf *btf, __u32 id, const char *name,
			__u32 *bit_off, __u32 *type, bool *bitfield)
{
	const struct btf_type *t = btf__type_by_id(btf, eval__strip(btf, id));
	const struct btf_member *m;
	__u32 i;

	if (!t || !(btf_is_struct(t) || btf_is_union(t)))
		return false;
	for (i = 0, m = btf_members(t); i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		__u32 off = btf_member_bit_offset(t, i);

		if (mn && *mn && !strcmp(mn, name)) {
			*bit_off = off;
			*type = m->type;
			*bitfield = btf_member_bitfield_size(t, i) != 0;
			return true;
		}
		if ((!mn || !*mn) &&
		    find_member(btf, m->type, name, bit_off, type, bitfield)) {
			*bit_off += off;
			return true;
		}
	}
	return false;
}

bool eval__member(struct la_eval *c, struct la_val *v, const char *name,
		  int col)
{
	const struct btf_type *t =
		btf__type_by_id(c->btf, eval__strip(c->btf, v->type));
	__u32 bit_off, type;
	bool bitfield;
	char buf[128];

	eval__type_text(c, v, buf, sizeof(buf));
	if (v->ptrs || !t || !(btf_is_struct(t) || btf_is_union(t)))
		return eval__fail(c, col,
				  "no member '%s' in %s: not a struct or union",
				  name, buf);
	if (!find_member(c->btf, v->type, name, &bit_off, &type, &bitfield))
		return eval__fail(c, col, "no member '%s' in %s", name, buf);
	if (bitfield || bit_off % 8)
		return eval__fail(c, col, "'%s' is a bitfield of %s", name,
				  buf);
	v->p.off[v->p.nr_derefs] += bit_off / 8;
	v->type = type;
	return true;
}

/* sub->name: through a pointer */
static bool eval_arrow(struct la_eval *c, const struct la_expr *e,
		       struct la_val *v)
{
	char buf[128];
	__u32 id;
	int ptrs;

	if (!eval__expr(c, e->sub, v))
		return false;
	if (!eval__pointee(c, v, &id, &ptrs))
		return eval__fail(c, e->op_col,
				  "'->' on a non-pointer (%s): use '.'",
				  eval__type_text(c, v, buf, sizeof(buf)));
	if (!eval__load(c, v, e->op_col))
		return false;
	v->lvalue = true;
	v->type = id;
	v->ptrs = ptrs;
	return eval__member(c, v, e->name, e->col);
}

/* sub.name: within an object */
static bool eval_dot(struct la_eval *c, const struct la_expr *e,
		     struct la_val *v)
{
	char buf[128];
	__u32 id;
	int ptrs;

	if (!eval__expr(c, e->sub, v))
		return false;
	if (eval__pointee(c, v, &id, &ptrs))
		return eval__fail(c, e->op_col,
				  "'.' on a pointer (%s): use '->'",
				  eval__type_text(c, v, buf, sizeof(buf)));
	if (!v->lvalue)
		return eval__fail(c, e->op_col,
				  "'.' on a value (%s), not an object",
				  eval__type_text(c, v, buf, sizeof(buf)));
	return eval__member(c, v, e->name, e->col);
}

/* "dev, attr, input_id" */
static void param_names(const struct la_eval *c, char *buf, size_t len)
{
	const struct btf_param *p = btf_params(c->proto);
	__u16 i, n = btf_vlen(c->proto);
	size_t used = 0;

	buf[0] = 0;
	for (i = 0; i < n && used < len; i++, p++)
		used += (size_t)snprintf(
			buf + used, len - used, "%s%s", i ? ", " : "",
			btf__name_by_offset(c->btf, p->name_off));
	if (!n)
		snprintf(buf, len, "none");
}

/* a parameter whose value is not in one register of its own */
static bool by_value(const struct la_eval *c, __u32 type)
{
	const struct btf_type *t =
		btf__type_by_id(c->btf, eval__strip(c->btf, type));

	return t && (btf_is_struct(t) || btf_is_union(t) ||
		     (btf_is_int(t) && t->size > 8));
}

static bool eval_param(struct la_eval *c, const struct la_expr *e,
		       struct la_val *v, __u16 idx)
{
	const struct btf_param *p = btf_params(c->proto);
	const char *func = c->r->func;
	__u16 i;

	for (i = 0; i < idx; i++)
		if (by_value(c, p[i].type))
			return eval__fail(
				c, e->col,
				"parameter '%s' of %s comes after '%s', a "
				"struct passed by value: its register is not "
				"known",
				e->name, func,
				btf__name_by_offset(c->btf, p[i].name_off));
	if (by_value(c, p[idx].type))
		return eval__fail(c, e->col,
				  "parameter '%s' of %s is a struct passed by "
				  "value: not in one register",
				  e->name, func);
	if (idx > LA_MAX_PARAM)
		return eval__fail(c, e->col,
				  "parameter '%s' is number %u of %s: only "
				  "parameters 0..%d are read (registers)",
				  e->name, idx, func, LA_MAX_PARAM);
	v->p.base = LA_BASE_ARG;
	v->p.arg = idx;
	v->type = p[idx].type;
	v->name = e->name;
	return true;
}

/*
 * A parameter, else a global: typed by a BTF VAR, else only as the operand
 * of "(struct NAME *)&" (cast_addr), its address from kallsyms.
 */
static bool eval_ident(struct la_eval *c, const struct la_expr *e,
		       struct la_val *v, bool cast_addr)
{
	const struct btf_param *p = btf_params(c->proto);
	const struct la_sym *sym = kernel__sym(c->k, e->name);
	bool ks = kernel__has_kallsyms(c->k);
	char params[256];
	__s32 var;
	__u16 i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < btf_vlen(c->proto); i++)
		if (!strcmp(btf__name_by_offset(c->btf, p[i].name_off),
			    e->name))
			return eval_param(c, e, v, i);
	var = btf__find_by_name_kind(c->btf, e->name, BTF_KIND_VAR);
	v->p.base = LA_BASE_GLOBAL;
	v->p.addr = sym ? sym->addr : 0;
	v->name = e->name;
	v->lvalue = true;
	if (var > 0) {
		v->type = btf__type_by_id(c->btf, (__u32)var)->type;
		return true;
	}
	if (cast_addr && ks && !sym)
		return eval__fail(c, e->col,
				  "no symbol '%s' in %s (data symbols need "
				  "CONFIG_KALLSYMS_ALL)",
				  e->name, kernel__kallsyms_path(c->k));
	if (cast_addr) {
		v->untyped = true;
		return true;
	}
	if (sym)
		return eval__fail(c, e->col,
				  "global '%s' has no type in BTF: write it as "
				  "a cast, e.g. (struct mutex *)&%s",
				  e->name, e->name);
	param_names(c, params, sizeof(params));
	return eval__fail(c, e->col,
			  "unknown parameter '%s' (%s's parameters: "
			  "%s)%s",
			  e->name, c->r->func, params,
			  ks ? ""
			     : "; a global without a BTF type needs a cast: "
			       "(struct NAME *)&NAME");
}

/* (struct NAME *)sub */
static bool eval_cast(struct la_eval *c, const struct la_expr *e,
		      struct la_val *v)
{
	const struct la_expr *s = e->sub;
	char buf[128];
	__s32 id;

	if (s->kind == LA_E_ADDR && s->sub->kind == LA_E_IDENT) {
		if (!eval_ident(c, s->sub, v, true))
			return false;
		v->lvalue = false;
		v->ptrs++;
	} else if (!eval__expr(c, s, v)) {
		return false;
	}
	if (v->lvalue) {
		__u32 pid;
		int ptrs;

		if (!eval__pointee(c, v, &pid, &ptrs))
			return eval__fail(
				c, e->col, "a cast needs a pointer, not %s",
				eval__type_text(c, v, buf, sizeof(buf)));
		if (!eval__load(c, v, e->col))
			return false;
	}
	id = btf__find_by_name_kind(c->btf, e->name,
				    e->is_union ? BTF_KIND_UNION
						: BTF_KIND_STRUCT);
	if (id <= 0)
		return eval__fail(c, e->col, "no %s %s in BTF",
				  e->is_union ? "union" : "struct", e->name);
	v->type = (__u32)id;
	v->ptrs = 1;
	v->untyped = false;
	return true;
}

bool eval__expr(struct la_eval *c, const struct la_expr *e, struct la_val *v)
{
	switch (e->kind) {
	case LA_E_IDENT:
		return eval_ident(c, e, v, false);
	case LA_E_ARROW:
		return eval_arrow(c, e, v);
	case LA_E_DOT:
		return eval_dot(c, e, v);
	case LA_E_ADDR:
		if (!eval__expr(c, e->sub, v))
			return false;
		if (!v->lvalue)
			return eval__fail(c, e->col,
					  "'&' needs an object, not a value "
					  "(a parameter is a value)");
		v->lvalue = false;
		v->ptrs++;
		return true;
	case LA_E_CAST:
		return eval_cast(c, e, v);
	}
	return eval__fail(c, e->col, "bad expression");
}
