// SPDX-License-Identifier: GPL-2.0
/*
 * symfresh.c - when the collector must read /proc/kallsyms and
 * /proc/modules again, and the kernel's module records with them
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "env.h"
#include "hooks.h"
#include "ksyms.h"
#include "symfresh.h"

#define RELOAD_MIN_NS 100000000ULL /* 100 ms */

/*
 * A checksum of /proc/modules that changes when a module loads, unloads or
 * changes state: each line's name, size, state and address. Not its use
 * count and users (columns 3 and 4), which change while devices come and
 * go (a hotplug cycle moves them) and say nothing about kallsyms.
 */
unsigned long symfresh__modules_sum(const char *path)
{
	unsigned long h = 5381;
	FILE *f = path ? fopen(path, "re") : NULL;
	int ch, col = 0;

	if (!f)
		return 0;
	while ((ch = getc(f)) != EOF) {
		if (ch == '\n')
			col = 0;
		else if (ch == ' ' && col < 6)
			col++;
		if (col != 2 && col != 3)
			h = h * 33 + (unsigned char)ch;
	}
	fclose(f);
	return h;
}

/*
 * Module records kept by the kernel side: text ranges of loaded modules
 * (known from the moment a module loads, before kallsyms lists it) and of
 * unloaded ones (so their frames can still be named).
 */
static int read_module_records(struct la_symfresh *s, struct ksyms *ks)
{
	struct la_mod_key key, next, *prev = NULL;
	struct la_mod m;
	char name[LA_MOD_NAME_LEN + 1];
	int fd = s->maps->mods;

	if (fd < 0)
		return 0;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &m) == 0) {
			memcpy(name, m.name, LA_MOD_NAME_LEN);
			name[LA_MOD_NAME_LEN] = 0;
			if (ksyms__add_module_record(ks, name, next.base,
						     m.size, next.load_ns,
						     m.unload_ns, false) ||
			    ksyms__add_module_record(ks, name, m.init_base,
						     m.init_size, next.load_ns,
						     m.unload_ns, true))
				return -ENOMEM;
		}
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

static __u64 module_generation(struct la_symfresh *s)
{
	__u32 zero = 0;
	__u64 gen = 0;

	if (s->maps->modgen >= 0)
		bpf_map_lookup_elem(s->maps->modgen, &zero, &gen);
	return gen;
}

/* the core kernel's text, which no module load or unload changes */
static void core_text(struct la_symfresh *s)
{
	const struct ksym *a = ksyms__by_name(s->ks, "_stext", NULL);
	const struct ksym *b = ksyms__by_name(s->ks, "_etext", NULL);

	s->text_start = a && b && a->addr < b->addr ? a->addr : 0;
	s->text_end = a && b && a->addr < b->addr ? b->addr : 0;
}

/*
 * ks becomes the table in use (freed here on failure), read with the
 * module generation gen and /proc/modules' checksum sum taken before it.
 */
static int take(struct la_symfresh *s, struct ksyms *ks, unsigned long sum,
		__u64 gen)
{
	/* after kallsyms: a range known here with no symbols reads unknown */
	int ret = read_module_records(s, ks);

	if (ret) {
		ksyms__free(ks);
		return ret;
	}
	/* another module set: an address no read could name may be named */
	if (gen != s->ks_gen || sum != s->modules_sum)
		s->nr_unknown = 0;
	ksyms__free(s->ks);
	s->ks = ks;
	ksyms__set_names_map(ks, s->maps->symnames);
	core_text(s);
	s->modules_sum = sum;
	s->ks_gen = gen;
	s->reloaded_ns = env__boot_ns();
	return 0;
}

int symfresh__reload(struct la_symfresh *s)
{
	/* before kallsyms: a module loading meanwhile bumps it again */
	__u64 gen = module_generation(s);
	unsigned long sum = symfresh__modules_sum(s->modules);
	struct ksyms *ks = ksyms__load_live(s->kallsyms, s->modules);
	int ret;

	if (!ks)
		return -errno;
	ret = take(s, ks, sum, gen);
	if (!ret)
		s->reloads++;
	return ret;
}

