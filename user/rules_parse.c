// SPDX-License-Identifier: GPL-2.0
/*
 * rules_parse.c - a rule file from text: "FUNCTION: ASSERTION" lines and
 * the @pass/@core directives, every problem with its line:column
 * (docs/rules.md).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"
#include "xalloc.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *name;
	bool has_arg;
	enum la_rule_hold hold;
} asserts[LA_NR_ASSERTS] = {
	[LA_A_HELD] = {"lockdep_assert_held", true, LA_HOLD_ANY},
	[LA_A_HELD_WRITE] = {"lockdep_assert_held_write", true, LA_HOLD_WRITE},
	[LA_A_HELD_READ] = {"lockdep_assert_held_read", true, LA_HOLD_READ},
	[LA_A_DEVICE_LOCK] = {"device_lock_assert", true, LA_HOLD_ANY},
	[LA_A_RTNL] = {"ASSERT_RTNL", false, LA_HOLD_ANY},
	[LA_A_MMAP_LOCKED] = {"mmap_assert_locked", true, LA_HOLD_ANY},
	[LA_A_MMAP_WRITE_LOCKED] = {"mmap_assert_write_locked", true,
				    LA_HOLD_WRITE},
};

const char *rules__assert_name(enum la_assert a)
{
	return (unsigned int)a < LA_NR_ASSERTS ? asserts[a].name : "?";
}

const char *rules__hold_name(enum la_rule_hold h)
{
	static const char *const names[] = {"any", "write", "read"};

	return (unsigned int)h < ARRAY_SIZE(names) ? names[h] : "?";
}

const char *rules__lock_name(enum la_rule_lock l)
{
	return l == LA_RLOCK_MUTEX   ? "mutex"
	       : l == LA_RLOCK_RWSEM ? "rwsem"
				     : "?";
}

char *rules__diag_text(const struct la_rule_file *f, size_t i, char *buf,
		       size_t len)
{
	const struct la_diag *d = &f->diags[i];

	snprintf(buf, len, "%s:%d:%d: %s: %s", f->name, d->line, d->col,
		 d->error ? "error" : "warning", d->msg);
	return buf;
}

void rules__diag(struct la_rule_file *f, int line, int col, bool error,
		 const char *fmt, ...)
{
	struct la_diag *d;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->diags = xrealloc(f->diags, (f->nr_diags + 1) * sizeof(*f->diags));
	d = &f->diags[f->nr_diags++];
	d->line = line;
	d->col = col;
	d->error = error;
	d->msg = xstrdup(msg);
	if (error)
		f->nr_errors++;
	else
		f->nr_warnings++;
}

void rules__sort_diags(struct la_rule_file *f)
{
	size_t i, j;

	/* insertion sort: stable, and a file has few problems */
	for (i = 1; i < f->nr_diags; i++) {
		struct la_diag d = f->diags[i];

		for (j = i; j > 0 && (f->diags[j - 1].line > d.line ||
				      (f->diags[j - 1].line == d.line &&
				       f->diags[j - 1].col > d.col));
		     j--)
			f->diags[j] = f->diags[j - 1];
		f->diags[j] = d;
	}
}

static void known_asserts(char *buf, size_t len)
{
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < LA_NR_ASSERTS && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
				      asserts[i].name);
}

static int find_assert(const struct la_lex *lx)
{
	size_t i;

	for (i = 0; i < LA_NR_ASSERTS; i++)
		if (strlen(asserts[i].name) == lx->tok.n &&
		    !memcmp(asserts[i].name, lx->tok.p, lx->tok.n))
			return (int)i;
	return -1;
}

/* nothing but a comment may follow */
static bool expect_end(struct la_lex *lx, const char *after)
{
	char what[80];

	if (lx->tok.type == T_EOF)
		return true;
	return lex__error(lx, lx->tok.col, "unexpected %s after %s",
			  lex__what(lx, what, sizeof(what)), after);
}

