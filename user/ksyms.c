// SPDX-License-Identifier: GPL-2.0
/* ksyms.c - /proc/kallsyms with module names: address -> "func+0xoff [module]"
 */
#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "ksyms.h"
#include "lockaudit.h"

/* no kernel function is this large: beyond it an address is unknown */
#define KSYMS_MAX_FUNC_SIZE (1ULL << 20)

struct mod_range {
	char name[64];
	uint64_t start, end;
	bool live;
};

struct mod_record {
	char *name;
	uint64_t base, size, load_ns, unload_ns;
	bool init;
};

struct ksyms {
	struct ksym *syms;
	size_t nr, cap;
	struct mod_record *recs;
	size_t nr_recs;
	struct mod_range *mods; /* from /proc/modules, NULL if not known */
	size_t nr_mods;
	char **strs; /* owned name and module strings */
	size_t nr_strs, cap_strs;
	int names_fd; /* map "symnames", -1: none (ks is calloc'ed: set) */
	bool names_set;
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

/* Modules' core ranges from /proc/modules; *nr = 0 if none known. */
static struct mod_range *load_modules(const char *path, size_t *nr)
{
	struct mod_range *r = NULL, *n;
	char *line = NULL, name[64], state[32];
	unsigned long long size, addr;
	size_t cap = 0, linecap = 0;
	FILE *f;

	*nr = 0;
	if (!path || !(f = fopen(path, "re")))
		return NULL;
	/* whole lines, however long (a module used by many others) */
	while (getline(&line, &linecap, f) > 0) {
		if (sscanf(line, "%63s %llu %*s %*s %31s %llx", name, &size,
			   state, &addr) != 4 ||
		    !addr)
			continue;
		if (*nr == cap) {
			cap = cap ? cap * 2 : 64;
			n = realloc(r, cap * sizeof(*r));
			if (!n)
				break;
			r = n;
		}
		snprintf(r[*nr].name, sizeof(r[*nr].name), "%s", name);
		r[*nr].start = addr;
		r[*nr].end = addr + size;
		r[*nr].live = !strcmp(state, "Live");
		(*nr)++;
	}
	free(line);
	fclose(f);
	return r;
}

/*
 * A symbol of a Live module outside the module's core range is stale (or,
 * for a lookup, the wrong symbol). A module still loading keeps its init
 * symbols, outside that range; [bpf] and unknown modules are not judged.
 */
static bool outside_live(const struct mod_range *mods, size_t nr,
			 const char *mod, uint64_t addr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!strcmp(mods[i].name, mod))
			return mods[i].live &&
			       (addr < mods[i].start || addr >= mods[i].end);
	return false;
}

struct ksyms *ksyms__load(const char *path)
{
	return ksyms__load_live(path, NULL);
}

struct ksyms *ksyms__load_live(const char *path, const char *modules)
{
	return ksyms__load_live_addrs(path, modules, NULL, NULL, 0);
}

/* vmlinux symbol name (of any type) one of the wanted? Note its address. */
static void want(const char *name, uint64_t addr, const char *const *names,
		 uint64_t *addrs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!addrs[i] && !strcmp(name, names[i]))
			addrs[i] = addr;
}

