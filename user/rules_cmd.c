// SPDX-License-Identifier: GPL-2.0
/*
 * rules_cmd.c - `lockaudit rules [--btf FILE] [--json] FILE...`: parse and
 * resolve rule files without loading BPF, one line (or JSON object) per
 * rule, every problem as FILE:LINE:COL, a summary line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "json.h"
#include "rules.h"
#include "xalloc.h"

struct tally {
	size_t rules, resolved, absent, errors;
};

static const char *status_name(enum la_rule_status s)
{
	static const char *const names[] = {"unresolved", "resolved", "absent",
					    "error"};

	return (unsigned int)s < 4 ? names[s] : "?";
}

static void print_rule(const struct la_rule_file *f, const struct la_rule *r)
{
	char path[512];

	printf("%s:%d: %s: %s -> ", f->name, r->line, r->func, r->text);
	if (r->status == LA_RULE_ABSENT) {
		printf("skipped (not in this kernel)\n");
		return;
	}
	if (r->status != LA_RULE_RESOLVED) {
		printf("error\n");
		return;
	}
	printf("%s", rules__lock_name((enum la_rule_lock)r->path.lock));
	if (r->hold != LA_HOLD_ANY)
		printf(" (%s)", rules__hold_name(r->hold));
	printf(" at %s", rules__path_text(r, path, sizeof(path)));
	if (r->module)
		printf(" (module %s)", r->module);
	printf("\n");
}

static json_object *path_json(const struct la_rule *r)
{
	const struct la_lockpath *p = &r->path;
	json_object *o = json_object_new_object(), *offs;
	char buf[512];
	__u32 i;

	json_object_object_add(
		o, "base",
		la_json_str(p->base == LA_BASE_ARG ? "arg" : "global"));
	json_object_object_add(o, "name", la_json_str(r->base_name));
	json_object_object_add(o, "arg",
			       p->base == LA_BASE_ARG
				       ? json_object_new_int((int)p->arg)
				       : NULL);
	snprintf(buf, sizeof(buf), "0x%" PRIx64, (uint64_t)p->addr);
	json_object_object_add(
		o, "address",
		p->base == LA_BASE_GLOBAL && p->addr ? la_json_str(buf) : NULL);
	json_object_object_add(o, "derefs",
			       json_object_new_int((int)p->nr_derefs));
	offs = json_object_new_array();
	for (i = 0; i <= p->nr_derefs; i++)
		json_object_array_add(offs, json_object_new_int64(p->off[i]));
	json_object_object_add(o, "offsets", offs);
	json_object_object_add(
		o, "text", la_json_str(rules__path_text(r, buf, sizeof(buf))));
	return o;
}

static json_object *rule_json(const struct la_rule_file *f,
			      const struct la_rule *r)
{
	json_object *o = json_object_new_object(), *probs;
	bool ok = r->status == LA_RULE_RESOLVED;
	char buf[LA_DIAG_TEXT_LEN];
	size_t i;

	json_object_object_add(o, "file", la_json_str(f->name));
	json_object_object_add(o, "line", json_object_new_int(r->line));
	json_object_object_add(o, "function", la_json_str(r->func));
	json_object_object_add(o, "module",
			       r->module ? la_json_str(r->module) : NULL);
	json_object_object_add(o, "assertion", la_json_str(r->text));
	json_object_object_add(o, "status",
			       la_json_str(status_name(r->status)));
	json_object_object_add(o, "lock",
			       ok ? la_json_str(rules__lock_name(
					    (enum la_rule_lock)r->path.lock))
				  : NULL);
	json_object_object_add(o, "hold",
			       la_json_str(rules__hold_name(r->hold)));
	json_object_object_add(o, "path", ok ? path_json(r) : NULL);
	probs = json_object_new_array();
	for (i = 0; i < f->nr_diags; i++)
		if (f->diags[i].line == r->line)
			json_object_array_add(probs,
					      la_json_str(rules__diag_text(
						      f, i, buf, sizeof(buf))));
	json_object_object_add(o, "problems", probs);
	return o;
}

static void print_diags(const struct la_rule_file *f)
{
	char buf[LA_DIAG_TEXT_LEN];
	size_t i;

	for (i = 0; i < f->nr_diags; i++)
		fprintf(stderr, "%s\n",
			rules__diag_text(f, i, buf, sizeof(buf)));
}

static void count(const struct la_rule_file *f, struct tally *t)
{
	size_t i;

	t->rules += f->nr_rules;
	t->errors += f->nr_errors;
	for (i = 0; i < f->nr_rules; i++) {
		t->resolved += f->rules[i].status == LA_RULE_RESOLVED;
		t->absent += f->rules[i].status == LA_RULE_ABSENT;
	}
}

/* every rule (text lines, or one JSON object: docs/rules.schema.json),
 * then every problem */