/* ASSERTION '(' [expression] ')', into r */
static bool parse_assertion(struct la_lex *lx, struct la_rule *r)
{
	char what[80], known[256];
	int a = find_assert(lx);
	const char *name;

	if (lx->tok.type != T_IDENT)
		return lex__error(lx, lx->tok.col,
				  "expected an assertion after ':', not %s",
				  lex__what(lx, what, sizeof(what)));
	known_asserts(known, sizeof(known));
	if (a < 0)
		return lex__error(lx, lx->tok.col,
				  "unknown assertion '%.*s' (known: %s)",
				  (int)lx->tok.n, lx->tok.p, known);
	r->assert = (enum la_assert)a;
	r->assert_col = lx->tok.col;
	r->hold = asserts[a].hold;
	name = asserts[a].name;
	lex__next(lx);
	if (lx->tok.type != T_LP)
		return lex__error(lx, lx->tok.col,
				  "expected '(' after %s, not %s", name,
				  lex__what(lx, what, sizeof(what)));
	lex__next(lx);
	if (!asserts[a].has_arg && lx->tok.type != T_RP)
		return lex__error(lx, lx->tok.col, "%s() takes no argument",
				  name);
	if (asserts[a].has_arg) {
		r->arg_col = lx->tok.col;
		r->arg = expr__parse(lx);
		if (!r->arg)
			return false;
	}
	if (lx->tok.type != T_RP)
		return lex__error(lx, lx->tok.col,
				  "expected ')' after the argument of %s, not "
				  "%s",
				  name, lex__what(lx, what, sizeof(what)));
	lex__next(lx);
	return expect_end(lx, "the assertion");
}

/* FUNCTION ':' ASSERTION */
static void parse_rule(struct la_lex *lx, struct la_rule_file *f)
{
	struct la_rule r = {.line = lx->line};
	const char *start;
	char what[80];

	if (lx->tok.type != T_IDENT) {
		lex__error(lx, lx->tok.col, "expected a function name, not %s",
			   lex__what(lx, what, sizeof(what)));
		return;
	}
	r.func = lex__dup(lx);
	r.func_col = lx->tok.col;
	lex__next(lx);
	if (lx->tok.type != T_COLON) {
		lex__error(lx, lx->tok.col, "expected ':' after '%s', not %s",
			   r.func, lex__what(lx, what, sizeof(what)));
		free(r.func);
		return;
	}
	lex__next(lx);
	start = lx->tok.p;
	if (!parse_assertion(lx, &r)) {
		free(r.func);
		expr__free(r.arg);
		return;
	}
	/* the assertion as written: up to the end of its ')' */
	r.text = xcalloc(1, (size_t)(lx->s + lx->pos - start) + 1);
	memcpy(r.text, start, (size_t)(lx->s + lx->pos - start));
	r.text[strcspn(r.text, "#")] = 0;
	while (*r.text && strchr(" \t\r", r.text[strlen(r.text) - 1]))
		r.text[strlen(r.text) - 1] = 0;
	f->rules = xrealloc(f->rules, (f->nr_rules + 1) * sizeof(r));
	f->rules[f->nr_rules++] = r;
}

/* @pass FUNC... */
static void parse_pass(struct la_lex *lx, struct la_rule_file *f, int col)
{
	size_t n = 0;

	for (; lx->tok.type == T_IDENT; lex__next(lx), n++) {
		f->pass = xrealloc(f->pass, (f->nr_pass + 1) * sizeof(char *));
		f->pass[f->nr_pass++] = lex__dup(lx);
	}
	if (!n && lx->tok.type == T_EOF)
		lex__error(lx, col, "@pass needs at least one function");
	else
		expect_end(lx, "the @pass functions");
}

