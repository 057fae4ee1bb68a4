/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h - rule files as data: "FUNCTION: ASSERTION" lines in the kernel's
 * own vocabulary, the @pass/@core directives, their diagnostics with
 * line:column, and their resolution against BTF into lock paths
 * (docs/rules.md).
 */
#ifndef LA_RULES_H
#define LA_RULES_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lockaudit.h"

/* The assertions a rule may make (as the kernel spells them). */
enum la_assert {
	LA_A_HELD = 0,		/* lockdep_assert_held(P) */
	LA_A_HELD_WRITE,	/* lockdep_assert_held_write(P) */
	LA_A_HELD_READ,		/* lockdep_assert_held_read(P) */
	LA_A_DEVICE_LOCK,	/* device_lock_assert(D): &D->mutex */
	LA_A_RTNL,		/* ASSERT_RTNL(): &rtnl_mutex */
	LA_A_MMAP_LOCKED,	/* mmap_assert_locked(M): &M->mmap_lock */
	LA_A_MMAP_WRITE_LOCKED, /* mmap_assert_write_locked(M) */
	LA_NR_ASSERTS,
};

/* A lock expression, as parsed (columns are 1-based). */
enum la_expr_kind {
	LA_E_IDENT = 0, /* name: a parameter or a global */
	LA_E_ARROW,	/* sub->name */
	LA_E_DOT,	/* sub.name */
	LA_E_ADDR,	/* &sub */
	LA_E_CAST,	/* (struct name *)sub, or union */
};

struct la_expr {
	enum la_expr_kind kind;
	int col;       /* the identifier, member name, '&' or the cast's '(' */
	int op_col;    /* '->' or '.' */
	char *name;    /* identifier, member, or the cast's struct/union name */
	bool is_union; /* LA_E_CAST: (union name *) */
	struct la_expr *sub;
};

enum la_rule_status {
	LA_RULE_PARSED = 0, /* not resolved (yet) */
	LA_RULE_RESOLVED,
	LA_RULE_ABSENT, /* the function is not in this kernel: skipped */
	LA_RULE_ERROR,
};

struct la_rule {
	int line;
	char *func;
	int func_col;
	enum la_assert assert;
	int assert_col;
	char *text;	     /* the assertion as written */
	struct la_expr *arg; /* NULL for ASSERT_RTNL() */
	int arg_col;
	enum la_rule_hold hold;
	/* resolution (rules_resolve.c) */
	enum la_rule_status status;
	struct la_lockpath path;
	char *base_name; /* the parameter or global the path starts at */
	char *module;	 /* the function's module, NULL for vmlinux */
};

/* @core "NAME" ORIGIN [!STOP] */
struct la_core_dir {
	int line;
	char *name;
	char *origin;
	char *stop; /* NULL: none */
};

struct la_diag {
	int line, col;
	bool error; /* else a warning */
	char *msg;
};

/* One rule file: its rules, directives and problems, in file order. */
struct la_rule_file {
	char *name; /* as messages name it */
	struct la_rule *rules;
	size_t nr_rules;
	char **pass; /* @pass frames, in order */
	size_t nr_pass;
	struct la_core_dir *core;
	size_t nr_core;
	struct la_diag *diags;
	size_t nr_diags, nr_errors, nr_warnings;
};

/* Parse text (len bytes, need not end in NUL) named name. */
struct la_rule_file *rules__parse(const char *name, const char *text,
				  size_t len);
/* Read and parse the file at path; NULL with errno set if it cannot be
 * read. */
struct la_rule_file *rules__load(const char *path);
/* The built-in rule file (rules/iommu.rules), named BUILTIN_NAME. */
#define LA_RULES_BUILTIN_DIR  "<built-in>/" /* the built-in files' prefix */
#define LA_RULES_BUILTIN_NAME LA_RULES_BUILTIN_DIR "iommu.rules"
struct la_rule_file *rules__builtin(void);
void rules__free(struct la_rule_file *f);

/* Add a problem at line:col. */
void rules__diag(struct la_rule_file *f, int line, int col, bool error,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Problem i as "FILE:LINE:COL: error|warning: MESSAGE" in buf; buf. A
 * buffer of LA_DIAG_TEXT_LEN holds any (a path, a message of rules__diag's
 * at most 1023 bytes). */
#define LA_DIAG_TEXT_LEN (4096 + 1024 + 64)
char *rules__diag_text(const struct la_rule_file *f, size_t i, char *buf,
		       size_t len);
/* Order the problems by line, then column (stable). */
void rules__sort_diags(struct la_rule_file *f);

/* The identifier a lock expression starts from (a parameter or a global),
 * NULL if it starts from none. */
const char *rules__base_ident(const struct la_expr *e);

const char *rules__assert_name(enum la_assert a);
const char *rules__hold_name(enum la_rule_hold h);
const char *rules__lock_name(enum la_rule_lock l);

/*
 * What rules resolve against: a BTF (vmlinux ELF or raw BTF file), or the
 * running kernel's (vmlinux plus /sys/kernel/btf/MODULE for functions in
 * loaded modules) with its kallsyms.
 */
struct la_kernel;
/* btf: a file, or NULL for the running kernel; kallsyms: a kallsyms-format
 * file, or NULL for none (--btf). NULL with the reason in err. */
struct la_kernel *rules__kernel_open(const char *btf, const char *kallsyms,
				     char *err, size_t errlen);
void rules__kernel_free(struct la_kernel *k);
/* The address and module (NULL: vmlinux) of a kernel symbol, if any. */
typedef bool (*la_sym_lookup)(void *arg, const char *name, uint64_t *addr,
			      const char **module);
/* Take symbols from lookup (symbols read already) instead of a kallsyms
 * file: for a command that has read them once at start-up. */
void rules__kernel_set_lookup(struct la_kernel *k, la_sym_lookup lookup,
			      void *arg);

/* Resolve every parsed rule of the files (problems go to each file, sorted
 * by line and column); 0, or -errno if kallsyms could not be read. */
int rules__resolve(struct la_kernel *k, struct la_rule_file **files, size_t n);
/* A resolved path as text: "arg0(dev) +0x98", "*(arg0(dev) +0x10) +0x48",
 * "rtnl_mutex(0xffff...) +0x0" ("address at attach time" when unknown). */
char *rules__path_text(const struct la_rule *r, char *buf, size_t len);

#endif
