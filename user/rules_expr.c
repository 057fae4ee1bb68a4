// SPDX-License-Identifier: GPL-2.0
/*
 * rules_expr.c - the tokens of a rule-file line and the recursive-descent
 * parser of lock expressions (identifiers, ->, ., &, parentheses, casts).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules_lex.h"
#include "xalloc.h"

void lex__init(struct la_lex *lx, struct la_rule_file *f, int line,
	       const char *s, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->f = f;
	lx->line = line;
	lx->s = s;
	lx->len = len;
	lex__next(lx);
}

static bool ident_char(char c, bool first)
{
	return c == '_' || isalpha((unsigned char)c) ||
	       (!first && isdigit((unsigned char)c));
}

/* a "..." string from the quote at lx->pos */
static void lex_string(struct la_lex *lx, struct la_token *t)
{
	const char *end =
		memchr(lx->s + lx->pos + 1, '"', lx->len - lx->pos - 1);

	if (!end) {
		t->type = T_BADSTR;
		lx->pos = lx->len;
		return;
	}
	t->type = T_STRING;
	t->p = lx->s + lx->pos + 1;
	t->n = (size_t)(end - t->p);
	lx->pos = (size_t)(end - lx->s) + 1;
}

void lex__next(struct la_lex *lx)
{
	static const char singles[] = ".&():*!@";
	static const enum la_tok types[] = {T_DOT,   T_AMP,  T_LP,   T_RP,
					    T_COLON, T_STAR, T_BANG, T_AT};
	struct la_token *t = &lx->tok;
	const char *s = lx->s, *c;

	while (lx->pos < lx->len && isspace((unsigned char)s[lx->pos]))
		lx->pos++;
	t->col = (int)lx->pos + 1;
	t->p = s + lx->pos;
	t->n = 1;
	if (lx->pos >= lx->len || s[lx->pos] == '#') {
		t->type = T_EOF;
		t->n = 0;
		return;
	}
	if (ident_char(s[lx->pos], true)) {
		t->type = T_IDENT;
		while (lx->pos + t->n < lx->len &&
		       ident_char(t->p[t->n], false))
			t->n++;
	} else if (s[lx->pos] == '-' && lx->pos + 1 < lx->len &&
		   s[lx->pos + 1] == '>') {
		t->type = T_ARROW;
		t->n = 2;
	} else if (s[lx->pos] == '"') {
		lex_string(lx, t);
		return;
	} else if ((c = strchr(singles, s[lx->pos]))) {
		t->type = types[c - singles];
	} else {
		t->type = T_BAD;
	}
	lx->pos += t->n;
}

const char *lex__what(const struct la_lex *lx, char *buf, size_t len)
{
	const struct la_token *t = &lx->tok;

	if (t->type == T_EOF)
		snprintf(buf, len, "end of line");
	else if (t->type == T_STRING)
		snprintf(buf, len, "\"%.*s\"", (int)t->n, t->p);
	else
		snprintf(buf, len, "'%.*s'", (int)t->n, t->p);
	return buf;
}

bool lex__error(struct la_lex *lx, int col, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (lx->failed)
		return false;
	lx->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rules__diag(lx->f, lx->line, col, true, "%s", msg);
	return false;
}

char *lex__dup(const struct la_lex *lx)
{
	char *s = xcalloc(1, lx->tok.n + 1);

	memcpy(s, lx->tok.p, lx->tok.n);
	return s;
}

static bool tok_is(const struct la_lex *lx, const char *word)
{
	return lx->tok.type == T_IDENT && lx->tok.n == strlen(word) &&
	       !memcmp(lx->tok.p, word, lx->tok.n);
}

static struct la_expr *node(enum la_expr_kind kind, int col, char *name,
			    struct la_expr *sub)
{
	struct la_expr *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->col = col;
	e->name = name;
	e->sub = sub;
	return e;
}

void expr__free(struct la_expr *e)
{
	while (e) {
		struct la_expr *sub = e->sub;

		free(e->name);
		free(e);
		e = sub;
	}
}

static struct la_expr *unary(struct la_lex *lx);

static bool expect_expr(struct la_lex *lx)
{
	char what[80];

	return lex__error(lx, lx->tok.col, "expected an expression, not %s",
			  lex__what(lx, what, sizeof(what)));
}

/* at '(' 'struct'/'union': "(struct NAME *)" then the operand */
static struct la_expr *cast(struct la_lex *lx, int col)
{
	bool is_union = tok_is(lx, "union");
	struct la_expr *e, *sub;
	char *name;

	lex__next(lx);
	if (lx->tok.type != T_IDENT) {
		lex__error(lx, lx->tok.col,
			   "expected a type name in the cast: (%s NAME *)",
			   is_union ? "union" : "struct");
		return NULL;
	}
	name = lex__dup(lx);
	lex__next(lx);
	if (lx->tok.type != T_STAR || (lex__next(lx), lx->tok.type != T_RP)) {
		lex__error(lx, lx->tok.col,
			   "a cast is (%s %s *): a pointer to a struct or "
			   "union",
			   is_union ? "union" : "struct", name);
		free(name);
		return NULL;
	}
	lex__next(lx);
	sub = unary(lx);
	if (!sub) {
		free(name);
		return NULL;
	}
	e = node(LA_E_CAST, col, name, sub);
	e->is_union = is_union;
	return e;
}

/* identifier, or '(' expression ')', or a cast */
static struct la_expr *primary(struct la_lex *lx)
{
	struct la_expr *e;
	int col = lx->tok.col;

	if (lx->tok.type == T_IDENT) {
		e = node(LA_E_IDENT, col, lex__dup(lx), NULL);
		lex__next(lx);
		return e;
	}
	if (lx->tok.type != T_LP) {
		expect_expr(lx);
		return NULL;
	}
	lex__next(lx);
	if (tok_is(lx, "struct") || tok_is(lx, "union"))
		return cast(lx, col);
	e = unary(lx);
	if (!e)
		return NULL;
	if (lx->tok.type != T_RP) {
		char what[80];

		lex__error(lx, lx->tok.col, "expected ')', not %s",
			   lex__what(lx, what, sizeof(what)));
		expr__free(e);
		return NULL;
	}
	lex__next(lx);
	return e;
}

/* primary ('->' NAME | '.' NAME)* */
static struct la_expr *postfix(struct la_lex *lx)
{
	struct la_expr *e = primary(lx);

	while (e && (lx->tok.type == T_ARROW || lx->tok.type == T_DOT)) {
		enum la_expr_kind kind =
			lx->tok.type == T_ARROW ? LA_E_ARROW : LA_E_DOT;
		int op_col = lx->tok.col;
		char what[80];

		lex__next(lx);
		if (lx->tok.type != T_IDENT) {
			lex__error(lx, lx->tok.col,
				   "expected a member name after '%s', not %s",
				   kind == LA_E_ARROW ? "->" : ".",
				   lex__what(lx, what, sizeof(what)));
			expr__free(e);
			return NULL;
		}
		e = node(kind, lx->tok.col, lex__dup(lx), e);
		e->op_col = op_col;
		lex__next(lx);
	}
	return e;
}

/* '&' unary | postfix */
static struct la_expr *unary(struct la_lex *lx)
{
	struct la_expr *sub;
	int col = lx->tok.col;

	if (lx->tok.type != T_AMP)
		return postfix(lx);
	lex__next(lx);
	sub = unary(lx);
	return sub ? node(LA_E_ADDR, col, NULL, sub) : NULL;
}

struct la_expr *expr__parse(struct la_lex *lx)
{
	return unary(lx);
}