/* @core "NAME" ORIGIN [!STOP] */
static void parse_core(struct la_lex *lx, struct la_rule_file *f)
{
	struct la_core_dir c = {.line = lx->line};
	char what[80];

	if (lx->tok.type == T_BADSTR) {
		lex__error(lx, lx->tok.col, "unterminated string");
		return;
	}
	if (lx->tok.type != T_STRING) {
		lex__error(lx, lx->tok.col,
			   "expected the path's name in quotes after @core, "
			   "not %s",
			   lex__what(lx, what, sizeof(what)));
		return;
	}
	c.name = xcalloc(1, lx->tok.n + 1);
	memcpy(c.name, lx->tok.p, lx->tok.n);
	lex__next(lx);
	if (lx->tok.type != T_IDENT) {
		lex__error(lx, lx->tok.col,
			   "expected the origin function after the name, not "
			   "%s",
			   lex__what(lx, what, sizeof(what)));
		goto fail;
	}
	c.origin = lex__dup(lx);
	lex__next(lx);
	if (lx->tok.type == T_BANG) {
		lex__next(lx);
		if (lx->tok.type != T_IDENT) {
			lex__error(lx, lx->tok.col,
				   "expected a function after '!', not %s",
				   lex__what(lx, what, sizeof(what)));
			goto fail;
		}
		c.stop = lex__dup(lx);
		lex__next(lx);
	}
	if (!expect_end(lx, "the @core directive"))
		goto fail;
	f->core = xrealloc(f->core, (f->nr_core + 1) * sizeof(c));
	f->core[f->nr_core++] = c;
	return;
fail:
	free(c.name);
	free(c.origin);
	free(c.stop);
}

static void parse_directive(struct la_lex *lx, struct la_rule_file *f)
{
	int col = lx->tok.col;

	lex__next(lx);
	if (lx->tok.type == T_IDENT && lx->tok.n == 4 &&
	    !memcmp(lx->tok.p, "pass", 4)) {
		lex__next(lx);
		parse_pass(lx, f, col);
	} else if (lx->tok.type == T_IDENT && lx->tok.n == 4 &&
		   !memcmp(lx->tok.p, "core", 4)) {
		lex__next(lx);
		parse_core(lx, f);
	} else {
		lex__error(lx, col,
			   "unknown directive '@%.*s' (known: @pass, "
			   "@core)",
			   lx->tok.type == T_IDENT ? (int)lx->tok.n : 0,
			   lx->tok.p);
	}
}

static void parse_line(struct la_rule_file *f, int line, const char *s,
		       size_t len)
{
	struct la_lex lx;

	lex__init(&lx, f, line, s, len);
	if (lx.tok.type == T_EOF)
		return; /* blank, or a comment */
	if (lx.tok.type == T_BADSTR)
		lex__error(&lx, lx.tok.col, "unterminated string");
	else if (lx.tok.type == T_AT)
		parse_directive(&lx, f);
	else
		parse_rule(&lx, f);
}

struct la_rule_file *rules__parse(const char *name, const char *text,
				  size_t len)
{
	struct la_rule_file *f = xcalloc(1, sizeof(*f));
	size_t pos = 0;
	int line = 1;

	f->name = xstrdup(name);
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - text) - pos : len - pos;

		if (memchr(text + pos, 0, n))
			rules__diag(f, line, (int)(strlen(text + pos) + 1),
				    true, "NUL byte in a rule file");
		else
			parse_line(f, line, text + pos, n);
		pos += n + 1;
		line++;
	}
	return f;
}

struct la_rule_file *rules__load(const char *path)
{
	struct la_rule_file *f;
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *fp = fopen(path, "re");
	int err;

	if (!fp)
		return NULL;
	do {
		if (len == cap)
			buf = xrealloc(buf, cap = cap ? 2 * cap : 4096);
		n = fread(buf + len, 1, cap - len, fp);
		len += n;
	} while (n);
	err = ferror(fp) ? (errno ? errno : EIO) : 0;
	fclose(fp);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	f = rules__parse(path, buf, len);
	free(buf);
	return f;
}

void rules__free(struct la_rule_file *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->nr_rules; i++) {
		free(f->rules[i].func);
		free(f->rules[i].text);
		free(f->rules[i].base_name);
		free(f->rules[i].module);
		expr__free(f->rules[i].arg);
	}
	for (i = 0; i < f->nr_pass; i++)
		free(f->pass[i]);
	for (i = 0; i < f->nr_core; i++) {
		free(f->core[i].name);
		free(f->core[i].origin);
		free(f->core[i].stop);
	}
	for (i = 0; i < f->nr_diags; i++)
		free(f->diags[i].msg);
	free(f->rules);
	free(f->pass);
	free(f->core);
	free(f->diags);
	free(f->name);
	free(f);
}