int symfresh__adopt(struct la_symfresh *s, struct ksyms *ks,
		    unsigned long modules_sum)
{
	/* generation 0: read before the programs counted any module */
	return take(s, ks, modules_sum, 0);
}

static bool unknown_has(const struct la_symfresh *s, __u64 ip)
{
	for (size_t i = 0; i < s->nr_unknown; i++)
		if (s->unknown[i] == ip)
			return true;
	return false;
}

/*
 * A frame no newer kallsyms read would name otherwise: in the core kernel's
 * text, or named by the kernel itself when its site was created (map
 * symnames, in its module generation: ksyms__format_gen prefers it).
 */
static bool settled(const struct la_symfresh *s, __u64 ip, __u64 gen)
{
	struct la_symkey k = {.addr = ip, .gen = gen};
	char v[LA_SYMNAME_LEN + 1] = {0}, buf[FRAME_LEN];

	if (ip >= s->text_start && ip < s->text_end)
		return true;
	return s->maps->symnames >= 0 &&
	       !bpf_map_lookup_elem(s->maps->symnames, &k, v) &&
	       ksyms__kname_format(v, buf, sizeof(buf));
}

bool symfresh__needs(const struct la_symfresh *s, const __u64 *ips, size_t n,
		     __u64 gen)
{
	for (size_t i = 0; i < n; i++)
		if (!settled(s, ips[i], gen))
			return true;
	return false;
}

/*
 * Symbolize ips into frames[] (each FRAME_LEN bytes). Each event carries
 * the kernel's count of module loads and unloads: a newer count than the
 * last kallsyms read saw means reread first (exact, and free otherwise),
 * unless every frame is settled (above): then nothing is read.
 * /proc/modules is checked once per poll round (for a module whose load
 * the records missed) and when an address resolves to nothing. An unknown
 * address with no module change rereads at most every RELOAD_MIN_NS, and
 * once only: one a fresh read did not name either is not retried until
 * the modules change (a reread costs seconds under emulation).
 */
void symfresh__symbolize(struct la_symfresh *s, const __u64 *ips, size_t n,
			 __u64 modgen, __u64 t_ns, char (*frames)[FRAME_LEN])
{
	bool fresh = false;
	size_t i;

	/* core text and frames the kernel named: no read can change them
	 * (a kallsyms read costs seconds under emulation, ~10 MB on 7.x) */
	if (!symfresh__needs(s, ips, n, modgen))
		goto format;
	/* exact: the kernel counts module loads and unloads */
	if (modgen > s->ks_gen)
		symfresh__reload(s);
	if (!s->modules_checked) {
		s->modules_checked = true;
		if (symfresh__modules_sum(s->modules) != s->modules_sum)
			symfresh__reload(s);
	}
	for (i = 0; i < n; i++) {
		if (settled(s, ips[i], modgen) || ksyms__find(s->ks, ips[i]) ||
		    unknown_has(s, ips[i]))
			continue;
		/* a module that appeared since the round began, or not */
		if (!fresh &&
		    (symfresh__modules_sum(s->modules) != s->modules_sum ||
		     env__boot_ns() - s->reloaded_ns >= RELOAD_MIN_NS)) {
			fresh = symfresh__reload(s) == 0;
			if (ksyms__find(s->ks, ips[i]))
				continue;
		}
		if (fresh && s->nr_unknown < LA_UNKNOWN_MAX)
			s->unknown[s->nr_unknown++] = ips[i];
	}
format:
	/* the module records know what each address held at time t */
	for (i = 0; i < n; i++)
		ksyms__format_gen(s->ks, ips[i], modgen, t_ns, frames[i],
				  FRAME_LEN);
}

int symfresh__refresh(struct la_symfresh *s)
{
	/* reread only what changed (snapshots may come every second) */
	if (module_generation(s) != s->ks_gen ||
	    symfresh__modules_sum(s->modules) != s->modules_sum)
		return symfresh__reload(s);
	return 0;
}

void symfresh__new_round(struct la_symfresh *s)
{
	s->modules_checked = false;
}

void symfresh__free(struct la_symfresh *s)
{
	ksyms__free(s->ks);
	s->ks = NULL;
}
