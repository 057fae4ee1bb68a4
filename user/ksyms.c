// SPDX-License-Identifier: GPL-2.0
/* ksyms.c - /proc/kallsyms with module names: address -> "func+0xoff [module]" */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksyms.h"

/* no kernel function is this large: beyond it an address is unknown */
#define KSYMS_MAX_FUNC_SIZE (1ULL << 20)

struct ksyms {
	struct ksym *syms;
	size_t nr, cap;
	char **strs; /* owned name and module strings */
	size_t nr_strs, cap_strs;
};

static char *keep(struct ksyms *ks, const char *s)
{
	char *dup;

	if (ks->nr_strs == ks->cap_strs) {
		size_t cap = ks->cap_strs ? ks->cap_strs * 2 : 4096;
		char **n = realloc(ks->strs, cap * sizeof(*n));

		if (!n)
			return NULL;
		ks->strs = n;
		ks->cap_strs = cap;
	}
	dup = strdup(s);
	if (dup)
		ks->strs[ks->nr_strs++] = dup;
	return dup;
}

static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* stable order for aliases: prefer the earlier name alphabetically */
	return strcmp(x->name, y->name);
}

static int is_text(char type)
{
	return type == 't' || type == 'T' || type == 'w' || type == 'W';
}

struct ksyms *ksyms__load(const char *path)
{
	char line[512], name[256], mod[128];
	const char *last_mod = NULL;
	struct ksyms *ks;
	size_t nonzero = 0, lines = 0;
	FILE *f;
	int err = 0;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		errno = ENOMEM;
		return NULL;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type;
		int n;

		mod[0] = 0;
		n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type, name,
			   mod);
		if (n < 3)
			continue;
		lines++;
		if (addr)
			nonzero++;
		if (!is_text(type))
			continue;
		if (ks->nr == ks->cap) {
			size_t cap = ks->cap ? ks->cap * 2 : 65536;
			struct ksym *s = realloc(ks->syms, cap * sizeof(*s));

			if (!s) {
				err = ENOMEM;
				goto fail;
			}
			ks->syms = s;
			ks->cap = cap;
		}
		ks->syms[ks->nr].addr = addr;
		ks->syms[ks->nr].name = keep(ks, name);
		if (!ks->syms[ks->nr].name) {
			err = ENOMEM;
			goto fail;
		}
		if (n == 4 && mod[0]) {
			/* module symbols come in runs: share the string */
			if (!last_mod || strcmp(last_mod, mod))
				last_mod = keep(ks, mod);
			if (!last_mod) {
				err = ENOMEM;
				goto fail;
			}
			ks->syms[ks->nr].module = last_mod;
		} else {
			ks->syms[ks->nr].module = NULL;
		}
		ks->nr++;
	}
	if (ferror(f)) {
		err = EIO;
		goto fail;
	}
	fclose(f);
	f = NULL;
	if (lines && !nonzero) {
		err = EPERM; /* kptr_restrict: every address reads as 0 */
		goto fail;
	}
	if (!ks->nr) {
		err = ENODATA;
		goto fail;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_addr);
	return ks;
fail:
	if (f)
		fclose(f);
	ksyms__free(ks);
	errno = err;
	return NULL;
}

void ksyms__free(struct ksyms *ks)
{
	size_t i;

	if (!ks)
		return;
	for (i = 0; i < ks->nr_strs; i++)
		free(ks->strs[i]);
	free(ks->strs);
	free(ks->syms);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->nr : 0;
}

const struct ksym *ksyms__find(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	/* last symbol with sym.addr <= addr */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	/* past the end of the last function of a region: unknown */
	if (addr - ks->syms[lo].addr > KSYMS_MAX_FUNC_SIZE)
		return NULL;
	/* first alias at that address */
	while (lo > 0 && ks->syms[lo - 1].addr == ks->syms[lo].addr)
		lo--;
	return &ks->syms[lo];
}

const struct ksym *ksyms__by_name(const struct ksyms *ks, const char *name,
				  const char *module)
{
	size_t i;

	if (!ks)
		return NULL;
	for (i = 0; i < ks->nr; i++) {
		const struct ksym *s = &ks->syms[i];

		if (strcmp(s->name, name))
			continue;
		if (module && (!s->module || strcmp(s->module, module)))
			continue;
		return s;
	}
	return NULL;
}

char *ksyms__format(const struct ksyms *ks, uint64_t addr, char *buf,
		    size_t len)
{
	const struct ksym *s = ksyms__find(ks, addr);

	if (!s)
		snprintf(buf, len, "0x%" PRIx64, addr);
	else if (s->module)
		snprintf(buf, len, "%s+0x%" PRIx64 " [%s]", s->name,
			 addr - s->addr, s->module);
	else
		snprintf(buf, len, "%s+0x%" PRIx64, s->name, addr - s->addr);
	return buf;
}
