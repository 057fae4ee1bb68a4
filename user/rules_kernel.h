/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules_kernel.h - what rules resolve against, as rules_resolve.c sees it:
 * the BTF of vmlinux and of loaded modules, and the kallsyms entries of the
 * names the rules use.
 */
#ifndef LA_RULES_KERNEL_H
#define LA_RULES_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "rules.h"

struct btf;

struct la_sym {
	char *name;
	bool found;
	uint64_t addr; /* 0: hidden (kptr_restrict) or not found */
	char *module;  /* NULL: vmlinux */
};

/* Ask for name in the next kernel__read_kallsyms (once per name). */
void kernel__want(struct la_kernel *k, const char *name);
/* One pass over kallsyms for the wanted names; 0 or -errno. */
int kernel__read_kallsyms(struct la_kernel *k);
/* Whether kallsyms is read at all (not with --btf). */
bool kernel__has_kallsyms(const struct la_kernel *k);
/* The kallsyms entry of a wanted name, NULL if absent (or no kallsyms). */
const struct la_sym *kernel__sym(const struct la_kernel *k, const char *name);
/* The BTF of vmlinux (module NULL) or of a loaded module (split BTF, loaded
 * once), NULL if the module has none. */
struct btf *kernel__btf(struct la_kernel *k, const char *module);
/* The kallsyms file used, for messages. */
const char *kernel__kallsyms_path(const struct la_kernel *k);

#endif
