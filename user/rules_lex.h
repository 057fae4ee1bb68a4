/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules_lex.h - the tokens of one rule-file line, and the lock-expression
 * parser on top of them (shared by rules_parse.c and rules_expr.c only).
 */
#ifndef LA_RULES_LEX_H
#define LA_RULES_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

enum la_tok {
	T_EOF = 0, /* end of line, or a '#' comment */
	T_IDENT,
	T_ARROW,
	T_DOT,
	T_AMP,
	T_LP,
	T_RP,
	T_COLON,
	T_STAR,
	T_STRING, /* "..." (p, n: the text between the quotes) */
	T_BANG,
	T_AT,
	T_BADSTR, /* a string with no closing quote */
	T_BAD,	  /* any other character */
};

struct la_token {
	enum la_tok type;
	int col; /* 1-based */
	const char *p;
	size_t n;
};

/* One line being parsed: its text, the current token, where errors go. */
struct la_lex {
	const char *s; /* the line, without its newline */
	size_t len, pos;
	int line;
	struct la_rule_file *f;
	struct la_token tok; /* the current token */
	bool failed;	     /* an error was reported for this line */
};

void lex__init(struct la_lex *lx, struct la_rule_file *f, int line,
	       const char *s, size_t len);
/* Move to the next token (lx->tok). */
void lex__next(struct la_lex *lx);
/* The current token as text for messages ("end of line" at T_EOF). */
const char *lex__what(const struct la_lex *lx, char *buf, size_t len);
/* An error at col; only the first of a line is kept. Returns false. */
bool lex__error(struct la_lex *lx, int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A copy of the current token's text. */
char *lex__dup(const struct la_lex *lx);

/* A lock expression from the current token on; NULL after an error. */
struct la_expr *expr__parse(struct la_lex *lx);
void expr__free(struct la_expr *e);

#endif
