/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ruleset.h - the rules a command watches: rule files (--rules, else the
 * built-in iommu.rules) parsed into the watch list before anything is
 * loaded, then resolved against the running kernel (BTF, and the symbols
 * read once at start-up) into what the programs read (struct
 * la_hook_def).
 */
#ifndef LA_RULESET_H
#define LA_RULESET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hooks.h"
#include "rules.h"

#define LA_MAX_RULE_FILES 16

struct la_rules;

/*
 * Parse the rule files at paths (n == 0: the built-in one) and fill rs with
 * their rules, unresolved (function, assertion, FILE:LINE). Problems are
 * printed as "FILE:LINE:COL: error: ..."; NULL (reason in err, "" if the
 * problems were printed) if a file cannot be read, has an error, or there
 * are more rules than LA_MAX_HOOKS.
 */
struct la_rules *ruleset__load(char *const *paths, size_t n,
			       struct la_ruleset *rs, char *err, size_t errlen);
void ruleset__free(struct la_rules *rr);

/* The identifiers the rules start from (globals among them), and
 * rtnl_mutex: up to max names into names; how many. */
size_t ruleset__names(const struct la_rules *rr, const char **names,
		      size_t max);

/*
 * Resolve every rule against btf (NULL: the running kernel's) with the
 * symbols from lookup, and complete h's hooks (selected from this set):
 * lock kind, argument, path. Problems are printed (warnings only for rule
 * files given on the command line); -EINVAL if a rule has an error, with
 * "" in err (printed), or another -errno with the reason in err.
 */
int ruleset__resolve(struct la_rules *rr, struct la_hooks *h, const char *btf,
		     la_sym_lookup lookup, void *arg, char *err, size_t errlen);

#endif
