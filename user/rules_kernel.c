// SPDX-License-Identifier: GPL-2.0
/*
 * rules_kernel.c - what rules resolve against: a BTF file, or the running
 * kernel's BTF (vmlinux plus /sys/kernel/btf/MODULE) and kallsyms, read
 * once for the names the rules use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "rules_kernel.h"
#include "xalloc.h"

#define LA_SYS_BTF "/sys/kernel/btf"

struct la_mod_btf {
	char *name;
	struct btf *btf; /* NULL: the module has none */
};

struct la_kernel {
	struct btf *vmlinux;
	bool running;	/* modules' BTF from LA_SYS_BTF */
	char *kallsyms; /* NULL: none (--btf) */
	struct la_mod_btf *mods;
	size_t nr_mods;
	struct la_sym *syms;
	size_t nr_syms;
	la_sym_lookup lookup; /* instead of reading kallsyms */
	void *lookup_arg;
};

struct la_kernel *rules__kernel_open(const char *btf, const char *kallsyms,
				     char *err, size_t errlen)
{
	struct la_kernel *k = xcalloc(1, sizeof(*k));

	k->vmlinux = btf ? btf__parse(btf, NULL) : btf__load_vmlinux_btf();
	if (!k->vmlinux) {
		int e = errno;

		if (btf)
			snprintf(err, errlen, "cannot read BTF file '%s': %s",
				 btf, strerror(e));
		else
			snprintf(err, errlen,
				 "this kernel exposes no BTF (%s/vmlinux: %s): "
				 "give one with --btf FILE",
				 LA_SYS_BTF, strerror(e));
		free(k);
		return NULL;
	}
	k->running = !btf;
	k->kallsyms = kallsyms ? xstrdup(kallsyms) : NULL;
	return k;
}

void rules__kernel_free(struct la_kernel *k)
{
	size_t i;

	if (!k)
		return;
	for (i = 0; i < k->nr_mods; i++) {
		btf__free(k->mods[i].btf);
		free(k->mods[i].name);
	}
	for (i = 0; i < k->nr_syms; i++) {
		free(k->syms[i].name);
		free(k->syms[i].module);
	}
	free(k->mods);
	free(k->syms);
	free(k->kallsyms);
	btf__free(k->vmlinux);
	free(k);
}

static struct la_sym *find_sym(const struct la_kernel *k, const char *name,
			       size_t len)
{
	size_t i;

	for (i = 0; i < k->nr_syms; i++)
		if (strlen(k->syms[i].name) == len &&
		    !memcmp(k->syms[i].name, name, len))
			return &k->syms[i];
	return NULL;
}

void kernel__want(struct la_kernel *k, const char *name)
{
	if (find_sym(k, name, strlen(name)))
		return;
	k->syms = xrealloc(k->syms, (k->nr_syms + 1) * sizeof(*k->syms));
	memset(&k->syms[k->nr_syms], 0, sizeof(*k->syms));
	k->syms[k->nr_syms++].name = xstrdup(name);
}

/* "ADDR TYPE NAME [MODULE]": the first entry of a wanted name is kept */
static void kallsyms_line(struct la_kernel *k, char *line)
{
	char *save = NULL, *addr = strtok_r(line, " \t\n", &save);
	char *type = strtok_r(NULL, " \t\n", &save);
	char *name = strtok_r(NULL, " \t\n", &save);
	char *mod = strtok_r(NULL, " \t\n", &save);
	struct la_sym *s;

	if (!addr || !type || !name)
		return;
	s = find_sym(k, name, strlen(name));
	if (!s || s->found)
		return;
	s->found = true;
	s->addr = strtoull(addr, NULL, 16);
	if (mod && mod[0] == '[') {
		mod[strcspn(mod, "]")] = 0;
		s->module = xstrdup(mod + 1);
	}
}

void rules__kernel_set_lookup(struct la_kernel *k, la_sym_lookup lookup,
			      void *arg)
{
	k->lookup = lookup;
	k->lookup_arg = arg;
}

/* every wanted name from the symbols read already */
static void lookup_all(struct la_kernel *k)
{
	for (size_t i = 0; i < k->nr_syms; i++) {
		struct la_sym *s = &k->syms[i];
		const char *mod = NULL;

		if (s->found ||
		    !k->lookup(k->lookup_arg, s->name, &s->addr, &mod))
			continue;
		s->found = true;
		s->module = mod ? xstrdup(mod) : NULL;
	}
}

int kernel__read_kallsyms(struct la_kernel *k)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *fp;
	int err;

	if (k->lookup) {
		lookup_all(k);
		return 0;
	}
	if (!k->kallsyms)
		return 0;
	fp = fopen(k->kallsyms, "re");
	if (!fp)
		return -errno;
	/* getline: Rust symbols make lines of any length */
	while (getline(&line, &cap, fp) > 0)
		kallsyms_line(k, line);
	err = ferror(fp) ? -EIO : 0;
	free(line);
	fclose(fp);
	return err;
}

bool kernel__has_kallsyms(const struct la_kernel *k)
{
	return k->kallsyms != NULL || k->lookup;
}

const char *kernel__kallsyms_path(const struct la_kernel *k)
{
	return k->kallsyms ? k->kallsyms : k->lookup ? "/proc/kallsyms" : "";
}

const struct la_sym *kernel__sym(const struct la_kernel *k, const char *name)
{
	const struct la_sym *s = find_sym(k, name, strlen(name));

	return s && s->found ? s : NULL;
}

struct btf *kernel__btf(struct la_kernel *k, const char *module)
{
	char path[256];
	size_t i;

	if (!module)
		return k->vmlinux;
	if (!k->running)
		return NULL;
	for (i = 0; i < k->nr_mods; i++)
		if (!strcmp(k->mods[i].name, module))
			return k->mods[i].btf;
	k->mods = xrealloc(k->mods, (k->nr_mods + 1) * sizeof(*k->mods));
	k->mods[k->nr_mods].name = xstrdup(module);
	snprintf(path, sizeof(path), LA_SYS_BTF "/%s", module);
	k->mods[k->nr_mods].btf = btf__parse_split(path, k->vmlinux);
	return k->mods[k->nr_mods++].btf;
}