static void output(struct la_rule_file **files, size_t n,
		   const struct la_opts *o, struct tally *t)
{
	json_object *arr = o->json_rules ? json_object_new_array() : NULL;
	json_object *doc = NULL;
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < files[i]->nr_rules; j++)
			if (arr)
				json_object_array_add(
					arr, rule_json(files[i],
						       &files[i]->rules[j]));
			else
				print_rule(files[i], &files[i]->rules[j]);
	if (arr) {
		doc = json_object_new_object();
		json_object_object_add(doc, "schema",
				       la_json_str("lockaudit.rules/1"));
		json_object_object_add(doc, "rules", arr);
		puts(json_object_to_json_string_ext(doc,
						    la_json_flags(o->pretty)));
		json_object_put(doc);
	}
	for (i = 0; i < n; i++) {
		print_diags(files[i]);
		count(files[i], t);
	}
}

/* the named files (the built-in one if none); unreadable ones said */
static size_t load_files(const struct la_opts *o, struct la_rule_file **files,
			 size_t *unreadable)
{
	size_t n = 0;
	int i;

	if (!o->nr_files) {
		files[n++] = rules__builtin();
		return n;
	}
	for (i = 0; i < o->nr_files; i++) {
		files[n] = rules__load(o->files[i]);
		if (files[n]) {
			n++;
			continue;
		}
		fail__say(LA_ERR_INPUT, "cannot read rule file '%s': %s",
			  o->files[i], strerror(errno));
		(*unreadable)++;
	}
	return n;
}

enum la_err cmd_rules(const struct la_opts *o)
{
	struct la_rule_file **files =
		xcalloc((size_t)o->nr_files + 1, sizeof(*files));
	struct tally t = {0};
	size_t n, i, unreadable = 0;
	enum la_err ret = LA_OK;
	struct la_kernel *k;
	char err[512];
	int e;

	n = load_files(o, files, &unreadable);
	k = rules__kernel_open(o->btf, o->btf ? NULL : LA_KALLSYMS, err,
			       sizeof(err));
	if (!k) {
		ret = fail__say(LA_ERR_NOBTF, "%s", err);
	} else if ((e = rules__resolve(k, files, n))) {
		ret = fail__say(LA_ERR_FAIL, "cannot read " LA_KALLSYMS ": %s",
				strerror(-e));
	}
	if (ret == LA_OK)
		output(files, n, o, &t);
	else
		for (i = 0; i < n; i++) /* the parse problems at least */
			print_diags(files[i]);
	if (ret == LA_OK) {
		t.errors += unreadable;
		fprintf(stderr,
			"%zu rules: %zu resolved, %zu absent from this kernel, "
			"%zu errors\n",
			t.rules, t.resolved, t.absent, t.errors);
		if (t.errors)
			ret = LA_ERR_INPUT;
	}
	for (i = 0; i < n; i++)
		rules__free(files[i]);
	free(files);
	rules__kernel_free(k);
	return ret;
}
