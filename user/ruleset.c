// SPDX-License-Identifier: GPL-2.0
/*
 * ruleset.c - rule files into the watch list: parsed before anything is
 * loaded (hook names, FILE:LINE), resolved against the running kernel once
 * its symbols are read (ruleset.h)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "ruleset.h"
#include "xalloc.h"

struct la_rules {
	struct la_rule_file *files[LA_MAX_RULE_FILES];
	size_t nr_files;
	bool builtin;
};

static void print_diags(const struct la_rule_file *f, bool warnings)
{
	char buf[LA_DIAG_TEXT_LEN];

	for (size_t i = 0; i < f->nr_diags; i++)
		if (f->diags[i].error || warnings)
			fprintf(stderr, "%s\n",
				rules__diag_text(f, i, buf, sizeof(buf)));
}

/* rule r of file f as the programs will be given it, unresolved */
static int add_rule(struct la_ruleset *rs, const struct la_rule_file *f,
		    const struct la_rule *r, char *err, size_t errlen)
{
	struct la_hook_def *d;

	if (rs->nr == LA_MAX_HOOKS) {
		snprintf(err, errlen, "%s:%d: more than %d rules in one run",
			 f->name, r->line, LA_MAX_HOOKS);
		return -E2BIG;
	}
	d = &rs->def[rs->nr++];
	memset(d, 0, sizeof(*d));
	snprintf(d->func, sizeof(d->func), "%s", r->func);
	snprintf(d->rule, sizeof(d->rule), "%s", r->text);
	snprintf(d->src, sizeof(d->src), "%s:%d", f->name, r->line);
	d->lock = r->assert == LA_A_DEVICE_LOCK && r->arg &&
				  r->arg->kind == LA_E_IDENT
			  ? LA_LOCK_DEV_MUTEX
			  : LA_LOCK_PATH;
	d->path.hold = r->hold;
	return 0;
}

static struct la_rule_file *open_file(struct la_rules *rr, const char *path,
				      char *err, size_t errlen)
{
	struct la_rule_file *f = path ? rules__load(path) : rules__builtin();

	if (!f) {
		snprintf(err, errlen, "cannot read rule file '%s': %s",
			 path ? path : LA_RULES_BUILTIN_NAME, strerror(errno));
		return NULL;
	}
	rr->files[rr->nr_files++] = f;
	if (f->nr_errors) {
		print_diags(f, true);
		snprintf(err, errlen, "%s: %zu error%s in the rules", f->name,
			 f->nr_errors, f->nr_errors == 1 ? "" : "s");
		return NULL;
	}
	return f;
}

struct la_rules *ruleset__load(char *const *paths, size_t n,
			       struct la_ruleset *rs, char *err, size_t errlen)
{
	struct la_rules *rr = xcalloc(1, sizeof(*rr));
	size_t i, j;

	memset(rs, 0, sizeof(*rs));
	if (n > LA_MAX_RULE_FILES) {
		snprintf(err, errlen, "at most %d rule files",
			 LA_MAX_RULE_FILES);
		goto fail;
	}
	rr->builtin = !n;
	for (i = 0; i < (n ? n : 1); i++) {
		struct la_rule_file *f =
			open_file(rr, n ? paths[i] : NULL, err, errlen);

		if (!f)
			goto fail;
		for (j = 0; j < f->nr_rules; j++)
			if (add_rule(rs, f, &f->rules[j], err, errlen))
				goto fail;
	}
	if (!rs->nr) {
		snprintf(err, errlen, "%s: no rule in the rule file%s",
			 rr->files[0]->name, n > 1 ? "s" : "");
		goto fail;
	}
	return rr;
fail:
	ruleset__free(rr);
	return NULL;
}

void ruleset__free(struct la_rules *rr)
{
	if (!rr)
		return;
	for (size_t i = 0; i < rr->nr_files; i++)
		rules__free(rr->files[i]);
	free(rr);
}

size_t ruleset__names(const struct la_rules *rr, const char **names, size_t max)
{
	size_t n = 0;

	if (max)
		names[n++] = "rtnl_mutex";
	for (size_t i = 0; i < rr->nr_files; i++)
		for (size_t j = 0; j < rr->files[i]->nr_rules; j++) {
			const char *b =
				rules__base_ident(rr->files[i]->rules[j].arg);
			size_t k;

			for (k = 0; b && k < n; k++)
				if (!strcmp(names[k], b))
					break;
			if (b && k == n && n < max)
				names[n++] = b;
		}
	return n;
}

/* the rule a hook was made from, by FILE:LINE */
static const struct la_rule *rule_of(const struct la_rules *rr,
				     const struct la_hook_def *d)
{
	char src[LA_SRC_LEN];

	for (size_t i = 0; i < rr->nr_files; i++) {
		const struct la_rule_file *f = rr->files[i];

		for (size_t j = 0; j < f->nr_rules; j++) {
			snprintf(src, sizeof(src), "%s:%d", f->name,
				 f->rules[j].line);
			if (!strcmp(src, d->src) &&
			    !strcmp(f->rules[j].func, d->func))
				return &f->rules[j];
		}
	}
	return NULL;
}

int ruleset__resolve(struct la_rules *rr, struct la_hooks *h, const char *btf,
		     la_sym_lookup lookup, void *arg, char *err, size_t errlen)
{
	struct la_kernel *k = rules__kernel_open(btf, NULL, err, errlen);
	size_t i, errors = 0;
	int ret;

	if (!k)
		return -ENOENT;
	rules__kernel_set_lookup(k, lookup, arg);
	ret = rules__resolve(k, rr->files, rr->nr_files);
	rules__kernel_free(k);
	if (ret) {
		snprintf(err, errlen, "cannot read the kernel's symbols: %s",
			 strerror(-ret));
		return ret;
	}
	for (i = 0; i < rr->nr_files; i++) {
		print_diags(rr->files[i], !rr->builtin);
		errors += rr->files[i]->nr_errors;
	}
	if (errors) {
		snprintf(err, errlen,
			 "%zu rule%s cannot be checked on this "
			 "kernel",
			 errors, errors == 1 ? "" : "s");
		return -EINVAL;
	}
	for (i = 0; i < h->nr; i++) {
		struct la_hook_def *d = &h->def[i];
		const struct la_rule *r = rule_of(rr, d);

		if (!r || r->status != LA_RULE_RESOLVED)
			continue; /* absent from this kernel: not attached */
		d->path = r->path;
		d->arg = r->path.base == LA_BASE_ARG ? r->path.arg : 0;
		if (d->lock == LA_LOCK_PATH && r->path.base == LA_BASE_GLOBAL &&
		    !r->path.addr) {
			snprintf(err, errlen,
				 "%s: %s: the address of %s is not in "
				 "kallsyms",
				 d->src, d->func, r->base_name);
			return -ENOENT;
		}
	}
	return 0;
}