struct ksyms *ksyms__load_live_addrs(const char *path, const char *modules,
				     const char *const *names, uint64_t *addrs,
				     size_t nr_names)
{
	struct mod_range *mods = NULL, *before;
	size_t nr_mods = 0, nr_before = 0;
	/* a name up to the kernel's KSYM_NAME_LEN (512 since 6.1, for Rust),
	 * a module's up to MODULE_NAME_LEN (56) */
	char *line = NULL, name[512], mod[128];
	size_t linecap = 0;
	const char *last_mod = NULL;
	struct ksyms *ks;
	size_t nonzero = 0, lines = 0;
	FILE *f;
	int err = 0;

	/*
	 * Read before kallsyms: every module listed here has its symbols in
	 * what we read next, so its range can restrict lookups.
	 */
	before = load_modules(modules, &nr_before);
	f = fopen(path, "re");
	if (!f) {
		free(before);
		return NULL;
	}
	ks = calloc(1, sizeof(*ks));
	if (!ks) {
		fclose(f);
		free(before);
		errno = ENOMEM;
		return NULL;
	}
	ks->mods = before;
	ks->nr_mods = nr_before;
	for (size_t i = 0; i < nr_names; i++)
		addrs[i] = 0;

	while (getline(&line, &linecap, f) > 0) {
		unsigned long long addr;
		char type;
		int n;

		mod[0] = 0;
		n = sscanf(line, "%llx %c %511s [%127[^]]]", &addr, &type, name,
			   mod);
		if (n < 3)
			continue;
		lines++;
		if (addr)
			nonzero++;
		if (nr_names && (n < 4 || !mod[0]))
			want(name, addr, names, addrs, nr_names);
		/*
		 * arm64 mapping symbols ($x code, $d data) and the padding
		 * before functions (__pfx_, __cfi_: 6.2+) name no function
		 */
		if (!is_text(type) || name[0] == '$' ||
		    !strncmp(name, "__pfx_", 6) || !strncmp(name, "__cfi_", 6))
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
	free(line);
	line = NULL;
	if (lines && !nonzero) {
		err = EPERM; /* kptr_restrict: every address reads as 0 */
		goto fail;
	}
	/*
	 * Read after kallsyms: a stale __init symbol is listed only once its
	 * module went Live, so the module is Live in this later read.
	 */
	mods = load_modules(modules, &nr_mods);
	if (nr_mods) {
		size_t kept = 0;

		for (size_t i = 0; i < ks->nr; i++)
			if (!ks->syms[i].module ||
			    !outside_live(mods, nr_mods, ks->syms[i].module,
					  ks->syms[i].addr))
				ks->syms[kept++] = ks->syms[i];
		ks->nr = kept;
	}
	if (!ks->nr) {
		err = ENODATA;
		goto fail;
	}
	qsort(ks->syms, ks->nr, sizeof(*ks->syms), cmp_addr);
	free(mods);
	return ks;
fail:
	if (f)
		fclose(f);
	free(line);
	free(mods);
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
	for (i = 0; i < ks->nr_recs; i++)
		free(ks->recs[i].name);
	free(ks->recs);
	free(ks->mods);
	free(ks->strs);
	free(ks->syms);
	free(ks);
}

size_t ksyms__count(const struct ksyms *ks)
{
	return ks ? ks->nr : 0;
}

/*
 * Can addr, outside every known core range, be code of module mod? With
 * lockaudit's records of mod (core and __init text as loaded), only inside
 * them; without, unless mod is Live (then only its core range counts).
 */
static bool module_may_hold(const struct ksyms *ks, const char *mod,
			    uint64_t addr)
{
	bool recorded = false;
	size_t i;

	for (i = 0; i < ks->nr_recs; i++) {
		const struct mod_record *g = &ks->recs[i];

		if (g->unload_ns || strcmp(g->name, mod))
			continue;
		recorded = true;
		if (addr >= g->base && addr - g->base < g->size)
			return true;
	}
	if (recorded)
		return false;
	return !outside_live(ks->mods, ks->nr_mods, mod, addr);
}

/*
 * Is sym really the code at addr? Module memory is reused: an address may
 * hold a module loaded after kallsyms was read, or one whose freed __init
 * text ftrace still lists. lockaudit's records of module loads give exact
 * text ranges; /proc/modules gives [text base, + total size), which from
 * 6.4 (each kind of module memory allocated apart) may also span other
 * modules' text, so it only vouches for its own module.
 */
static const struct ksym *check_module(const struct ksyms *ks,
				       const struct ksym *sym, uint64_t addr)
{
	const char *mod = sym->module;
	size_t i;

	for (i = 0; i < ks->nr_recs; i++) {
		const struct mod_record *g = &ks->recs[i];
		const struct ksym *k;

		if (g->init || g->unload_ns || addr < g->base ||
		    addr - g->base >= g->size)
			continue;
		if (mod && !strcmp(mod, g->name))
			return sym;
		/* a stale symbol in between: the module's own one below
		 * (aliases at sym's address first) */
		k = sym;
		while (k + 1 < ks->syms + ks->nr && k[1].addr == sym->addr)
			k++;
		for (; k >= ks->syms && k->addr >= g->base; k--)
			if (k->module && !strcmp(k->module, g->name))
				return k;
		return NULL;
	}
	if (mod) {
		for (i = 0; i < ks->nr_mods; i++)
			if (!strcmp(mod, ks->mods[i].name) &&
			    addr >= ks->mods[i].start && addr < ks->mods[i].end)
				return sym;
		return module_may_hold(ks, mod, addr) ? sym : NULL;
	}
	/* a vmlinux symbol below an address inside a module: unknown code */
	for (i = 0; i < ks->nr_mods; i++)
		if (addr >= ks->mods[i].start && addr < ks->mods[i].end)
			return NULL;
	return sym;
}

/* the last symbol at or below addr (last of its aliases), or NULL */
static const struct ksym *below(const struct ksyms *ks, uint64_t addr)
{
	size_t lo = 0, hi;

	if (!ks || !ks->nr || addr < ks->syms[0].addr)
		return NULL;
	hi = ks->nr;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->syms[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return &ks->syms[lo];
}

const struct ksym *ksyms__find(const struct ksyms *ks, uint64_t addr)
{
	const struct ksym *s = below(ks, addr);

	/* past the end of the last function of a region: unknown */
	if (!s || addr - s->addr > KSYMS_MAX_FUNC_SIZE)
		return NULL;
	/* first alias at that address */
	while (s > ks->syms && s[-1].addr == s->addr)
		s--;
	return check_module(ks, s, addr);
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

int ksyms__add_module_record(struct ksyms *ks, const char *name, uint64_t base,
			     uint64_t size, uint64_t load_ns,
			     uint64_t unload_ns, bool init)
{
	struct mod_record *g;

	if (!size)
		return 0;
	g = realloc(ks->recs, (ks->nr_recs + 1) * sizeof(*g));
	if (!g)
		return -ENOMEM;
	ks->recs = g;
	g = &ks->recs[ks->nr_recs];
	g->name = strdup(name);
	if (!g->name)
		return -ENOMEM;
	g->base = base;
	g->size = size;
	g->load_ns = load_ns;
	g->unload_ns = unload_ns;
	g->init = init;
	ks->nr_recs++;
	return 0;
}

char *ksyms__format_at(const struct ksyms *ks, uint64_t addr, uint64_t t_ns,
		       char *buf, size_t len)
{
	const struct mod_record *best = NULL;
	size_t i;

	for (i = 0; ks && i < ks->nr_recs; i++) {
		const struct mod_record *g = &ks->recs[i];

		if (addr < g->base || addr - g->base >= g->size ||
		    t_ns < g->load_ns || (g->unload_ns && t_ns > g->unload_ns))
			continue;
		if (!best || g->load_ns > best->load_ns)
			best = g;
	}
	if (best && best->init) {
		const struct ksym *s = below(ks, addr);

		/* ftrace may still list the freed init code: its real name */
		for (; s && s >= ks->syms && s->addr >= best->base; s--)
			if (s->module && !strcmp(s->module, best->name)) {
				snprintf(buf, len, "%s+0x%" PRIx64 " [%s]",
					 s->name, addr - s->addr, s->module);
				return buf;
			}
		snprintf(buf, len, "%s.init+0x%" PRIx64 " [%s]", best->name,
			 addr - best->base, best->name);
	} else if (best && best->unload_ns)
		snprintf(buf, len, "%s.ko+0x%" PRIx64 " [%s]", best->name,
			 addr - best->base, best->name);
	else
		ksyms__format(ks, addr, buf, len);
	return buf;
}

void ksyms__set_names_map(struct ksyms *ks, int fd)
{
	if (!ks)
		return;
	ks->names_fd = fd;
	ks->names_set = true;
}

bool ksyms__kname_format(const char *kname, char *buf, size_t len)
{
	size_t fn = strcspn(kname, "+ /"), off, size;
	const char *mod;

	/* %pS prints a bare 0x... for an address it cannot name */
	if (!fn || !strncmp(kname, "0x", 2) || kname[fn] != '+')
		return false;
	off = strcspn(kname + fn, "/ ");
	mod = kname + fn + off;
	if (*mod == '/') {
		size = strcspn(mod, " ");
		mod += size;
	}
	if (*mod && strncmp(mod, " [", 2))
		return false;
	if ((size_t)snprintf(buf, len, "%.*s%s", (int)(fn + off), kname, mod) >=
	    len)
		return false;
	return true;
}

char *ksyms__format_gen(const struct ksyms *ks, uint64_t addr, uint64_t gen,
			uint64_t t_ns, char *buf, size_t len)
{
	struct la_symkey k = {.addr = addr, .gen = gen};
	char v[LA_SYMNAME_LEN + 1] = {0};

	if (ks && ks->names_set && ks->names_fd >= 0 &&
	    !bpf_map_lookup_elem(ks->names_fd, &k, v) &&
	    ksyms__kname_format(v, buf, len))
		return buf;
	return ksyms__format_at(ks, addr, t_ns, buf, len);
}
