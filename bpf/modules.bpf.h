/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modules.bpf.h - module text ranges over time: the module generation
 * (map "modgen", in every key and callers tag) and the records of module
 * loads and unloads (maps "mods", "mods_live") that let a report name
 * frames in a module unloaded since. The raw_tp programs in lockaudit.bpf.c
 * are these bodies.
 */
#ifndef LA_MODULES_BPF_H
#define LA_MODULES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "lockaudit.h"
#include "maps.bpf.h"
#include "core_fixes.bpf.h"

static __always_inline __u64 module_generation(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&modgen, &zero);

	return g ? *g : 0;
}

static __always_inline void module_changed(void)
{
	__u32 zero = 0;
	__u64 *g = bpf_map_lookup_elem(&modgen, &zero);

	if (g)
		__sync_fetch_and_add(g, 1);
}

/* raw_tp/module_load */
static __always_inline int module_loaded(struct module *mod)
{
	struct la_mod_key key = {.load_ns = bpf_ktime_get_boot_ns()};
	struct la_mod m = {};

	module_changed();
	module_text(mod, &key.base, &m.size, &m);
	BPF_CORE_READ_STR_INTO(&m.name, mod, name);
	if (bpf_map_update_elem(&mods, &key, &m, BPF_ANY) ||
	    bpf_map_update_elem(&mods_live, &key.base, &key.load_ns, BPF_ANY))
		count(LA_CNT_MOD_DROPS);
	return 0;
}

/* raw_tp/module_free */
static __always_inline int module_freed(struct module *mod)
{
	struct la_mod_key key = {};
	struct la_mod m = {}, *cur;
	__u64 *load_ns;

	module_changed();
	module_text(mod, &key.base, &m.size, NULL);
	load_ns = bpf_map_lookup_elem(&mods_live, &key.base);
	if (load_ns) {
		key.load_ns = *load_ns;
		bpf_map_delete_elem(&mods_live, &key.base);
	}
	cur = bpf_map_lookup_elem(&mods, &key);
	if (cur) {
		cur->unload_ns = bpf_ktime_get_boot_ns();
		return 0;
	}
	/* loaded before we attached: record it now, load time unknown (0) */
	BPF_CORE_READ_STR_INTO(&m.name, mod, name);
	m.unload_ns = bpf_ktime_get_boot_ns();
	if (bpf_map_update_elem(&mods, &key, &m, BPF_ANY))
		count(LA_CNT_MOD_DROPS);
	return 0;
}

#endif /* LA_MODULES_BPF_H */
